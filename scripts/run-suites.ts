/**
 * `npm test`: every check and test suite, each one run even when an earlier one failed, then a
 * summary of all of them (status and wall time); exits 1 if any failed. `npm run test:all` and
 * CI (.ci/run) come through here. Name suites to run only those: `npm test -- unit gateway`.
 *
 * Three lanes run side by side (issue 45, item 7), each one suite after another:
 *  - the checks and the suites without a real gateway (typecheck, lint, unit, browser, workers, workerd);
 *  - `gateway-a` (the real-gateway files on one shared gateway), then `demo` (its own gateway);
 *  - `gateway-b` (the files of PAIR_FILES, then those of SECOND_LANE, on a second shared gateway),
 *    then `gateway-own` (the files that run gateways of their own, one at a time).
 * Each gateway lane has one gateway at a time, so never more than two run at once, but for the
 * files of PAIR_FILES, which run a second gateway beside their lane's shared one: `gateway-b` runs
 * them first, and `gateway-a` starts its gateway only once they are over (its vitest and lab are
 * made meanwhile, and its first file's tests of the stopped gateway run: pair.ts, `waitForPair`;
 * sequencer.ts, GATEWAY_FIRST_FILES), so they hold both gateway slots with no lab of their
 * own to start, beside the lane without a gateway. The run is
 * CPU-bound on two cores (docs/testing.md): the pair's files and `gateway-b`'s wait on heartbeats,
 * allowances and a flap window more than they compute, so they go while the lane without a gateway
 * still has CPU work to fill the waits, not in a tail of their own. That lane runs at a lower
 * priority (MAIN_LANE_NICE) so that it does not slow the gateway lanes' starts.
 * Each line a suite prints is prefixed with its name. `gateway` names the three gateway suites.
 * `--serial` runs the suites one at a time with their own output (docs/testing.md).
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PAIR_DONE_FILE_ENV, PAIR_FILES, PAIR_LANE_ENDED, PAIR_WAIT_FILE_ENV } from "../test/support/gateway/pair.ts";
import { failureCollector } from "./failure-lines.ts";

type Lane = "main" | "gateway-a" | "gateway-b";
type Suite = { name: string; lane: Lane; command: string[] };

/**
 * The shared-gateway files the second gateway lane runs before `gateway-own`, chosen by
 * their wall time in the last clean clones so that both gateway lanes take about as long
 * (docs/testing.md, "Time taken"); every other shared-gateway file runs in `gateway-a`.
 */
const SECOND_LANE = [
  "test/gateway/watch.test.ts",
  "test/gateway/oncall.test.ts",
  "test/gateway/e2e-triage.test.ts",
  // `gateway-a` was the longer lane, by 45–90 s in four clean clones (2026-11-29). Smaller files
  // than `e2e-triage` (vitest's own order: larger first), so after it or `watch`, which end with
  // the gateway healthy: no start of their own here.
  "test/gateway/doctor-fix.test.ts",
  "test/gateway/runbook-steps.test.ts",
];

const VITEST = ["node_modules/.bin/vitest", "run"];
const SUITES: Suite[] = [
  { name: "typecheck", lane: "main", command: ["npm", "run", "-s", "typecheck"] },
  { name: "lint", lane: "main", command: ["npm", "run", "-s", "lint"] },
  { name: "unit", lane: "main", command: [...VITEST, "--project", "unit"] },
  { name: "browser", lane: "main", command: [...VITEST, "--project", "browser"] },
  { name: "workers", lane: "main", command: [...VITEST, "--config", "vitest.workers.config.ts"] },
  { name: "workerd", lane: "main", command: [...VITEST, "--project", "workerd"] },
  {
    name: "gateway-a",
    lane: "gateway-a",
    command: [...VITEST, "--project", "gateway", ...[...SECOND_LANE, ...PAIR_FILES].flatMap((f) => ["--exclude", f])],
  },
  // PAIR_FILES first (the sequencer puts them there): `gateway-a`'s gateway waits for them (`waitForPair`).
  { name: "gateway-b", lane: "gateway-b", command: [...VITEST, "--project", "gateway", ...PAIR_FILES, ...SECOND_LANE] },
  { name: "gateway-own", lane: "gateway-b", command: [...VITEST, "--project", "gateway-own"] },
  // After `gateway-a`: the second lane ended 1.5 min after the first in 9fa5a7f's clean clone.
  { name: "demo", lane: "gateway-a", command: [...VITEST, "--project", "demo"] },
];
/** Names that stand for several suites. */
const GROUPS: Record<string, string[]> = { gateway: ["gateway-a", "gateway-own", "gateway-b"] };

