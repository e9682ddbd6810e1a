import { ClawopsError } from "../errors.ts";
import { parseSince } from "../incidents/report.ts";
import { FINDING_ID, INCIDENT_ID } from "../messages/buttons.ts";
import { parseSeverity } from "../paging/policy.ts";
import type { Severity } from "../ports/incident-book.ts";
import type { Command, FleetSelector, HostsFilter } from "../requests/command.ts";
import { HOST_GLOB, normalizeHostName, normalizeTag, TAG, truncate } from "../vocabulary/hosts.ts";
import { parseIncidentWork } from "./incident-work-parse.ts";
import { parseRecoveryCommand } from "./recovery-parse.ts";
import { parseTicketCommand } from "./ticket-parse.ts";

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
      if (rest.length === 0) return parseRecoveryCommand("status", rest) ?? { kind: "help" };
      return rest.includes("--live")
        ? { kind: "fleet-status", selector: parseFleetSelector(rest.filter((a) => a !== "--live")), live: true }
        : { kind: "fleet-status", selector: parseFleetSelector(rest) };
    case "incidents": {
      const scope = (rest[0] ?? "open").toLowerCase();
      if (rest.length > 1 || (scope !== "open" && scope !== "all"))
        throw new ClawopsError("bad_request", "Usage: `/openclaw incidents [open|all]` (default: open).");
      return { kind: "incidents", scope };
    }
    case "incident":
      return parseIncident(rest);
    case "report":
      if (rest.length > 1)
        throw new ClawopsError("bad_request", "Usage: `/openclaw report [<N>d|<N>h]` (default 30d).");
      return { kind: "report", windowMs: parseSince(rest[0]) };
    case "snoozes":
      if (rest.length > 0) throw new ClawopsError("bad_request", "Usage: `/openclaw snoozes`.");
      return { kind: "snoozes" };
    case "snooze":
      return parseSnooze(rest);
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
    case "upgrade-agent":
      return parseUpgradeAgent(rest);
    case "upgrade":
      return parseUpgrade(rest);
    case "known-issues": {
      const [target] = rest;
      if (rest.length > 1)
        throw new ClawopsError(
          "bad_request",
          "Usage: `/openclaw known-issues [<host>|all]`, e.g. `/openclaw known-issues node-3` (default: all).",
        );
      return {
        kind: "known-issues",
        host: target === undefined || target.toLowerCase() === "all" ? null : normalizeHostName(target),
      };
    }
    case "expiries":
      if (rest.length > 1 || (rest[0] !== undefined && rest[0].toLowerCase() !== "all"))
        throw new ClawopsError("bad_request", "Usage: `/openclaw expiries` (the whole fleet; `all` is the same).");
      return { kind: "expiries" };
    // Issue 29, items 6 and 8: tickets and the postmortem draft (ticket-parse.ts).
    case "ticket":
    case "postmortem":
      return parseTicketCommand(sub.toLowerCase(), rest);
    default: {
      const recovery = parseRecoveryCommand(sub ?? "", rest);
      if (recovery) return recovery;
      throw new ClawopsError(
        "unknown_command",
        `Unknown command \`${truncate(sub ?? "", 40)}\`. Try \`/openclaw help\` for the list of commands.`,
      );
    }
  }
}

const SNOOZE_USAGE =
  "Usage: `/openclaw snooze <host> <finding> 1h|1d|until-version|off`, e.g. `/openclaw snooze node-3 gateway-down 1h`; `/openclaw snoozes` lists them.";

const SNOOZE_SPANS: Record<string, { ms: number; words: string }> = {
  "1h": { ms: 3_600_000, words: "1 hour" },
  "1d": { ms: 86_400_000, words: "1 day" },
};

function parseSnooze(args: string[]): Command {
  const [host, finding, span, ...extra] = args;
  if (!host || !finding || !span || extra.length > 0 || !FINDING_ID.test(finding)) {
    throw new ClawopsError("bad_request", SNOOZE_USAGE);
  }
  const word = span.toLowerCase();
  const duration = SNOOZE_SPANS[word];
  const spanOf = duration
    ? ({ kind: "duration", ...duration } as const)
    : word === "until-version"
      ? ({ kind: "until-version" } as const)
      : word === "off"
        ? ({ kind: "off" } as const)
        : null;
  if (!spanOf) throw new ClawopsError("bad_request", SNOOZE_USAGE);
  return { kind: "snooze", host: normalizeHostName(host), finding, for: spanOf };
}

