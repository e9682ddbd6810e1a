import JSON5 from "json5";

/** openclaw.json's text as OpenClaw reads it (JSON5: comments, trailing commas), or why it does not parse. */
export type ParsedConfigText = { ok: true; root: unknown } | { ok: false; error: unknown };

let last: { text: string; parsed: ParsedConfigText } | undefined;

/**
 * Parses openclaw.json's text, keeping the last text's answer: a quick probe reads the file for
 * its settings, its channel credentials (redaction) and its vitals, every watch interval, and
 * the file rarely changes between two probes. JSON5's parser, interpreted under the agent's
 * flags, cost about 2 ms a parse (docs/benchmarks.md "The watch's CPU per probe"). The tree is
 * shared between callers, so it is frozen: nobody can change what another caller reads.
 */
export function parseConfigText(text: string): ParsedConfigText {
  if (last?.text === text) return last.parsed;
  let parsed: ParsedConfigText;
  try {
    parsed = { ok: true, root: deepFreeze(JSON5.parse(text)) };
  } catch (error) {
    parsed = { ok: false, error };
  }
  last = { text, parsed };
  return parsed;
}

function deepFreeze(value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
