/**
 * `npm test`: every check and test suite, each one run even when an earlier one failed, then a
 * summary of all of them (status and wall time); exits 1 if any failed. `npm run test:all` and
 * CI (.ci/run) come through here. Name suites to run only those: `npm test -- unit gateway`.
 *
 * Order matters on a 2-core box: the real-gateway suite runs after the other Node suites so its
 * probes do not share the cores with them (docs/testing.md).
 */
import { spawn } from "node:child_process";

type Suite = { name: string; command: string[] };

const VITEST = ["node_modules/.bin/vitest", "run"];
const SUITES: Suite[] = [
  { name: "typecheck", command: ["npm", "run", "-s", "typecheck"] },
  { name: "lint", command: ["npm", "run", "-s", "lint"] },
  { name: "unit", command: [...VITEST, "--project", "unit"] },
  { name: "browser", command: [...VITEST, "--project", "browser"] },
  { name: "gateway", command: [...VITEST, "--project", "gateway"] },
  { name: "demo", command: [...VITEST, "--project", "demo"] },
  { name: "workers", command: [...VITEST, "--config", "vitest.workers.config.ts"] },
  { name: "workerd", command: [...VITEST, "--project", "workerd"] },
];

type Outcome = { name: string; code: number | string; ms: number };

function run(suite: Suite): Promise<Outcome> {
  const started = Date.now();
  process.stdout.write(`\n━━ ${suite.name}: ${suite.command.join(" ")}\n`);
  return new Promise((resolve) => {
    const [file, ...args] = suite.command as [string, ...string[]];
    const child = spawn(file, args, { stdio: "inherit" });
    child.once("error", (err) => resolve({ name: suite.name, code: err.message, ms: Date.now() - started }));
    child.once("exit", (code, signal) =>
      resolve({ name: suite.name, code: code ?? signal ?? "unknown", ms: Date.now() - started }),
    );
  });
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
if (unknown.length > 0) {
  process.stderr.write(`unknown suite ${unknown.join(", ")}; the suites are ${SUITES.map((s) => s.name).join(", ")}\n`);
  process.exit(2);
}

const started = Date.now();
const outcomes: Outcome[] = [];
for (const suite of SUITES) {
  if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
  outcomes.push(await run(suite));
}

const failed = outcomes.filter((o) => o.code !== 0);
const lines = outcomes.map(
  (o) =>
    `  ${o.code === 0 ? "pass" : "FAIL"}  ${o.name.padEnd(10)} ${duration(o.ms).padStart(12)}${o.code === 0 ? "" : `  (exit ${o.code})`}`,
);
process.stdout.write(
  `\n━━ summary: ${outcomes.length - failed.length} of ${outcomes.length} suites passed in ${duration(Date.now() - started)}\n${lines.join("\n")}\n`,
);
process.exit(failed.length > 0 ? 1 : 0);