const UPGRADE_USAGE =
  "Usage: `/openclaw upgrade-agent <host|node-*|tag:…|all> [--wave N%]`, e.g. `/openclaw upgrade-agent tag:canary` or `/openclaw upgrade-agent all --wave 10%`.";

/** `upgrade-agent <selector> [--wave N%]`: N% of the hosts at a time (default all at once, 100%). */
function parseUpgradeAgent(args: string[]): Command {
  let wavePercent = 100;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--wave" || a.startsWith("--wave=")) {
      const value = a === "--wave" ? args[++i] : a.slice("--wave=".length);
      const m = /^(\d{1,3})%?$/.exec(value ?? "");
      const n = m ? Number(m[1]) : Number.NaN;
      if (!(n >= 1 && n <= 100)) {
        throw new ClawopsError(
          "bad_request",
          `\`--wave ${truncate(value ?? "", 20)}\` is not a share from 1% to 100%. ${UPGRADE_USAGE}`,
        );
      }
      wavePercent = n;
    } else rest.push(a);
  }
  return { kind: "upgrade-agent", selector: parseFleetSelector(rest, UPGRADE_USAGE), wavePercent };
}

const GATEWAY_UPGRADE_USAGE =
  "Usage: `/openclaw upgrade <host|node-*|tag:…|all> to <version> [--dry-run]`, e.g. `/openclaw upgrade tag:canary to 2026.9.6 --dry-run` (the plan), then without `--dry-run` (the run).";

/** `upgrade <selector> to <version> [--dry-run]`: the gateways' OpenClaw (issue 42, item 1). */
function parseUpgrade(args: string[]): Command {
  const dryRun = args.includes("--dry-run");
  const words = args.filter((a) => a !== "--dry-run");
  const [selector, to, version, ...extra] = words;
  if (selector === undefined || to?.toLowerCase() !== "to" || version === undefined || extra.length > 0)
    throw new ClawopsError("bad_request", GATEWAY_UPGRADE_USAGE);
  return {
    kind: "upgrade",
    selector: parseFleetSelector([selector], GATEWAY_UPGRADE_USAGE),
    selectorText: truncate(selector, 60),
    version: truncate(version, 40),
    dryRun,
  };
}

