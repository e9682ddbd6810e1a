import { defineConfig } from "vitest/config";
import { GatewayPairsSequencer } from "./test/support/gateway/sequencer.ts";

/**
 * Real-gateway files that start and break a gateway of their own (never the shared one): their
 * own project, with no shared gateway started for them, so they can run in a lane beside the
 * shared one's (scripts/run-suites.ts) with two gateways at most.
 */
export const OWN_GATEWAY_FILES = [
  "test/gateway/recover.test.ts",
  "test/gateway/recover-workers.test.ts",
  "test/gateway/restart.test.ts",
  "test/gateway/upgrade-gateway.test.ts",
  // These two set up a lab of their own and start at most one gateway at a time from it.
  "test/gateway/agent-sandbox.test.ts",
  "test/gateway/faults-netns.test.ts",
];

/** Takes back what test/support started and made for a file when it ends (test/support/file-end.ts). */
const FILE_END = "test/support/file-end-setup.ts";

// Node projects: `unit` runs three files at a time (see below); `gateway` shares ONE real OpenClaw gateway per
// run (≈1 GB RSS, ≈15 s to start), so its files run one at a time; `browser` drives the local
// console page in headless Chromium (one browser per file, files one at a time on 2 cores).
export default defineConfig({
  test: {
    // The shared-gateway files that start as another leaves the gateway, right after it.
    sequence: { sequencer: GatewayPairsSequencer },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          setupFiles: [FILE_END],
          // Vitest's default is one worker per core minus one: one file at a time on this
          // machine class (2 cores), 7.6 min. Most unit files wait on processes, sockets and
          // timers rather than compute (user + sys CPU is about 4.3 min of it), so three at a
          // time take 3.9 min with every test green, also beside other work (load average 6);
          // a fourth adds waiting for CPU, not speed (issue 45, item 7).
          maxWorkers: 3,
          // Each worker keeps its modules between files rather than importing them again for every
          // file: imports took 260 s summed over the files, 20–40 s this way, and the suite beside the
          // gateway lanes 464 s → 302–345 s in clean clones. No unit file mocks a module, and the files pass in
          // any order (`npx vitest run --project unit --sequence.shuffle.files`).
          isolate: false,
          // Hang bounds, not speed claims: a test that starts a control plane, an agent or the CLI
          // as a process took 20–25 s on a loaded CI box (2 cores beside both gateway lanes), and
          // 20 s failed there. Speed is measured by the benchmarks.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "gateway",
          // Negated in `include`, not `exclude`: a project's `exclude` would drop the CLI's
          // `--exclude`, which the test runner's lanes use.
          include: ["test/gateway/**/*.test.ts", ...OWN_GATEWAY_FILES.map((f) => `!${f}`)],
          environment: "node",
          // pair-done-setup.ts first: its afterAll runs last (scripts/run-suites.ts waits on it).
          setupFiles: ["test/support/gateway/pair-done-setup.ts", FILE_END, "test/support/gateway/file-start-setup.ts"],
          globalSetup: ["test/support/gateway/global-setup.ts"],
          fileParallelism: false,
          // A (re)start waits while the gateway makes progress, up to 6 min on a loaded box
          // (test/support/gateway/readiness.ts); these only bound a test that hangs.
          testTimeout: 300_000,
          hookTimeout: 420_000,
        },
      },
      {
        // The files above that run a gateway of their own: no shared gateway for them.
        test: {
          name: "gateway-own",
          include: OWN_GATEWAY_FILES,
          environment: "node",
          setupFiles: [FILE_END],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 420_000,
        },
      },
      {
        // The Workers runtime in workerd (wrangler's unstable_startWorker) with a real agent
        // process: one file at a time, each starts its own workerd.
        test: {
          name: "workerd",
          include: ["test/workerd/**/*.test.ts"],
          environment: "node",
          setupFiles: [FILE_END],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // `npm run demo` end to end: it installs (cached) and starts a real OpenClaw gateway of its
        // own, so no shared gateway here; run it alone (one gateway slot on a shared machine).
        test: {
          name: "demo",
          include: ["test/demo/**/*.test.ts"],
          environment: "node",
          setupFiles: [FILE_END],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 480_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          setupFiles: [FILE_END],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
