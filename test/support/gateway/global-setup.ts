import type { TestProject } from "vitest/node";
import { startControlServer } from "./control-server.ts";
import { RealGateway } from "./gateway.ts";
import { ensureOpenclaw } from "./install.ts";
import { waitForPair } from "./pair.ts";

/**
 * globalSetup of the `gateway` project: installs OpenClaw (cached), makes ONE real gateway's lab
 * for the whole run, and provides its descriptor plus a control server address. Test files
 * share the gateway one at a time (fileParallelism: false), each starting from the state it
 * declares (control.ts, `gatewayAtFileStart`) whatever the file before it left: the first file's
 * start is the lab's first.
 * CLAWOPS_KEEP_GATEWAY_LAB=1 keeps the lab folder for a post-mortem.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const install = await ensureOpenclaw();
  const started = Date.now();
  const gateway = await RealGateway.create(install);
  // The gateway runs in its own process group; if this process dies without teardown, take
  // the group down with it rather than leave a 1 GB orphan behind.
  const killOnExit = () => {
    const pid = gateway.pid;
    if (pid) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  process.once("exit", killOnExit);
  // In `gateway-a` beside `gateway-b`: the lab is made now, but its gateway starts only once the
  // pair's second gateways are gone (pair.ts; scripts/run-suites.ts). Until then the lane's first
  // file runs its tests of the stopped gateway (sequencer.ts, GATEWAY_FIRST_FILES), which need none;
  // its first start is the one that waits. Each file makes its own state (file-start-setup.ts).
  const made = Date.now() - started;
  gateway.holdStartsUntil(
    waitForPair().then((waited) => {
      if (waited > 0) {
        process.stderr.write(
          `[gateway] lab made in ${made} ms; its first start waited ${Math.round(waited / 1000)} s from then for the pair's second gateways to be gone\n`,
        );
      }
    }),
  );
  // The first `openclaw` CLI call after a fresh install fills OpenClaw's caches (its compile
  // cache among them): it passed the 15 s `gateway.status` deadline in CI while later calls took
  // ~6 s. Warm it once, on the stopped lab, so the first test measures the gateway, not a cold
  // install (a host's CLI is warm in practice).
  const warming = Date.now();
  const warmed = await gateway.cli(["gateway", "status", "--json"], 90_000).then(
    () => "ok",
    (err: Error) => err.message.split("\n")[0],
  );
  process.stderr.write(
    `[gateway] openclaw ${install.version} lab ready in ${made} ms (${gateway.labDir}, port ${gateway.port}); CLI warm-up (gateway status --json): ${warmed} in ${Date.now() - warming} ms\n`,
  );
  const control = await startControlServer(gateway);

  project.provide("gateway", gateway.describe());
  project.provide("gatewayControl", control.address);

  return async () => {
    const stopping = Date.now();
    await control.close();
    if (process.env.CLAWOPS_KEEP_GATEWAY_LAB === "1") {
      await gateway.stop();
      process.stderr.write(`[gateway] lab kept at ${gateway.labDir}\n`);
    } else {
      await gateway.dispose();
    }
    process.off("exit", killOnExit);
    process.stderr.write(
      `[gateway] stopped and cleaned up in ${Date.now() - stopping} ms; the lab started it ${gateway.startCount} times this run\n`,
    );
  };
}
