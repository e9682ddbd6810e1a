import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedGateway } from "../support/gateway/control.ts";
import { labTriage } from "../support/gateway/lab-triage.ts";
import { runProcess } from "../support/run-node.ts";

/**
 * A second OpenClaw gateway started on the shared lab gateway's port, as an operator's stray
 * `openclaw gateway run` would be: it fails with EADDRINUSE, and the triage of the one that serves
 * names the conflict from the shared log without failing anything. Two gateways run at once here,
 * so this file is one of PAIR_FILES (test/support/gateway/pair.ts): first in `gateway-b`, before
 * the other gateway lane starts its gateway (scripts/run-suites.ts), never more than two on the machine.
 */
const gw = sharedGateway();
let originalConfig: string;
let scratch: string;

beforeAll(async () => {
  await gw.restoreHealthy();
  originalConfig = await readFile(gw.configPath, "utf8");
  scratch = await mkdtemp(join(tmpdir(), "clawops-second-gw-"));
});

afterAll(async () => {
  await gw.restoreHealthy();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("fault injection with real agent probes: a second gateway", () => {
  it("(d) a second gateway on the same port (own state dir, copied config): EADDRINUSE in the shared log", async () => {
    const home = join(scratch, "second", "home");
    const state = join(scratch, "second", "state");
    await mkdir(home, { recursive: true });
    await mkdir(state, { recursive: true });
    // A copied config keeps port and logging.file: the duplicate logs where the first one does.
    const original = JSON5.parse(originalConfig) as Record<string, unknown>;
    const copy = { gateway: original.gateway, logging: original.logging };
    await writeFile(join(state, "openclaw.json"), JSON.stringify(copy, null, 2), { mode: 0o600 });
    const started = Date.now();
    const { code, stdout, stderr } = await runProcess(gw.openclawBin, ["gateway", "run", "--port", String(gw.port)], {
      // gw.env only: an inherited VITEST=true would silence the duplicate's log.
      env: {
        ...gw.env,
        HOME: home,
        OPENCLAW_STATE_DIR: state,
        OPENCLAW_CONFIG_PATH: join(state, "openclaw.json"),
      },
      cwd: scratch,
      killAfterMs: 60_000,
      group: true,
    });
    const output = stdout + stderr;
    console.log(`the second gateway exited ${code} after ${Date.now() - started} ms`);
    expect(code).toBe(1);
    expect(output).toContain("EADDRINUSE");
    const { classification: c } = await labTriage(gw, "port-conflict");
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
    expect(c.findings[0]?.id).toBe("port-conflict-in-logs");
    expect(c.findings[0]?.evidence.join("\n")).toContain("another gateway instance is already listening");
    // A start after it: the files that follow read the EADDRINUSE line as history (the rule
    // counts only lines since the last `gateway ready`).
    await gw.restart();
  });
});
