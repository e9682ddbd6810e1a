import { ClawopsError } from "../errors.ts";
import { escapeMrkdwn } from "../render/mrkdwn.ts";

/**
 * The recovery runbook's commands. Kept apart from parse.ts so each command's
 * grammar can grow here (e.g. `status all|<pattern>`) without touching the shared parser.
 */
export type RecoveryCommand =
  | { kind: "freeze"; target: string; durationMs: number; reason: string }
  /** `freeze <target> at 14:00 [for 30m] <reason>`: a maintenance freeze that starts later. */
  | { kind: "schedule"; target: string; at: StartSpec; durationMs: number; reason: string }
  /** `freeze <target> extend 30m`: holds an active freeze longer. */
  | { kind: "extend"; target: string; durationMs: number }
  | { kind: "unfreeze"; target: string }
  | { kind: "status"; scope: StatusScope }
  | { kind: "audit"; host: string | null }
  | { kind: "recover"; host: string };

/** When a scheduled freeze starts: the next HH:MM in UTC, or one instant (an ISO date-time). */
export type StartSpec = { kind: "time"; hour: number; minute: number } | { kind: "instant"; ms: number };

/** The furthest ahead a maintenance freeze may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;

/** `at`'s moment: `14:00` is the next 14:00 UTC strictly after `now`. */
export function resolveStart(at: StartSpec, now: number): number {
  if (at.kind === "instant") return at.ms;
  const d = new Date(now);
  const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), at.hour, at.minute);
  return today > now ? today : today + 24 * 3_600_000;
}

/** `status` with no argument: active freezes. Fleet fan-out scopes are added by extending this union. */
export type StatusScope = { kind: "freezes" };

export const DEFAULT_FREEZE_MS = 30 * 60_000;
export const MAX_FREEZE_MS = 24 * 60 * 60_000;
export const FREEZE_ALL = "all";

export const RECOVERY_COMMAND_HELP: { usage: string; summary: string }[] = [
  {
    usage: "/openclaw freeze <host|all> [for 30m] <reason>",
    summary:
      "Freeze a gateway (or the fleet): announces who, why and until when, and refuses other people's changes to it. Default 30 min, max 24 h.",
  },
  {
    usage: "/openclaw freeze <host|all> at 14:00 [for 30m] <reason>",
    summary:
      "Schedule a maintenance freeze: 14:00 is the next 14:00 UTC (or give an ISO date-time, e.g. 2026-11-24T14:00Z). Announced when set, 15 min before, at its start and at its end.",
  },
  {
    usage: "/openclaw freeze <host|all> extend 30m",
    summary:
      "Hold an active freeze longer (an automatic freeze: at least 30 min more, then it lifts after its healthy time). Incident leads only for automatic freezes.",
  },
  {
    usage: "/openclaw unfreeze <host|all>",
    summary:
      "Lift a freeze and post the all-clear (automatic freezes: incident leads only); before a scheduled freeze starts, cancel it.",
  },
  {
    usage: "/openclaw recover <host>",
    summary:
      "Run the six-step recovery runbook: freeze, snapshot, workspace/models, doctor, confirmed restart, read+write acceptance.",
  },
  { usage: "/openclaw status", summary: "Show active freezes." },
  { usage: "/openclaw audit [host]", summary: "Recent audit log entries (every command, approval, refusal, step)." },
];

type Normalize = (raw: string) => string;

/** Returns null when `sub` is not a recovery command. */
export function parseRecoveryCommand(sub: string, rest: string[], normalizeHost: Normalize): RecoveryCommand | null {
  switch (sub.toLowerCase()) {
    case "freeze":
      return parseFreeze(rest, normalizeHost);
    case "unfreeze": {
      const [target] = rest;
      if (rest.length !== 1 || target === undefined)
        usage("/openclaw unfreeze <host|all>", "/openclaw unfreeze node-3");
      return { kind: "unfreeze", target: parseTarget(target, normalizeHost) };
    }
    case "status":
      return { kind: "status", scope: parseStatusScope(rest) };
    case "recover": {
      const [host] = rest;
      if (rest.length !== 1 || host === undefined) usage("/openclaw recover <host>", "/openclaw recover node-3");
      return { kind: "recover", host: normalizeHost(host) };
    }
    case "audit": {
      if (rest.length > 1) usage("/openclaw audit [host]", "/openclaw audit node-3");
      const [host] = rest;
      return { kind: "audit", host: host === undefined ? null : normalizeHost(host) };
    }
    default:
      return null;
  }
}

