import { appendFileSync, readFileSync } from "node:fs";
import { relative } from "node:path";

/**
 * The shared-gateway files that start a second gateway beside the shared one (a second gateway on
 * the same port, a host in a network namespace), in the order they run: first in their lane's run
 * (`gateway-b`, scripts/run-suites.ts; the sequencer puts them there), and the other gateway lane
 * starts its gateway only once each has said its second gateway is gone (`waitForPair`), so that
 * the machine never has more than two gateways at once.
 */
export const PAIR_FILES: readonly string[] = [
  "test/gateway/faults-second-gateway.test.ts",
  "test/gateway/agent-lost.test.ts",
];

/** Where each file of PAIR_FILES writes its name once its second gateway is gone, when set. */
export const PAIR_DONE_FILE_ENV = "CLAWOPS_PAIR_DONE_FILE";

/**
 * Says that this file of PAIR_FILES runs no second gateway any more: at the latest when it ends
 * (pair-done-setup.ts), sooner when its last tests do not need it (`agent-lost`). Nothing when the
 * run is not waited on (no PAIR_DONE_FILE_ENV) or the file is not one of PAIR_FILES.
 */
export function markSecondGatewayGone(testPath: string | undefined): void {
  const marker = process.env[PAIR_DONE_FILE_ENV];
  if (!marker || !testPath) return;
  const name = relative(process.cwd(), testPath);
  if (PAIR_FILES.includes(name)) appendFileSync(marker, `${name}\n`);
}

/**
 * The marker the other gateway lane's run waits on before it starts its gateway, when set: its
 * vitest, OpenClaw's install check and the lab's `openclaw setup` go while the pair's files run.
 */
export const PAIR_WAIT_FILE_ENV = "CLAWOPS_PAIR_WAIT_FILE";

/** The line the runner adds to the marker when the lane of PAIR_FILES has ended, however it did. */
export const PAIR_LANE_ENDED = "(gateway-b ended)";

/**
 * Resolves once the marker names each file of PAIR_FILES, or says their lane has ended (a crash
 * there never holds the waiting lane back for good); at once when the run waits on nothing (no
 * PAIR_WAIT_FILE_ENV). Resolves to how long it waited (ms).
 */
export function waitForPair(marker = process.env[PAIR_WAIT_FILE_ENV]): Promise<number> {
  const started = Date.now();
  if (!marker) return Promise.resolve(0);
  return new Promise((resolve) => {
    const check = () => {
      let written = "";
      try {
        written = readFileSync(marker, "utf8");
      } catch {
        // Not written yet.
      }
      const said = new Set(written.split("\n"));
      if (said.has(PAIR_LANE_ENDED) || PAIR_FILES.every((f) => said.has(f))) {
        clearInterval(timer);
        resolve(Date.now() - started);
      }
    };
    const timer = setInterval(check, 500);
    check();
  });
}
