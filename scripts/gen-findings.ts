/**
 * Writes docs/findings.md, the findings catalog as a table, from the rules themselves
 * (src/core/classify/rules.ts, RULES) and from the tests that name them.
 *
 *   node scripts/gen-findings.ts           write docs/findings.md
 *   node scripts/gen-findings.ts --check   exit 1 if docs/findings.md is not what it would write
 *
 * "How proven" is read from the tests, not written by hand: a rule counts as tested by a file
 * when its id appears there as a literal, outside comments and outside lines that assert its
 * absence (`.not.`). The strongest place wins:
 *   - real gateway: a test in test/gateway/ (a real OpenClaw gateway in a fault state);
 *   - real capture: a unit test case that reads real gateway output captured into
 *     test/unit/fixtures/ (a fixture whose name says "constructed" is not real output);
 *   - dist strings: a unit test case that reads a fixture built from the OpenClaw package's own
 *     log strings and file formats (its name holds "dist-strings"), for a state the lab cannot make;
 *   - synthetic: any other test (step results built in code, quoted lines);
 *   - untested: no test names the rule.
 * The output depends only on the rules and the test files, never on the clock or the file
 * system's order, so the check can run anywhere.
 */
import { type Dirent, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { RULES } from "../src/core/classify/rules.ts";
import { SEED_COVERAGE } from "./findings-seeds.ts";
import { STRING_SOURCES } from "./findings-sources.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const FINDINGS_DOC = "docs/findings.md";
export const REGENERATE = "node scripts/gen-findings.ts";

type Proof = "real gateway" | "real capture" | "dist strings" | "synthetic";
const STRENGTH: readonly Proof[] = ["real gateway", "real capture", "dist strings", "synthetic"];

function listFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)])).sort();
}

const posix = (path: string) => relative(root, path).split(sep).join("/");

/**
 * The fixtures, as the names a test uses for them: `real` are captured gateway output; `made`
 * are words that only the names of constructed fixtures have (a table row saying "constructed").
 */
function fixtureNames(): { real: string[]; stems: string[]; made: string[]; dist: string[] } {
  const names = listFiles(join(root, "test/unit/fixtures")).map((f) => f.slice(f.lastIndexOf(sep) + 1));
  const stem = (name: string) => name.split(".")[0] ?? name;
  const dist = names.filter((n) => n.includes("dist-strings"));
  const real = names.filter((n) => !n.includes("constructed") && !n.includes("dist-strings"));
  const realWords = new Set(real.flatMap((n) => stem(n).split("-")));
  const made = names
    .filter((n) => n.includes("constructed"))
    .flatMap((n) => stem(n).split("-"))
    .filter((w) => !realWords.has(w));
  return { real, stems: real.map(stem), made: [...new Set(made)], dist };
}

