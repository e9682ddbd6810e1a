import JSON5 from "json5";
import { errorMessage } from "../../contract/errors.ts";

/**
 * Which keys differ between two versions of `openclaw.json`, by dotted name only: the values are
 * compared on the host and never leave it (a config holds tokens and API keys).
 */

const MAX_KEYS = 20;
const MAX_DEPTH = 6;

/** The dotted names of every leaf (a scalar, an array or an empty object), down to MAX_DEPTH. */
export function leafKeys(value: unknown, prefix = "", depth = 0, out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < MAX_DEPTH) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.set(prefix, "{}");
    for (const [k, v] of entries) leafKeys(v, prefix ? `${prefix}.${k}` : k, depth + 1, out);
    return out;
  }
  if (prefix) out.set(prefix, JSON.stringify(value) ?? "undefined");
  return out;
}

/**
 * The keys of a clobbered copy (what the operator wrote) that the current file (what the gateway
 * restored) does not have with the same value, and the current file's keys the copy lacks.
 */
export function clobberedChanges(clobbered: string, current: string | null): { keys: string[]; error?: string } {
  let before: unknown;
  try {
    before = JSON5.parse(clobbered);
  } catch (err) {
    return { keys: [], error: `the clobbered copy does not parse: ${errorMessage(err)}` };
  }
  let now: unknown = {};
  if (current !== null) {
    try {
      now = JSON5.parse(current);
    } catch (err) {
      return { keys: [], error: `the current config does not parse: ${errorMessage(err)}` };
    }
  }
  const a = leafKeys(before);
  const b = leafKeys(now);
  const changed = new Set<string>();
  for (const [k, v] of a) if (b.get(k) !== v) changed.add(k);
  for (const k of b.keys()) if (!a.has(k)) changed.add(k);
  return { keys: [...changed].sort().slice(0, MAX_KEYS) };
}
