import { appendFileSync } from "node:fs";
import { relative } from "node:path";

/**
 * The shared-gateway files that start a second gateway beside the shared one (a second gateway on
 * the same port, a host in a network namespace), in the order they run: first in their lane's run
 * (`gateway-b`, scripts/run-suites.ts; the sequencer puts them there), and the other gateway lane
 * starts its gateway only once each has said its second gateway is gone, so that the machine never
 * has more than two gateways at once.
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
