import { defineConfig } from "vitest/config";

// Node projects: `unit` runs in parallel; `gateway` shares ONE real OpenClaw gateway per
// run (≈1 GB RSS, ≈15 s to start), so its files run one at a time; `browser` drives the local
// console page in headless Chromium (one browser per file, files one at a time on 2 cores).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "gateway",
          include: ["test/gateway/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/support/gateway/global-setup.ts"],
          fileParallelism: false,
          // A (re)start waits while the gateway makes progress, up to 6 min on a loaded box
          // (test/support/gateway/readiness.ts); these only bound a test that hangs.
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
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
