import { ClawopsError } from "../errors.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import type { RecoveryCommand, StartSpec, StatusScope } from "../requests/command.ts";
import { DEFAULT_FREEZE_MS, FREEZE_ALL, MAX_FREEZE_MS } from "../vocabulary/freezes.ts";
import { normalizeHostName } from "../vocabulary/hosts.ts";

/** `unfreeze <host|all>`. */
export function parseUnfreeze(rest: string[]): Extract<RecoveryCommand, { kind: "unfreeze" }> {
  const [target] = rest;
  if (rest.length !== 1 || target === undefined) usage("/openclaw unfreeze <host|all>", "/openclaw unfreeze node-3");
  return { kind: "unfreeze", target: parseTarget(target) };
}

/** `recover <host>`. */
export function parseRecover(rest: string[]): Extract<RecoveryCommand, { kind: "recover" }> {
  const [host] = rest;
  if (rest.length !== 1 || host === undefined) usage("/openclaw recover <host>", "/openclaw recover node-3");
  return { kind: "recover", host: normalizeHostName(host) };
}

/** `audit [host]`. */
export function parseAudit(rest: string[]): Extract<RecoveryCommand, { kind: "audit" }> {
  if (rest.length > 1) usage("/openclaw audit [host]", "/openclaw audit node-3");
  const [host] = rest;
  return { kind: "audit", host: host === undefined ? null : normalizeHostName(host) };
}

/** Extension point for `status all|<pattern>`. */
export function parseStatusScope(rest: string[]): StatusScope {
  if (rest.length === 0) return { kind: "freezes" };
  usage("/openclaw status", "/openclaw status");
}

/** `freeze <target> [at …] [for …] <reason>` and `freeze <target> extend <duration>`. */
export function parseFreeze(rest: string[]): Extract<RecoveryCommand, { kind: "freeze" | "schedule" | "extend" }> {
  const example = "/openclaw freeze node-3 for 45m token rotation gone wrong";
  const [rawTarget, ...more] = rest;
  if (rawTarget === undefined) usage("/openclaw freeze <host|all> [at 14:00] [for 30m] <reason>", example);
  const target = parseTarget(rawTarget);
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

function parseTarget(raw: string): string {
  return raw.toLowerCase() === FREEZE_ALL ? FREEZE_ALL : normalizeHostName(raw);
}

function usage(form: string, example: string): never {
  throw new ClawopsError("bad_request", `Usage: \`${form}\`, e.g. \`${example}\`.`);
}
