import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/**
 * What the two redaction passes cost on large and hostile text (issue 32, item 1): the agent's
 * `redactText` (src/agent/probes/redact.ts) and the control plane's second scan `scrubText`
 * (src/core/secret-scrub.ts: secretlint's rules, then its own patterns), which the hub runs on
 * every job result, progress and watch frame. Both are synchronous regex work on the thread
 * that serves everything else, so their cost must stay linear in the text's length.
 *
 * Inputs: the log of test/unit/bundle-console.test.ts (7 MiB of 3,000-character lines), the
 * 640 KiB excerpt the agent can send of it, and 1 MiB of each hostile shape: 3,000-character
 * lines made of one short unit repeated (`a.`, `--a`, `eyJ-`, `tokentoken…`, backslashes, …),
 * the shapes on which a pattern starting with an unanchored `[A-Za-z0-9_.-]*` is quadratic.
 *
 *   npx node bench/redaction.ts [--mib 1] [--baseline <checkout>]
 *
 * Each figure is the median of three runs. `--baseline` loads both redactors from another checkout instead (e.g. the commit before the
 * anchors) to measure the before; use a small `--mib` there, quadratic takes minutes.
 */
const { values } = parseArgs({ options: { mib: { type: "string" }, baseline: { type: "string" } } });
const root = resolve(values.baseline ?? new URL("..", import.meta.url).pathname);
const agent = (await import(pathToFileURL(`${root}/src/agent/probes/redact.ts`).href)) as {
  redactText(text: string): string;
};
const cp = (await import(pathToFileURL(`${root}/src/core/secret-scrub.ts`).href)) as {
  scrubText(text: string): Promise<string>;
};
const MIB = Number(values.mib ?? "1");
const LINE = 3_000;

function linesOf(unit: string, bytes: number): string {
  const line = unit.repeat(Math.ceil(LINE / unit.length)).slice(0, LINE);
  return Array.from({ length: Math.max(1, Math.round(bytes / (LINE + 1))) }, () => line).join("\n");
}

/** The bundle test's log: timestamped lines of 3,000 `y`s. */
function bundleLog(bytes: number): string {
  const n = Math.max(1, Math.round(bytes / 3_045));
  return Array.from(
    { length: n },
    (_, i) => `2026-11-22T08:${String(i % 60).padStart(2, "0")}:00.000Z [agent] line ${i} ${"y".repeat(3_000)}`,
  ).join("\n");
}

/** The median of three runs (the first also warms the regexes up). */
async function time(fn: () => unknown): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await fn();
    runs.push(performance.now() - t);
  }
  return runs.sort((a, b) => a - b)[1] ?? 0;
}

const SHAPES: Record<string, string> = {
  "y (one word)": "y",
  digits: "1",
  "a. (dotted)": "a.",
  "a- (dashed)": "a-",
  "a_ (underscored)": "a_",
  "--a (flags)": "--a",
  "eyJ- (JWT starts)": "eyJ-",
  "sk- (key prefixes)": "sk-",
  tokentoken: "token",
  "x-token": "x-token",
  AKIA: "AKIA",
  "backslashes ": "\\",
  '\\" (escaped quotes)': '\\"',
  "%41 (URL-encoded)": "%41",
  '"token":"': '"token":"',
  "Token ": "Token ",
  "a:// ": "a://",
};

const rows: string[] = [];
const row = async (name: string, text: string) => {
  const a = await time(() => agent.redactText(text));
  const c = await time(() => cp.scrubText(text));
  const mb = text.length / 1024 / 1024;
  rows.push(
    `| ${name} | ${(text.length / 1024).toFixed(0)} KiB | ${a.toFixed(0)} ms | ${c.toFixed(0)} ms | ${((a + c) / mb).toFixed(0)} ms |`,
  );
  console.error(rows.at(-1));
};

await row("bundle log, 640 KiB excerpt", bundleLog(640 * 1024));
await row(`bundle log, ${Math.round(7 * MIB)} MiB`, bundleLog(7 * MIB * 1024 * 1024));
for (const [name, unit] of Object.entries(SHAPES)) await row(name, linesOf(unit, MIB * 1024 * 1024));

console.log(
  `redaction passes, ${values.baseline ? `baseline ${root}` : "this checkout"}, ${new Date().toISOString()}\n`,
);
console.log("| input | size | agent redactText | control plane scrubText | both, per MiB |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(r);