/** The file without comments (ids in prose are not tests). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " ")).replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** A file cut into its test cases: from one `it(`/`test(` line to the next case or describe. */
function testCases(text: string): string[] {
  const cases: string[] = [];
  let current: string[] | null = null;
  for (const line of text.split("\n")) {
    if (/^\s*(it|test|describe)(\.\w+)*(\(|\.each)/.test(line)) {
      if (current) cases.push(current.join("\n"));
      current = /^\s*describe/.test(line) ? null : [line];
      continue;
    }
    current?.push(line);
  }
  if (current) cases.push(current.join("\n"));
  return cases;
}

/**
 * Module-level names (helpers, constants) whose definition reads a real capture, so a case
 * that calls `realLogUntil(…)` reads one as surely as a case that names the file.
 */
function captureHelpers(text: string, fixtures: readonly string[]): string[] {
  const names: string[] = [];
  const decl = /^(?:export )?(?:const|let|function|async function) (\w+)/;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const name = decl.exec(lines[i] ?? "")?.[1];
    if (!name) continue;
    let end = i + 1;
    while (end < lines.length && !decl.test(lines[end] ?? "") && !/^(describe|it|test)\(/.test(lines[end] ?? "")) {
      end++;
    }
    const body = lines.slice(i, end).join("\n");
    if (fixtures.some((f) => body.includes(f))) names.push(name);
  }
  return names;
}

const words = new Map<string, RegExp>();
/** `w` as a whole word (not inside a longer id); one RegExp per word, made once. */
function word(w: string): RegExp {
  let re = words.get(w);
  if (!re) {
    re = new RegExp(`(?<![\\w-])${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`);
    words.set(w, re);
  }
  return re;
}

/** Lines that name the rule, leaving out those asserting its absence. */
function mentionLines(text: string, id: string): string[] {
  if (!text.includes(id)) return [];
  const re = word(id);
  return text.split("\n").filter((line) => !line.includes(".not.") && re.test(line));
}

/**
 * Whether a case that names the rule runs it on a real capture. In a table (`it.each`), the
 * row that names the rule decides when it names a fixture itself ("real-gateway",
 * "constructed"); otherwise the case's body does.
 */
function caseReadsCapture(c: string, id: string, f: ReturnType<typeof fixtureNames>, helpers: string[]): boolean {
  const body = f.real.some((name) => c.includes(name)) || helpers.some((h) => word(h).test(c));
  return mentionLines(c, id).some((row) => {
    if (f.stems.some((s) => word(s).test(row))) return true;
    if (f.made.some((m) => word(m).test(row))) return false;
    return body;
  });
}

function proofs(): Map<string, { kind: Proof; files: string[] }> {
  const fixtures = fixtureNames();
  const files = listFiles(join(root, "test")).filter((f) => f.endsWith(".test.ts"));
  const found = new Map<string, { kind: Proof; files: string[] }>();
  const note = (id: string, kind: Proof, file: string) => {
    const have = found.get(id);
    if (have && STRENGTH.indexOf(have.kind) < STRENGTH.indexOf(kind)) return;
    if (have && have.kind === kind) {
      if (!have.files.includes(file)) have.files.push(file);
      return;
    }
    found.set(id, { kind, files: [file] });
  };
  for (const path of files) {
    const file = posix(path);
    const text = stripComments(readFileSync(path, "utf8"));
    const helpers = captureHelpers(text, fixtures.real);
    const distHelpers = captureHelpers(text, fixtures.dist);
    const cases = testCases(text);
    const readsDist = (c: string, id: string) =>
      mentionLines(c, id).length > 0 &&
      (fixtures.dist.some((name) => c.includes(name)) || distHelpers.some((h) => word(h).test(c)));
    for (const rule of RULES) {
      if (mentionLines(text, rule.id).length === 0) continue;
      if (file.startsWith("test/gateway/")) note(rule.id, "real gateway", file);
      else if (cases.some((c) => caseReadsCapture(c, rule.id, fixtures, helpers))) note(rule.id, "real capture", file);
      else if (cases.some((c) => readsDist(c, rule.id))) note(rule.id, "dist strings", file);
      else note(rule.id, "synthetic", file);
    }
  }
  return found;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The whole of docs/findings.md. */
export function renderFindingsDoc(): string {
  const found = proofs();
  const rows = RULES.map((r) => {
    const p = found.get(r.id);
    const proven = p ? `${p.kind} (${[...p.files].sort().join(", ")})` : "untested";
    return `| \`${r.id}\` | ${r.layer} | ${r.severity} | ${cell(r.title)} | ${proven} |`;
  });
  const count = (kind: Proof | "untested") =>
    RULES.filter((r) => (found.get(r.id)?.kind ?? "untested") === kind).length;
  return [
    "# Findings catalog",
    "",
    `<!-- Generated by \`${REGENERATE}\` from src/core/classify/rules*.ts and test/. Do not edit. -->`,
    "",
    "Every rule the classifier has, in catalog order (among findings of equal severity and",
    "confidence, this order ranks them: root causes before the symptoms they produce). The",
    "explanation, next commands and false green of each rule are in the source:",
    "[`src/core/classify/rules.ts`](../src/core/classify/rules.ts) and the `rules-*.ts` beside it.",
    "",
    "**How proven** is derived from the tests: the files where the rule's id appears as a literal",
    "(outside comments and `.not.` assertions), by the strongest kind found:",
    "",
    "- **real gateway**: a test in `test/gateway/` that drives a real OpenClaw gateway;",
    "- **real capture**: a unit test case that reads real gateway output captured into",
    "  `test/unit/fixtures/` (CLI output, gateway log lines, RPC answers);",
    "- **dist strings**: a unit test case that reads a fixture built from the OpenClaw package's own",
    "  log strings and file formats (`test/unit/fixtures/**/*dist-strings*`), for a state the lab",
    "  gateway cannot be brought into in a test's time;",
    "- **synthetic**: other tests, on step results built in code or quoted lines;",
    "- **untested**: no test names the rule.",
    "",
    `${RULES.length} rules: ${count("real gateway")} real gateway, ${count("real capture")} real capture, ` +
      `${count("dist strings")} dist strings, ${count("synthetic")} synthetic, ${count("untested")} untested.`,
    "",
    "| rule | layer | severity | what it says | how proven |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...seedCoverage(),
    ...stringSources(),
  ].join("\n");
}

/** The seeds' items answered by other means than a finding of their own (scripts/findings-seeds.ts). */
function seedCoverage(): string[] {
  const known = new Set(RULES.map((r) => r.id));
  for (const row of SEED_COVERAGE)
    for (const id of row.rules)
      if (!known.has(id)) throw new Error(`findings-seeds.ts names ${id}, which is not a rule`);
  return [
    "## Seed items covered without a finding of their own",
    "",
    "| seed item | answered by | how | shown by |",
    "| --- | --- | --- | --- |",
    ...SEED_COVERAGE.map(
      (s) =>
        `| ${cell(s.item)} | ${s.rules.length ? s.rules.map((r) => `\`${r}\``).join(", ") : "the recover runbook"} | ${cell(s.how)} | ${cell(s.proof.join("; "))} |`,
    ),
    "",
  ];
}

/** Issue 46's rules: the strings they read, where each was found, why fail or warn (scripts/findings-sources.ts). */
function stringSources(): string[] {
  const known = new Set(RULES.map((r) => r.id));
  for (const row of STRING_SOURCES)
    if (!known.has(row.rule)) throw new Error(`findings-sources.ts names ${row.rule}, which is not a rule`);
  const quote = (s: string) => `\`${s.replace(/`/g, "'")}\``;
  return [
    "## Where the strings of the dist-strings rules come from (issue 46)",
    "",
    "Each line below was read in the `openclaw@2026.9.6` package's `dist/` (file named without its",
    "build hash) or, where named, in the issue reports clawops issue 46 cites. A log the agent finds and cannot read (a",
    "directory, another user's file) leaves the Config layer unknown with the reason, never green.",
    "",
    "| rule | lines it reads | from | severity, and why |",
    "| --- | --- | --- | --- |",
    ...STRING_SOURCES.map(
      (s) =>
        // Not `| \`id\``: that row shape is the catalog table's (findings-doc.test.ts counts it).
        `| **${s.rule}** | ${cell(s.strings.map(quote).join("; "))} | ${cell(s.from.join("; "))} | ${cell(s.severity)} |`,
    ),
    "",
  ];
}

function main(argv: readonly string[]): number {
  const want = renderFindingsDoc();
  const path = join(root, FINDINGS_DOC);
  if (argv.includes("--check")) {
    let have = "";
    try {
      have = readFileSync(path, "utf8");
    } catch {
      // missing: reported as out of date below
    }
    if (have === want) return 0;
    process.stderr.write(`${FINDINGS_DOC} is out of date with the rule catalog or the tests. Run: ${REGENERATE}\n`);
    return 1;
  }
  writeFileSync(path, want);
  process.stdout.write(`wrote ${FINDINGS_DOC} (${RULES.length} rules)\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
