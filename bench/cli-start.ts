/**
 * `node bench/cli-start.ts [--runs N]` (Node 24: `npx node bench/cli-start.ts`): how long the
 * `clawops` CLI takes, start to exit, against bare Node's own start (`node -e 1`) in the same
 * run (issue 33, item 7: within 2× for --version, --help and commands the control plane answers
 * in one reply). Each command runs N times (default 9) in turn with `node -e 1` (A B A B …, one
 * warm-up pair first) and the ratio is taken pair by pair, so a machine whose speed drifts during
 * the run still gives a fair ratio. Server commands run against a control plane started here
 * (as `npm start` runs it, console on, no local agent). Prints one Markdown table of wall-time
 * medians (min / median / max) for docs/benchmarks.md.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { spawnControlPlane } from "../test/support/control-plane-process.ts";

const { values } = parseArgs({ options: { runs: { type: "string" } } });
const RUNS = Math.max(3, Number(values.runs ?? 9));
const CLI = fileURLToPath(new URL("../bin/clawops.mjs", import.meta.url));

function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0)
    throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr.toString().slice(0, 400)}`);
  return ms;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? Number.NaN;
const spread = (xs: number[], digits: number) =>
  `${sorted(xs)[0]?.toFixed(digits)} / ${median(xs).toFixed(digits)} / ${sorted(xs).at(-1)?.toFixed(digits)}`;

const cp = await spawnControlPlane({});
try {
  const env = { ...process.env, CLAWOPS_URL: cp.url, CLAWOPS_DATA_DIR: cp.dataDir, NO_COLOR: "1" };
  const commands: [string, string[]][] = [
    ["clawops --version", ["--version"]],
    ["clawops --help", ["--help"]],
    ["clawops status (one reply)", ["status"]],
    ["clawops hosts (one reply)", ["hosts"]],
  ];
  const rows: string[] = [];
  for (const [label, args] of commands) {
    wallMs([CLI, ...args], env);
    wallMs(["-e", "1"], env);
    const a: number[] = [];
    const b: number[] = [];
    const ratio: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const cli = wallMs([CLI, ...args], env);
      const bare = wallMs(["-e", "1"], env);
      a.push(cli);
      b.push(bare);
      ratio.push(cli / bare);
    }
    rows.push(`| \`${label}\` | ${spread(a, 0)} ms | ${spread(b, 0)} ms | ${spread(ratio, 2)}× |`);
  }
  process.stdout.write(
    [
      `CLI start, ${RUNS} pairs each (wall, min / median / max), Node ${process.version}:`,
      "",
      "| command | clawops | `node -e 1`, same pairs | ratio, pair by pair |",
      "| --- | --- | --- | --- |",
      ...rows,
      "",
    ].join("\n"),
  );
} finally {
  await cp.stop();
}
