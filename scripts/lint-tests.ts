/**
 * Tests go through the harness (`npm run lint:tests`, part of `npm run lint`; docs/testing.md, "The harness").
 *
 * A test file (test/**\/*.test.ts) may import the module under test, the harness
 * (test/support/harness.ts) and the planes and stand-ins in test/support. What it may not do is
 * build the wiring those already build: CoreDeps by hand, a logger of its own, the control
 * plane's composition root, the agent hub, a free-port finder, a Slack signature, an HMAC in
 * WebCrypto, an authorization file. Each rule below names what to use instead. A file that
 * reaches past on purpose (a test OF that adapter) says so in ./lint-tests-allowances.ts, with
 * its reason; an allowance a file no longer needs is itself an error, so the list only shrinks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ALLOWANCES, type Allowance } from "./lint-tests-allowances.ts";

export interface TestRule {
  id: string;
  /** What the file does, for the message. */
  what: string;
  /** What to use instead, naming the harness function. */
  use: string;
  pattern: RegExp;
  /** Only files under these folders (relative to the repository, `/`-separated); all test files when absent. */
  under?: string[];
  /** Only files whose code also matches this (e.g. imports the thing the pattern calls). */
  requires?: RegExp;
}

export const TEST_RULES: readonly TestRule[] = [
  {
    id: "core-deps",
    what: "builds CoreDeps by hand",
    use: "testDeps({ ...only what the test is about }) from test/support/harness.ts (in-memory store, fake transport, recording chat, in-process jobs, memory recovery by default)",
    // A literal, or one cast (`{ … } as unknown as CoreDeps`); one that starts from another CoreDeps
    // (`{ ...deps, paging }`) varies one the harness built.
    pattern: /:\s*CoreDeps\s*=\s*\{(?!\s*\.\.\.)|\bas\s+unknown\s+as\s+CoreDeps\b|\bnew\s+InProcessJobs\s*\(/,
  },
  {
    id: "logger",
    what: "writes a logger of its own",
    use: "quietLogger (keeps nothing) or collectingLogger() (keeps every line: .lines, .text(), .messages(level)) from test/support/harness.ts (in the Workers pool: test/support/loggers.ts)",
    pattern:
      /\bimplements\s+Logger\b|:\s*Logger\s*=\s*\{|\{\s*(?:debug\b[^,\n]*,\s*)?info\s*(?:\(\s*\)\s*\{\s*\}|(?:\([^)]*\)|:\s*(?:\([^)]*\)|\w+)\s*=>)[^\n]*)\s*,\s*warn\b/,
  },
  {
    id: "control-plane",
    what: "starts the control plane's composition root (startControlPlane) itself",
    use: "startNodePlane({ name, config }) from test/support/node-plane.ts (a control plane in this process on a temp data dir, console on, quiet logger), or startSlackPlane (test/support/slack-plane.ts) with the Slack stand-in and signed requests",
    pattern: /\bstartControlPlane\s*\(/,
    requires: /import\s*\{[^}]*\bstartControlPlane\b[^}]*\}\s*from\s*["'][^"']*src\/node\/server\.ts["']/,
  },
  {
    id: "agent-hub",
    what: "builds the agent hub (new AgentHub) itself",
    use: "startNodePlane or startSlackPlane, with agents from SimAgents (test/support/sim-agents.ts)",
    pattern: /\bnew\s+AgentHub\s*\(/,
  },
  {
    id: "free-port",
    what: "finds a free port with a helper of its own",
    use: "freePort() from test/support/harness.ts (below the ephemeral range, so a restart can bind it again)",
    pattern:
      /(?:function\s+\w*[Pp]ort\w*\s*\(|const\s+\w*[Pp]ort\w*\s*=\s*(?:async\s*)?\([^)]*\)\s*(?::[^=]+)?=>)[\s\S]{0,400}?\.listen\(\s*(?:0\b|\{\s*port:\s*0\b)/,
  },
  {
    id: "slack-signature",
    what: "signs a Slack request by hand (the `v0:<timestamp>:<body>` base string)",
    use: "signSlack / postSlashCommand / postSlackEvent from test/support/slack-signing.ts (in the Workers pool: slackHeaders / postSlashCommand from test/workers/signed-slack.ts)",
    pattern: /`v0:\$\{/,
  },
  {
    id: "webcrypto-hmac",
    what: "writes an HMAC in WebCrypto of its own",
    use: "hmacSha256Hex(secret, message) from test/workers/signed-slack.ts",
    pattern: /\bcrypto\.subtle\.importKey\s*\([\s\S]{0,200}?\bHMAC\b/,
  },
  {
    id: "authz-file",
    what: "writes the authorization file itself",
    use: "startSlackPlane({ authz: {...} }) (test/support/slack-plane.ts) or startNodePlane({ authz: {...} }) (test/support/node-plane.ts), which write it as an operator does",
    pattern: /write(?:File|FileSync)\s*\(\s*(?:[^;]*["']authz[\w.-]*\.json|authz\w*\s*,)/,
  },
];

export interface Violation {
  file: string;
  rule: string;
  line: number;
  message: string;
}

/** The source without comments, lines kept (so line numbers stay), for matching code only. */
export function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/^\s*\/\/.*$/gm, (c) => c.replace(/[^\n]/g, " "));
}

/** Every rule `file` (repository-relative, `/`-separated) breaks, with the first line it breaks it on. */
export function lintTestSource(file: string, source: string, rules: readonly TestRule[] = TEST_RULES): Violation[] {
  const code = codeOnly(source);
  const out: Violation[] = [];
  for (const rule of rules) {
    if (rule.under && !rule.under.some((dir) => file.startsWith(`${dir}/`))) continue;
    if (rule.requires && !rule.requires.test(code)) continue;
    const m = rule.pattern.exec(code);
    if (!m) continue;
    const line = code.slice(0, m.index).split("\n").length;
    out.push({ file, rule: rule.id, line, message: `${file}:${line} ${rule.what}: use ${rule.use}.` });
  }
  return out;
}

export interface TestLintResult {
  files: number;
  /** Reaching past the harness with no allowance. */
  violations: Violation[];
  /** Allowances no longer needed (the file is gone or no longer breaks that rule): remove them. */
  stale: string[];
}

/** Lints every test file under `root`/test against the rules and the allowances. */
export function lintTests(
  root: string,
  allowances: Readonly<Record<string, Allowance>> = ALLOWANCES,
  rules: readonly TestRule[] = TEST_RULES,
): TestLintResult {
  const files = testFiles(join(root, "test")).map((f) => relative(root, f).split(sep).join("/"));
  const violations: Violation[] = [];
  const used = new Map<string, Set<string>>();
  for (const file of files) {
    const allowed = new Set(allowances[file]?.rules ?? []);
    for (const v of lintTestSource(file, readFileSync(join(root, file), "utf8"), rules)) {
      if (allowed.has(v.rule)) {
        if (!used.has(file)) used.set(file, new Set());
        used.get(file)?.add(v.rule);
      } else violations.push(v);
    }
  }
  const stale: string[] = [];
  for (const [file, allowance] of Object.entries(allowances)) {
    for (const rule of allowance.rules) {
      if (!rules.some((r) => r.id === rule))
        stale.push(`${file}: "${rule}" is no rule (${rules.map((r) => r.id).join(", ")})`);
      else if (!used.get(file)?.has(rule))
        stale.push(
          `${file}: allowed "${rule}" but no longer breaks it: remove it from scripts/lint-tests-allowances.ts`,
        );
    }
  }
  return { files: files.length, violations, stale };
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      // The harness itself builds the wiring; fixtures and goldens are data.
      if (path.endsWith(`${sep}test${sep}support`) || entry.name === "node_modules") continue;
      out.push(...testFiles(path));
    } else if (entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out.sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), "..", "..");
  const { files, violations, stale } = lintTests(root);
  for (const v of violations) console.error(v.message);
  for (const s of stale) console.error(s);
  if (violations.length > 0 || stale.length > 0) {
    console.error(
      `\n${violations.length} test file place(s) reach past the harness, ${stale.length} stale allowance(s) (${files} test files; docs/testing.md, "The harness").`,
    );
    process.exit(1);
  }
}
