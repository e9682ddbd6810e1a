/**
 * `engines.node` as OpenClaw writes it (`>=24.16.0 <25 || >=26.1.0`): comparators joined by
 * spaces (all must hold), alternatives by `||`. Only what those ranges use; anything else is
 * reported as unreadable, not guessed.
 */
type Triple = [number, number, number];

function triple(text: string): Triple | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : null;
}

function cmp(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether Node `version` (`v24.21.0`, `24.21.0`) satisfies `range`; null when either cannot be read. */
export function nodeSatisfies(version: string, range: string): boolean | null {
  const v = triple(version);
  if (!v) return null;
  let any = false;
  for (const alternative of range.split("||")) {
    let all = true;
    for (const part of alternative.trim().split(/\s+/).filter(Boolean)) {
      const m = /^(>=|<=|>|<|=)?(.+)$/.exec(part);
      const bound = m ? triple(m[2] as string) : null;
      if (!m || !bound) return null;
      const d = cmp(v, bound);
      const op = m[1] ?? "=";
      const ok = op === ">=" ? d >= 0 : op === ">" ? d > 0 : op === "<=" ? d <= 0 : op === "<" ? d < 0 : d === 0;
      if (!ok) all = false;
    }
    if (all) any = true;
  }
  return any;
}
