import { ClawopsError } from "../errors.ts";
import { escapeMrkdwn } from "../render/mrkdwn.ts";

/**
 * The recovery runbook's commands. Kept apart from parse.ts so each command's
 * grammar can grow here (e.g. `status all|<pattern>`) without touching the shared parser.
 */
export type RecoveryCommand =
  | { kind: "freeze"; target: string; durationMs: number; reason: string }
  | { kind: "unfreeze"; target: string }
  | { kind: "status"; scope: StatusScope }
  | { kind: "audit"; host: string | null }
  | { kind: "recover"; host: string };

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
  { usage: "/openclaw unfreeze <host|all>", summary: "Lift a freeze and post the all-clear." },
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
  if (rawTarget === undefined) usage("/openclaw freeze <host|all> [for 30m] <reason>", example);
  const target = parseTarget(rawTarget, normalizeHost);
  let durationMs = DEFAULT_FREEZE_MS;
  let words = more;
  if (words[0]?.toLowerCase() === "for" && words[1] !== undefined && DURATION.test(words[1])) {
    durationMs = parseDuration(words[1]);
    words = words.slice(2);
  }
  const reason = words.join(" ").trim();
  if (!reason) {
    throw new ClawopsError("bad_request", `A freeze needs a reason people can read, e.g. \`${example}\`.`);
  }
  return { kind: "freeze", target, durationMs, reason: reason.slice(0, 300) };
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