/** Every prefix as wide as the longest suite name, so the lanes' lines line up. */
const PREFIX_WIDTH = Math.max(...SUITES.map((s) => s.name.length));

type Outcome = { name: string; code: number | string; ms: number; failures: string[] };

/**
 * The niceness of the suites without a gateway while a gateway lane runs beside them. Those lanes
 * wait on the gateway's starts and doctor runs, each a core's work at a time, and are what the run
 * waits for; the suites without a gateway finish minutes before them, so they take the CPU the
 * gateway lanes leave (their children inherit it: vitest's workers, workerd, Chromium). The
 * lowest priority, 19: the scheduler's weight 15 against a nice-0 process's 1,024 (at 10 it is
 * 110, so a few runnable workers of that lane still took a share of a gateway's start). The run
 * is CPU-bound, so what that lane computes is best done in the moments both gateway lanes wait
 * (docs/testing.md, "Time taken").
 */
const MAIN_LANE_NICE = 19;

/**
 * The suites without a real gateway run with Node's module compile cache: every Node process they
 * start (vitest and its workers, agents, control planes, the CLI, wrangler) keeps the code it
 * compiled in one folder and reuses it, and a suite starts hundreds that load the same modules
 * (`unit` alone: 168 CPU-seconds without it, 129 with it, its first run included; docs/testing.md).
 * Not the gateway suites: OpenClaw, handed a NODE_COMPILE_CACHE, restarts itself once beneath it,
 * so every gateway the lab or an agent starts would be two processes where a real one is one, and
 * the process probes and the tests that signal the gateway see the difference: they run without
 * one, even when the caller's environment names one.
 */
const COMPILE_CACHE = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".cache", "node-compile");

function run(suite: Suite, prefixed: boolean, nice = 0, extraEnv: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const started = Date.now();
  const say = (line: string) =>
    process.stdout.write(prefixed ? `${suite.name.padEnd(PREFIX_WIDTH)}│ ${line}\n` : `${line}\n`);
  say(`━━ ${suite.name}: ${suite.command.join(" ")}`);
  const failures = failureCollector();
  return new Promise((resolve) => {
    const [file, ...args] = suite.command as [string, ...string[]];
    // --serial hands the terminal over (vitest's live progress); the lanes' output is piped.
    const { NODE_COMPILE_CACHE: callers, ...env } = process.env;
    if (suite.lane === "main") env.NODE_COMPILE_CACHE = callers || COMPILE_CACHE;
    const child = spawn(file, args, {
      env: { ...env, ...extraEnv },
      stdio: prefixed ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    if (nice !== 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, nice);
      } catch {
        // Not allowed here: the suite runs at the runner's own priority.
      }
    }
    for (const stream of prefixed ? [child.stdout, child.stderr] : []) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
        failures.see(line);
        say(line);
      });
    }
    let ended = false;
    const done = (code: number | string) => {
      // A child that cannot be spawned emits "error" and then "close": report it once.
      if (ended) return;
      ended = true;
      const outcome = { name: suite.name, code, ms: Date.now() - started, failures: code === 0 ? [] : failures.lines };
      say(`━━ ${suite.name}: ${code === 0 ? "pass" : `FAIL (exit ${code})`} in ${duration(outcome.ms)}`);
      resolve(outcome);
    };
    child.once("error", (err) => done(err.message));
    child.once("close", (code, signal) => done(code ?? signal ?? "unknown"));
  });
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