function parseFleetSelector(
  args: string[],
  usage = "Usage: `/openclaw status all`, `/openclaw status node-*` or `/openclaw status tag:prod` (add `--live` to probe now).",
): FleetSelector {
  if (args.length !== 1 || args[0] === undefined) throw new ClawopsError("bad_request", usage);
  const arg = args[0].toLowerCase();
  if (arg === "all" || arg === "*") return { kind: "all" };
  if (arg.startsWith("tag:")) return { kind: "tag", tag: normalizeTag(arg.slice(4)) };
  if (!HOST_GLOB.test(arg)) {
    throw new ClawopsError("bad_request", `\`${truncate(args[0], 40)}\` is neither a host name nor a glob. ${usage}`);
  }
  return { kind: "pattern", glob: arg };
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

const HOSTS_USAGE =
  "Usage: `/openclaw hosts [<pattern> | tag:<tag> | state:online|offline|revoked] [page <n>]`, e.g. `/openclaw hosts node-* page 2`.";

/** The words after `hosts`: an optional filter, then an optional `page <n>`. */
export function parseHostsArgs(words: readonly string[]): { filter?: HostsFilter; page?: number } {
  const rest = words.map((w) => w.toLowerCase());
  let page: number | undefined;
  const at = rest.indexOf("page");
  if (at >= 0) {
    const n = Number(rest[at + 1]);
    if (at !== rest.length - 2 || !Number.isInteger(n) || n < 1 || n > 10_000)
      throw new ClawopsError("bad_request", HOSTS_USAGE);
    page = n;
    rest.splice(at, 2);
  }
  if (rest.length > 1) throw new ClawopsError("bad_request", HOSTS_USAGE);
  const arg = rest[0];
  const out: { filter?: HostsFilter; page?: number } = page === undefined ? {} : { page };
  if (arg === undefined || arg === "all" || arg === "*") return out;
  if (arg.startsWith("tag:")) {
    if (!TAG.test(arg.slice(4))) throw new ClawopsError("bad_request", HOSTS_USAGE);
    return { ...out, filter: { kind: "tag", tag: arg.slice(4) } };
  }
  if (arg.startsWith("state:")) {
    const state = arg.slice(6);
    if (state !== "online" && state !== "offline" && state !== "revoked")
      throw new ClawopsError("bad_request", HOSTS_USAGE);
    return { ...out, filter: { kind: "state", state } };
  }
  if (!HOST_GLOB.test(arg)) throw new ClawopsError("bad_request", HOSTS_USAGE);
  return { ...out, filter: { kind: "pattern", glob: arg } };
}

const INCIDENT_USAGE =
  "Usage: `/openclaw incident <id> [ack|resolve|signals|actions]`, `/openclaw incident <id> sev <1-4>`, `/openclaw incident <id> add <host>`, `/openclaw incident <id> channel [name]`, `/openclaw incident <id> role <commander|comms|scribe> <@user|me>`, `/openclaw incident <id> action <text> [@owner]`, or `/openclaw incident new [sev1-4] [on <host>[,<host>…]] <title…>`; `/openclaw incidents` lists the ids.";

/** `incident …`: one record, a move of it, its severity, a host added, or a new one declared by hand. */
function parseIncident(rest: string[]): Command {
  const [id, action = "show", ...args] = rest;
  if (id?.toLowerCase() === "new") return parseDeclare(rest.slice(1));
  if (!id || !INCIDENT_ID.test(id)) throw new ClawopsError("bad_request", INCIDENT_USAGE);
  const verb = action.toLowerCase();
  // Issue 41: roles and follow-up actions (incident-work-parse.ts).
  const work = parseIncidentWork(id, verb, args);
  if (work) return work;
  if (verb === "sev" || verb === "severity") {
    const severity = args.length === 1 ? parseSeverity(args[0] ?? "") : null;
    if (!severity)
      throw new ClawopsError("bad_request", "Usage: `/openclaw incident <id> sev <1-4>` (sev1 is the worst).");
    return { kind: "incident", id, action: "sev", severity };
  }
  if (verb === "channel") {
    if (args.length > 1)
      throw new ClawopsError(
        "bad_request",
        "Usage: `/openclaw incident <id> channel [name]` (default: from the template).",
      );
    return { kind: "incident", id, action: "channel", ...(args[0] ? { name: args[0] } : {}) };
  }
  if (verb === "add") {
    if (args.length !== 1 || !args[0])
      throw new ClawopsError("bad_request", "Usage: `/openclaw incident <id> add <host>`.");
    return { kind: "incident", id, action: "add", host: args[0] };
  }
  if (args.length > 0 || (verb !== "show" && verb !== "ack" && verb !== "resolve" && verb !== "signals"))
    throw new ClawopsError("bad_request", INCIDENT_USAGE);
  return { kind: "incident", id, action: verb };
}

/** `incident new [sevN] [on <host>[,<host>…]] <title…>`: what a person declares before any probe sees it. */
function parseDeclare(words: string[]): Command {
  let rest = words;
  let severity: Severity = "sev3";
  const sev = rest[0] ? parseSeverity(rest[0]) : null;
  if (sev && /^sev/i.test(rest[0] ?? "")) {
    severity = sev;
    rest = rest.slice(1);
  }
  let hosts: string[] = [];
  if (rest[0]?.toLowerCase() === "on" && rest[1]) {
    hosts = rest[1]
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
    rest = rest.slice(2);
  }
  const title = rest.join(" ").trim();
  if (!title) {
    throw new ClawopsError(
      "bad_request",
      "Usage: `/openclaw incident new [sev1-4] [on <host>[,<host>…]] <title…>`, e.g. `/openclaw incident new sev2 on node-3 replies stopped in #support`.",
    );
  }
  if (title.length > 140) throw new ClawopsError("bad_request", "An incident's title is at most 140 characters.");
  return { kind: "incident", id: null, action: "new", severity, hosts, title };
}
