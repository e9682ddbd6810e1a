import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * The scopes the code calls Slack with: chat.postMessage/update (chat:write), the slash command
 * (commands), the external upload flow for bundles (files:write), usergroups.users.list for
 * user-group rules (usergroups:read), the Events API's messages and reactions in incident
 * threads (channels:history, groups:history, reactions:read), and conversations.create / invite /
 * archive for incident channels (channels:manage; groups:write for private ones). An app made
 * from either manifest must have them all.
 */
const SCOPES_USED = [
  "chat:write",
  "commands",
  "files:write",
  "usergroups:read",
  "channels:history",
  "groups:history",
  "reactions:read",
  "channels:manage",
  "groups:write",
];
/** The events core/incidents/team-messages.ts records (adapters/slack/events.ts reads them). */
const EVENTS_USED = ["message.channels", "message.groups", "reaction_added", "reaction_removed"];

function botScopes(yaml: string): string[] {
  const block = /\n {4}bot:\n((?: {6}.*\n| *#.*\n)+)/.exec(yaml)?.[1] ?? "";
  return [...block.matchAll(/^ {6}- (\S+)$/gm)].map((m) => m[1] ?? "");
}

describe("Slack app manifests", () => {
  for (const file of ["manifest.yaml", "manifest-socket-mode.yaml"]) {
    const yaml = readFileSync(new URL(`../../infra/slack/${file}`, import.meta.url), "utf8");
    it(`${file} asks for every scope the code uses, says how to rename the command and to invite the bot`, () => {
      expect(botScopes(yaml).sort()).toEqual([...SCOPES_USED].sort());
      expect(yaml).toMatch(/- command: \/openclaw\n/);
      expect(yaml).toContain("CLAWOPS_COMMAND=/clawops");
      expect(yaml).toContain("/invite @clawops");
      const events = /\n {4}bot_events:\n((?: {6}- .*\n)+)/.exec(yaml)?.[1] ?? "";
      expect([...events.matchAll(/- (\S+)/g)].map((m) => m[1]).sort()).toEqual([...EVENTS_USED].sort());
      if (file === "manifest.yaml") expect(yaml).toContain("request_url: https://clawops.example.com/slack/events");
    });
  }
});
