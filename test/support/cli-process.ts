import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `clawops` CLI's entry (what `npm run clawops` runs). */
export const CLI = fileURLToPath(new URL("../../src/node/cli/main.ts", import.meta.url));

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Runs the `clawops` CLI in its own process against `server`, with the data folder `dataDir`. */
export function runCliProcess(args: string[], opts: { server: string; dataDir: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, "--server", opts.server], {
      env: { ...process.env, NO_COLOR: "1", CLAWOPS_DATA_DIR: opts.dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