const args = process.argv.slice(2);
const serial = args.includes("--serial");
const wanted = args.filter((a) => a !== "--serial").flatMap((a) => GROUPS[a] ?? [a]);
const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
if (unknown.length > 0) {
  const names = [...SUITES.map((s) => s.name), ...Object.keys(GROUPS)];
  process.stderr.write(`unknown suite ${unknown.join(", ")}; the suites are ${names.join(", ")}\n`);
  process.exit(2);
}
const chosen = SUITES.filter((s) => wanted.length === 0 || wanted.includes(s.name));

async function runLane(
  suites: Suite[],
  prefixed: boolean,
  nice: number,
  envOf: (s: Suite) => NodeJS.ProcessEnv = () => ({}),
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const suite of suites) outcomes.push(await run(suite, prefixed, nice, envOf(suite)));
  return outcomes;
}

const started = Date.now();
const lanes = serial
  ? [chosen]
  : (["main", "gateway-a", "gateway-b"] as const)
      .map((lane) => chosen.filter((s) => s.lane === lane))
      .filter((l) => l.length > 0);
const withGateway = lanes.some((l) => l.some((s) => s.lane !== "main"));
const prefixed = lanes.length > 1;
// `gateway-b` runs the pair's files first, holding both gateway slots (never more than two
// gateways): `gateway-a` starts beside it, makes its lab and runs its first file's stopped tests,
// and its gateway's first start waits until they are over (test/support/gateway/pair.ts,
// `waitForPair`). The main lane runs beside them from the start.
const pairMarkerDir = mkdtempSync(join(tmpdir(), "clawops-pair-"));
const pairMarker = join(pairMarkerDir, "done");
const laneB = lanes.find((l) => l.some((s) => s.name === "gateway-b"));
const laneBRun = laneB
  ? runLane(laneB, prefixed, 0, (s) => (s.name === "gateway-b" ? { [PAIR_DONE_FILE_ENV]: pairMarker } : {}))
  : undefined;
// However `gateway-b` ended, nothing waits on it any more (before the folder goes, below).
void laneBRun?.finally(() => {
  try {
    appendFileSync(pairMarker, `${PAIR_LANE_ENDED}\n`);
  } catch {
    // The folder is gone: so is every lane that could wait on it.
  }
});
const waitOnPair = !serial && laneBRun !== undefined;
const running = lanes.map((l) =>
  l === laneB && laneBRun
    ? laneBRun
    : l.every((s) => s.lane === "main")
      ? runLane(l, prefixed, withGateway ? MAIN_LANE_NICE : 0)
      : runLane(l, prefixed, 0, (s) =>
          waitOnPair && s.name === "gateway-a" ? { [PAIR_WAIT_FILE_ENV]: pairMarker } : {},
        ),
);
const outcomes = (await Promise.all(running)).flat();
rmSync(pairMarkerDir, { recursive: true, force: true });
outcomes.sort((a, b) => chosen.findIndex((s) => s.name === a.name) - chosen.findIndex((s) => s.name === b.name));

const failed = outcomes.filter((o) => o.code !== 0);
const lines = outcomes.map(
  (o) =>
    `  ${o.code === 0 ? "pass" : "FAIL"}  ${o.name.padEnd(PREFIX_WIDTH)} ${duration(o.ms).padStart(12)}${o.code === 0 ? "" : `  (exit ${o.code})`}`,
);
process.stdout.write(
  `\n━━ summary: ${outcomes.length - failed.length} of ${outcomes.length} suites passed in ${duration(Date.now() - started)}${lanes.length > 1 ? ` (${lanes.length} lanes side by side)` : ""}\n${lines.join("\n")}\n`,
);
// Side by side, a failure's lines are far up among the other lanes' output: repeated here. Run
// one at a time (--serial), each suite's own output already ends with them.
if (!serial) {
  for (const o of failed) {
    const shown = o.failures.length > 0 ? o.failures : ["(no failure line recognised: see its output above)"];
    process.stdout.write(`\n━━ ${o.name} failed:\n${shown.map((l) => `  ${l}`).join("\n")}\n`);
  }
}
process.exit(failed.length > 0 ? 1 : 0);
