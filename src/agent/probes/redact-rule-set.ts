import { findWithRuleSet } from "../../contract/secret-rules.ts";

/**
 * The agent's second pass over what it sends, after its own patterns (redact.ts): secretlint's
 * recommended rules (src/core/bundle/rule-set.ts), each finding replaced by
 * `[REDACTED:rule-<rule>]`. The control plane runs the same rules again as its second scan, so
 * a secret these rules know is redacted here rather than refusing the whole bundle there.
 */

/** Strings shorter than this hold no credential the rule set knows (the shortest is ~20). */
const MIN_SCANNED_LENGTH = 16;

/**
 * Short strings the rules found nothing in, most recent last: the watch sends the same command
 * lines, paths and messages every 30 s and the rules are fixed, so a string seen clean before
 * costs a lookup instead of a pass of every rule. A string with a finding is scanned each time.
 * At most 128 strings of 512 characters (under 130 KB).
 */
const CLEAN_MAX_ENTRIES = 128;
const CLEAN_MAX_CHARS = 512;
const knownClean = new Set<string>();

export async function redactWithRuleSet(text: string): Promise<{ text: string; counts: Map<string, number> }> {
  if (text.length < MIN_SCANNED_LENGTH) return { text, counts: new Map() };
  const memo = text.length <= CLEAN_MAX_CHARS;
  if (memo && knownClean.delete(text)) {
    knownClean.add(text);
    return { text, counts: new Map() };
  }
  const result = await scan(text);
  if (memo && result.counts.size === 0) {
    if (knownClean.size >= CLEAN_MAX_ENTRIES) knownClean.delete(knownClean.values().next().value as string);
    knownClean.add(text);
  }
  return result;
}

async function scan(text: string): Promise<{ text: string; counts: Map<string, number> }> {
  const counts = new Map<string, number>();
  const hits = (await findWithRuleSet(text)).sort((a, b) => a.start - b.start || b.end - a.end);
  if (hits.length === 0) return { text, counts };
  let out = "";
  let at = 0;
  for (const hit of hits) {
    if (hit.end <= at) continue;
    const kind = `rule-${hit.rule.replace(/[^a-z-]/g, "") || "secret"}`;
    out += `${text.slice(at, Math.max(at, hit.start))}[REDACTED:${kind}]`;
    at = hit.end;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return { text: out + text.slice(at), counts };
}

/** Every string in a JSON-like value through `redactWithRuleSet` (object keys are kept). */
export async function redactDeepWithRuleSet<T>(value: T): Promise<T> {
  const walk = async (v: unknown): Promise<unknown> => {
    if (typeof v === "string") return v.length < MIN_SCANNED_LENGTH ? v : (await redactWithRuleSet(v)).text;
    if (Array.isArray(v)) return Promise.all(v.map(walk));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) out[k] = await walk(child);
      return out;
    }
    return v;
  };
  return (await walk(value)) as T;
}
