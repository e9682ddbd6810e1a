import { fileURLToPath } from "node:url";
import { type Finished, runNode } from "./run-node.ts";

/** The `clawops` CLI as the docs run it (`bin/clawops` execs it): Node's compile cache on, then src/node/cli/main.mjs. */
export const CLI = fileURLToPath(new URL("../../bin/clawops.mjs", import.meta.url));

export type CliRun = Finished;

/** Runs the `clawops` CLI in its own process against `server`, with the data folder `dataDir`. */
export function runCliProcess(args: string[], opts: { server: string; dataDir: string }): Promise<CliRun> {
  return runNode(CLI, [...args, "--server", opts.server], {
    ...process.env,
    NO_COLOR: "1",
    CLAWOPS_DATA_DIR: opts.dataDir,
  });
}
