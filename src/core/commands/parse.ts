import { ClawopsError } from "../errors.ts";
import { type HostsFilter, parseHostsArgs } from "../hosts/list.ts";
import { escapeMrkdwn } from "../render/mrkdwn.ts";
import { parseRecoveryCommand, RECOVERY_COMMAND_HELP, type RecoveryCommand } from "./recovery-parse.ts";

/** What `/openclaw <text>` asks for. Parsed once at the edge; handlers get this union. */
export type Command =
  | { kind: "help" }
  | { kind: "hosts"; filter?: HostsFilter; page?: number }
  | { kind: "revoke" | "remove"; host: string }
  | { kind: "triage"; host: string }
  | { kind: "enroll"; host: string }
  | { kind: "bundle"; host: string; tickets: string[] }
  | { kind: "fleet-status"; selector: FleetSelector; live?: boolean }
  | { kind: "tag"; host: string; tags: string[] }
  | RecoveryCommand;

/** Which hosts `/openclaw status <selector>` asks: all, a glob over names, or a tag. */
export type FleetSelector = { kind: "all" } | { kind: "pattern"; glob: string } | { kind: "tag"; tag: string };

export const COMMAND_HELP: { usage: string; summary: string }[] = [
  {
    usage: "/openclaw triage <host>",
    summary: "Probe every layer of the gateway on <host> and post findings in its incident thread.",
  },
  {
    usage: "/openclaw hosts [<pattern> | tag:<tag> | state:online|offline|revoked] [page <n>]",
    summary: "List enrolled hosts: online/offline, agent and gateway versions, last seen; 25 a page.",
  },
  {
    usage: "/openclaw enroll <host>",
    summary: "Issue a one-time enrollment code for a new host (local console and CLI only).",
  },
  {
    usage: "/openclaw bundle <host> [--ticket KEY]",
    summary:
      "Collect a redacted repro bundle from <host> into its incident thread; `--ticket OPS-12` (Jira) or `owner/repo#7` (GitHub) attaches it too.",
  },
  {
    usage: "/openclaw status all | <pattern> | tag:<tag> [--live]",
    summary:
      "One fleet matrix (hosts × layers, worst first) from the agents' watch, each row with its age; `--live` quick-probes every matching host (e.g. `node-*`) now.",
  },
  {
    usage: "/openclaw tag <host> <tag>…",
    summary: "Set a host's tags (replaces them; `-` clears) for `status tag:<tag>`.",
  },
  ...RECOVERY_COMMAND_HELP,
  {
    usage: "/openclaw revoke <host>",
    summary:
      "Revoke a host's key: its agent is disconnected and refused from then on; the record stays, marked revoked.",
  },
  {
    usage: "/openclaw remove <host>",
    summary: "Remove a host: its agent is disconnected, its record deleted, and the name can be enrolled again.",
  },
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
      return { kind: "hosts", ...parseHostsArgs(rest) };
    case "triage":
    case "enroll":
    case "revoke":
    case "remove": {
      const kind = sub.toLowerCase() as "triage" | "enroll" | "revoke" | "remove";
      const host = rest[0];
      if (rest.length !== 1 || host === undefined) {
        throw new ClawopsError(
          "bad_request",
          `Usage: \`/openclaw ${kind} <host>\`, e.g. \`/openclaw ${kind} node-3\`.`,
        );
      }
      return { kind, host: normalizeHostName(host) };
    }
    case "bundle":
      return parseBundle(rest);
    case "status":
      // Bare `status` lists active freezes (recovery/parse.ts); `status <selector>` is the fleet matrix.
      if (rest.length === 0) return parseRecoveryCommand("status", rest, normalizeHostName) ?? { kind: "help" };
      return rest.includes("--live")
        ? { kind: "fleet-status", selector: parseFleetSelector(rest.filter((a) => a !== "--live")), live: true }
        : { kind: "fleet-status", selector: parseFleetSelector(rest) };
    case "tag": {
      const [host, ...tags] = rest;
      if (host === undefined || tags.length === 0) {
        throw new ClawopsError(
          "bad_request",
          "Usage: `/openclaw tag <host> <tag>…`, e.g. `/openclaw tag node-3 eu prod` (`-` clears).",
        );
      }
      return {
        kind: "tag",
        host: normalizeHostName(host),
        tags: tags.length === 1 && tags[0] === "-" ? [] : [...new Set(tags.map(normalizeTag))],
      };
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

const TAG = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

export function normalizeTag(raw: string): string {
  const tag = raw.trim().toLowerCase();
  if (!TAG.test(tag)) {
    throw new ClawopsError(
      "bad_request",
      `\`${truncate(raw, 40)}\` is not a valid tag: use letters, digits, \`-\`, \`_\` or \`.\` (max 32), e.g. \`prod\`.`,
    );
  }
  return tag;
}

const GLOB = /^[a-z0-9*?][a-z0-9*?-]{0,62}$/;

function parseFleetSelector(args: string[]): FleetSelector {
  const usage =
    "Usage: `/openclaw status all`, `/openclaw status node-*` or `/openclaw status tag:prod` (add `--live` to probe now).";
  if (args.length !== 1 || args[0] === undefined) throw new ClawopsError("bad_request", usage);
  const arg = args[0].toLowerCase();
  if (arg === "all" || arg === "*") return { kind: "all" };
  if (arg.startsWith("tag:")) return { kind: "tag", tag: normalizeTag(arg.slice(4)) };
  if (!GLOB.test(arg)) {
    throw new ClawopsError("bad_request", `\`${truncate(args[0], 40)}\` is neither a host name nor a glob. ${usage}`);
  }
  return { kind: "pattern", glob: arg };
}

/** `node-*` matches `node-1`, `node-12`; `?` is one character. Host names hold no other specials. */

/** User text echoed back into Slack: shortened, and unable to act as Slack markup. */
function truncate(s: string, n: number): string {
  return escapeMrkdwn(s.length > n ? `${s.slice(0, n)}…` : s).replace(/`/g, "ˋ");
}

const BUNDLE_USAGE =
  "Usage: `/openclaw bundle <host> [--ticket KEY]`, e.g. `/openclaw bundle node-3 --ticket OPS-12` (Jira) or `--ticket acme/infra#7` (GitHub); `--ticket` may repeat.";
const TICKET_KEY = /^(?:[A-Z][A-Z0-9_]{0,30}-\d{1,9}|(?:[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100})?#\d{1,9})$/;

function parseBundle(words: string[]): Command {
  let host: string | undefined;
  const tickets: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    const inline = /^--ticket=(.+)$/.exec(w);
    if (w === "--ticket" || inline) {
      const key = inline ? inline[1] : words[++i];
      if (!key) throw new ClawopsError("bad_request", BUNDLE_USAGE);
      if (!TICKET_KEY.test(key)) {
        throw new ClawopsError(
          "bad_request",
          `\`${truncate(key, 40)}\` is not a ticket key: use a Jira key like \`OPS-12\` or a GitHub issue like \`acme/infra#7\` or \`#7\`.`,
        );
      }
      if (tickets.length >= 5) throw new ClawopsError("bad_request", "At most 5 `--ticket` options.");
      tickets.push(key);
    } else if (w.startsWith("--") || host !== undefined) {
      throw new ClawopsError("bad_request", BUNDLE_USAGE);
    } else {
      host = w;
    }
  }
  if (host === undefined) throw new ClawopsError("bad_request", BUNDLE_USAGE);
  return { kind: "bundle", host: normalizeHostName(host), tickets };
}