/** Extension point for `status all|<pattern>`. */
export function parseStatusScope(rest: string[]): StatusScope {
  if (rest.length === 0) return { kind: "freezes" };
  usage("/openclaw status", "/openclaw status");
}

function parseFreeze(rest: string[], normalizeHost: Normalize): RecoveryCommand {
  const example = "/openclaw freeze node-3 for 45m token rotation gone wrong";
  const [rawTarget, ...more] = rest;
  if (rawTarget === undefined) usage("/openclaw freeze <host|all> [at 14:00] [for 30m] <reason>", example);
  const target = parseTarget(rawTarget, normalizeHost);
  if (more[0]?.toLowerCase() === "extend") {
    const [, amount] = more;
    if (more.length !== 2 || amount === undefined || !DURATION.test(amount))
      usage("/openclaw freeze <host|all> extend <30m|2h>", `/openclaw freeze ${rawTarget} extend 30m`);
    return { kind: "extend", target, durationMs: parseDuration(amount) };
  }
  let durationMs = DEFAULT_FREEZE_MS;
  let at: StartSpec | null = null;
  let words = more;
  for (let option = 0; option < 2; option++) {
    const word = words[0]?.toLowerCase();
    if (word === "for" && words[1] !== undefined && DURATION.test(words[1])) {
      durationMs = parseDuration(words[1]);
      words = words.slice(2);
    } else if (word === "at" && at === null && words[1] !== undefined && /^\d/.test(words[1])) {
      // Only a word starting with a digit is a start time: "at risk of …" stays a reason.
      at = parseStart(words[1]);
      // `at 14:00 UTC`: the zone is the only one there is.
      words = words.slice(words[2]?.toUpperCase() === "UTC" ? 3 : 2);
    }
  }
  const reason = words.join(" ").trim();
  if (!reason) {
    throw new ClawopsError("bad_request", `A freeze needs a reason people can read, e.g. \`${example}\`.`);
  }
  return at === null
    ? { kind: "freeze", target, durationMs, reason: reason.slice(0, 300) }
    : { kind: "schedule", target, at, durationMs, reason: reason.slice(0, 300) };
}

const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** `14:00` (the next one, UTC) or an ISO date-time (`2026-11-24T14:00Z`; without a zone, UTC). */
export function parseStart(text: string): StartSpec {
  const clock = CLOCK.exec(text);
  if (clock) return { kind: "time", hour: Number(clock[1]), minute: Number(clock[2]) };
  if (ISO_DATE_TIME.test(text)) {
    const zoned = /(Z|[+-]\d{2}:\d{2})$/i.test(text) ? text : `${text}Z`;
    const ms = Date.parse(zoned.toUpperCase());
    if (Number.isFinite(ms)) return { kind: "instant", ms };
  }
  throw new ClawopsError(
    "bad_request",
    `\`${escapeMrkdwn(text.slice(0, 40))}\` is not a start time: use \`14:00\` (the next 14:00 UTC) or an ISO date-time like \`2026-11-24T14:00Z\`.`,
  );
}

const DURATION = /^(\d{1,4})(m|min|h|hr)$/i;

export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m?.[1] || !m[2]) throw new ClawopsError("bad_request", "Durations look like `30m` or `2h`.");
  const ms = Number(m[1]) * (m[2].toLowerCase().startsWith("h") ? 3_600_000 : 60_000);
  if (ms <= 0 || ms > MAX_FREEZE_MS) {
    throw new ClawopsError(
      "bad_request",
      `A freeze lasts between 1 minute and 24 hours (\`${escapeMrkdwn(text)}\` is outside); freeze again to extend it.`,
    );
  }
  return ms;
}

function parseTarget(raw: string, normalizeHost: Normalize): string {
  return raw.toLowerCase() === FREEZE_ALL ? FREEZE_ALL : normalizeHost(raw);
}

function usage(form: string, example: string): never {
  throw new ClawopsError("bad_request", `Usage: \`${form}\`, e.g. \`${example}\`.`);
}
