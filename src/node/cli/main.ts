import { EXIT, runCli } from "./run.ts";

// The `clawops` CLI entry: `npm run clawops -- …`, `node src/node/cli/main.ts …`, bin/clawops.mjs.
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `clawops: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = EXIT.usage;
  },
);
