import { context, section, wholeLineSections } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import type { HelpLine } from "./entry.ts";

/** Slack's cap on a section's text (messages/build.ts `section` clips there). */
const HELP_SECTION_CHARS = 3000;

/** `/openclaw help` from the registry's lines (registry.ts), in its order. */
export function helpMessage(help: readonly HelpLine[]): Message {
  const lines = help.map((c) => `\`${c.usage}\`\n      ${c.summary}`);
  return {
    text: "clawops commands",
    parts: [
      section("*clawops*: per-layer triage for OpenClaw gateways. Every answer is a health matrix, never one boolean."),
      // As many sections as Slack's 3,000 characters a section need: no command cut off.
      ...wholeLineSections(lines, HELP_SECTION_CHARS).map((t) => section(t)),
      context("Host names are the names given at `clawops-agent enroll --host`. See `/openclaw hosts`."),
    ],
  };
}
