import { ClawopsError } from "./errors.ts";
import { parseRecoveryCommand, RECOVERY_COMMAND_HELP, type RecoveryCommand } from "./recovery/parse.ts";
import { escapeMrkdwn } from "./render/mrkdwn.ts";

/** What `/openclaw <text>` asks for. Parsed once at the edge; handlers get this union. */
export type Command =
  | { kind: "help" }
  | { kind: "hosts" }
  | { kind: "triage"; host: string }
  | { kind: "enroll"; host: string }
  | RecoveryCommand;

export const COMMAND_HELP: { usage: string; summary: string }[] = [
  {
    usage: "/openclaw triage <host>",
    summary: "Probe every layer of the gateway on <host> and post findings in its incident thread.",
  },
  { usage: "/openclaw hosts", summary: "List enrolled hosts: online/offline, agent and gateway versions, last seen." },
  {
    usage: "/openclaw enroll <host>",
    summary: "Issue a one-time enrollment code for a new host (local console and CLI only).",
  },
  ...RECOVERY_COMMAND_HELP,
  { usage: "/openclaw help", summary: "Show this help." },
];

/** Lower-case DNS-label style names: what `clawops-agent enroll --host` accepts too. */
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function normalizeHostName(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!HOST_NAME.test(name)) {
    throw new ClawopsError(
      "invalid_host_name",
      `\`${truncate(raw, 40)}\` is not a valid host name: use letters, digits and hyphens (max 63), e.g. \`node-3\`.`,
    );
  }
  return name;
}

export function parseCommand(text: string): Command {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [sub, ...rest] = words;
  switch (sub?.toLowerCase()) {
    case undefined:
    case "help":
      return { kind: "help" };
    case "hosts":
      return { kind: "hosts" };
    case "triage":
    case "enroll": {
      const kind = sub.toLowerCase() as "triage" | "enroll";
      const host = rest[0];
      if (rest.length !== 1 || host === undefined) {
        throw new ClawopsError(
          "bad_request",
          `Usage: \`/openclaw ${kind} <host>\`, e.g. \`/openclaw ${kind} node-3\`.`,
        );
      }
      return { kind, host: normalizeHostName(host) };
    }
    default: {
      const recovery = parseRecoveryCommand(sub ?? "", rest, normalizeHostName);
      if (recovery) return recovery;
      throw new ClawopsError(
        "unknown_command",
        `Unknown command \`${truncate(sub ?? "", 40)}\`. Try \`/openclaw help\` for the list of commands.`,
      );
    }
  }
}

/** User text echoed back into Slack: shortened, and unable to act as Slack markup. */
function truncate(s: string, n: number): string {
  return escapeMrkdwn(s.length > n ? `${s.slice(0, n)}…` : s).replace(/`/g, "ˋ");
}
