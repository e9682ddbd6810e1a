import { ClawopsError } from "../errors.ts";
import { INCIDENT_ID } from "../messages/buttons.ts";
import { parseSeverity } from "../paging/policy.ts";
import type { Severity } from "../ports/incident-book.ts";
import type { Command } from "../requests/command.ts";
import { parseIncidentWork } from "./incident-work-parse.ts";

/** An incident command but the declaration: it names an existing incident by id. */
export type IncidentCommand = Exclude<Extract<Command, { kind: "incident" }>, { action: "new" }>;
export type DeclareCommand = Extract<Command, { kind: "incident"; action: "new" }>;

const INCIDENT_USAGE =
  "Usage: `/openclaw incident <id> [ack|resolve|signals|actions]`, `/openclaw incident <id> sev <1-4>`, `/openclaw incident <id> add <host>`, `/openclaw incident <id> channel [name]`, `/openclaw incident <id> role <commander|comms|scribe> <@user|me>`, `/openclaw incident <id> action <text> [@owner]`, or `/openclaw incident new [sev1-4] [on <host>[,<host>…]] <title…>`; `/openclaw incidents` lists the ids.";

/** `incident <id> …`: one record, a move of it, its severity, a host added, roles and follow-ups. */
export function parseIncident(rest: string[]): IncidentCommand {
  const [id, action = "show", ...args] = rest;
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
export function parseDeclare(words: string[]): DeclareCommand {
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
