import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/harness.ts";
import { buildUnitSandbox, readUnit, sandboxUnavailable } from "../support/unit-sandbox.ts";

/**
 * The control plane starts and answers under the sandbox of infra/systemd/clawops.service
 * (applied as test/support/unit-sandbox.ts does, systemd not being PID 1 here): /livez, /readyz
 * (the store answers a query: SQLite writes in the state folder), its state written there only.
 */
const ROOT = join(import.meta.dirname, "../..");
const unavailable = sandboxUnavailable();
const work = mkdtempSync(join(tmpdir(), "clawops-cp-sandbox-"));
const dataDir = mkdtempSync(join(tmpdir(), "clawops-cp-sandbox-data-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(unavailable !== null)(
  `control plane under its unit's sandbox${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    it("starts, answers /livez and /readyz, and keeps its state in the state folder", async () => {
      const sb = buildUnitSandbox(readUnit(join(ROOT, "infra/systemd/clawops.service")), work, (p) =>
        p === "/var/lib/clawops" ? dataDir : p,
      );
      console.log(`applied: ${sb.applied.join("; ")}\nnot applied here: ${sb.notApplied.join("; ")}`);
      const port = await freePort();
      const [file, ...args] = sb.argv([process.execPath, join(ROOT, "src/node/main.ts")]);
      const child = spawn(file as string, args, {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: dataDir,
          CLAWOPS_DATA_DIR: dataDir,
          CLAWOPS_BIND: "127.0.0.1",
          CLAWOPS_PORT: String(port),
          CLAWOPS_LOCAL_AGENT: "0",
          NODE_ENV: "production",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      child.stdout.on("data", (d) => (log += d));
      child.stderr.on("data", (d) => (log += d));
      try {
        const status = async (path: string) =>
          fetch(`http://127.0.0.1:${port}${path}`).then(
            (r) => r.status,
            () => null,
          );
        await expect
          .poll(() => (child.exitCode === null ? status("/livez") : `exited: ${log}`), {
            timeout: 30_000,
            interval: 250,
          })
          .toBe(200);
        expect(await status("/readyz"), log).toBe(200);
        // Sandboxed indeed: the server process runs with no_new_privs, seccomp and no capabilities.
        const procStatus = readFileSync(`/proc/${child.pid}/status`, "utf8");
        expect(procStatus).toMatch(/^NoNewPrivs:\s+1$/m);
        expect(procStatus).toMatch(/^Seccomp:\s+2$/m);
        expect(procStatus).toMatch(/^CapEff:\s+0+$/m);
        // Its state went where StateDirectory= points, and nowhere else could take it.
        expect(existsSync(join(dataDir, "console-secret")), log).toBe(true);
      } finally {
        await new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
        });
      }
    }, 60_000);
  },
);
