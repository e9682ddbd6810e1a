import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepName, StepResult, StepResultOf } from "../../src/contract/catalog.ts";
import type { Classification } from "../../src/core/classify/classify.ts";
import { sharedGateway } from "../support/gateway/control.ts";
import { labTriage } from "../support/gateway/lab-triage.ts";
import { logSize as logSizeOf, waitForLogLine } from "../support/gateway/log-lines.ts";

/**
 * Fault injection on the real gateway of this run: each fault is produced for real, then the
 * REAL agent probes run (the whole triage catalog, `doctor --lint` included) and the top
 * finding of the classifier is asserted. The config file is edited while the gateway runs,
 * as an operator would; every test puts it back, and afterAll restores a healthy gateway.
 */
const gw = sharedGateway();
const fileLog = join(gw.labDir, "logs", "openclaw-file.log");
const timings: Record<string, Record<string, number>> = {};
let originalConfig: string;
let scratch: string;

let lastResults: StepResult[] = [];

function dataOf<N extends StepName>(step: N): NonNullable<StepResultOf<N>["data"]> {
  const r = lastResults.find((x): x is StepResultOf<N> => x.step === step);
  if (!r?.data) throw new Error(`no ${step} data`);
  return r.data as NonNullable<StepResultOf<N>["data"]>;
}

async function triage(label: string, extraEnv: Record<string, string> = {}): Promise<Classification> {
  const { results, classification } = await labTriage(gw, label, extraEnv);
  timings[label] = Object.fromEntries(results.map((r) => [r.step, r.durationMs]));
  lastResults = results;
  return classification;
}

async function editConfig(change: (config: Record<string, unknown>) => void): Promise<void> {
  const config = JSON5.parse(originalConfig) as Record<string, unknown>;
  change(config);
  await writeFile(gw.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

const waitForLog = (pattern: RegExp, offset: number, timeoutMs = 30_000) =>
  waitForLogLine(fileLog, pattern, offset, timeoutMs);

const logSize = () => logSizeOf(fileLog);

/** The operator's `openclaw` against the lab (gw.env only: an inherited VITEST=true silences it). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(gw.openclawBin, args, {
      env: { ...gw.env },
      cwd: gw.labDir,
      stdio: ["ignore", "pipe", "ignore"],
    });
    let stdout = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

/** Puts the original config back and waits until the gateway has applied it (reload or restart). */
async function restoreConfig(applied: RegExp): Promise<void> {
  const offset = await logSize();
  await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
  await waitForLog(applied, offset);
}

beforeAll(async () => {
  await gw.restoreHealthy();
  originalConfig = await readFile(gw.configPath, "utf8");
  scratch = await mkdtemp(join(tmpdir(), "clawops-faults-"));
});

afterAll(async () => {
  if (originalConfig && (await readFile(gw.configPath, "utf8")) !== originalConfig) {
    await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
    await gw.restart();
  }
  await gw.restoreHealthy();
  if (scratch) await rm(scratch, { recursive: true, force: true });
  console.log(`fault triage timings (ms): ${JSON.stringify(timings, null, 2)}`);
});

describe("fault injection with real agent probes", () => {
  it("healthy: no fail finding; the fresh lab only lacks model credentials", async () => {
    const c = await triage("healthy");
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
    expect(c.findings.map((f) => f.id)).toContain("model-auth-missing");
    expect(c.matrix.config.status).toBe("ok");
    // What the new probes read from the real gateway (compare captures/up).
    const lint = dataOf("doctor.lint");
    expect(lint).toMatchObject({ exitCode: 1, timedOut: false, schemaVersion: 1 });
    expect(lint.findings?.map((f) => `${f.severity} ${f.checkId}`).sort()).toEqual([
      "warning core/doctor/node-hosting-preconditions",
      "warning core/doctor/security",
    ]);
    // Model routing from the gateway's session (issue 17): the lab's config names no model and
    // the gateway holds credentials for no provider (`openclaw models status`: missingProvidersInUse [openai]).
    expect(dataOf("config").modelRefs).toEqual([]);
    // `ts`: the gateway's own clock, what credential expiry is measured against (issue 30, class 4).
    expect(dataOf("gateway.ws").modelsRpc).toEqual({ ok: true, providers: [], ts: expect.any(Number) });
    expect(c.findings.find((f) => f.id === "model-auth-missing")?.evidence[0]).toBe(
      "gateway models.authStatus: no provider has credentials",
    );
    const logs = dataOf("logs.signatures");
    expect(logs).toMatchObject({ found: true, path: fileLog, linesSkipped: 0 });
    expect(logs.signatures.find((s) => s.kind === "gateway-ready")?.examples.at(-1)).toMatch(
      /\[gateway\] gateway ready$/,
    );
    // config.get over the agent's own session: the file is what runs.
    const cfg = dataOf("gateway.ws").configRpc;
    expect(cfg, JSON.stringify(cfg)).toMatchObject({ ok: true, valid: true });
    expect(cfg?.fileHash).toMatch(/^hmac-sha256:v1:/);
    expect(cfg?.fileHash).toBe(cfg?.appliedHash);
    // The gateway is run by hand here: no supervisor to ask.
    expect(dataOf("service.state")).toMatchObject({ supervisor: "manual", source: "detected", state: null });
  });

  it("(a) un-creatable workspace while running: workspace-uncreatable, then config-reload-failed; doctor error confirms, health lies", async () => {
    // A path under a regular file cannot be created (ENOTDIR); GATEWAY-FACTS §6d.
    const file = join(scratch, "a-regular-file");
    await writeFile(file, "not a directory\n");
    const bad = join(file, "ws");
    const offset = await logSize();
    await editConfig((config) => {
      const agents = config.agents as {
        defaults: Record<string, unknown>;
        entries?: Record<string, Record<string, unknown>>;
      };
      agents.defaults.workspace = bad;
      if (agents.entries?.main) agents.entries.main.workspace = bad;
    });
    await waitForLog(/config reload failed/, offset);
    try {
      const c = await triage("reload-failed");
      const ids = c.findings.map((f) => f.id);
      // The root cause first (the path cannot be created), then the reload it made fail.
      expect(ids.slice(0, 2)).toEqual(["workspace-uncreatable", "config-reload-failed"]);
      expect(ids).toContain("doctor-lint-error");
      const top = c.findings.find((f) => f.id === "config-reload-failed");
      expect(top?.evidence.join("\n")).toMatch(
        /\[reload\] config reload failed: .*requires migration for .*a-regular-file\/ws/,
      );
      expect(top?.evidence.join("\n")).toMatch(/doctor --lint: error core\/doctor\/[\w-]+: .*ENOTDIR/);
      expect(top?.falseGreen).toContain("/readyz 200");
      expect(c.matrix.config.status).toBe("fail");
      // The gateway itself says so over its session: the file's revision is not the applied one.
      const notApplied = c.findings.find((f) => f.id === "config-not-applied");
      expect(notApplied?.evidence[0]).toMatch(/^config\.get: file revision \S+ ≠ applied \S+$/);
    } finally {
      // The file goes back to what the gateway still runs; OpenClaw logs nothing for that.
      await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
    }
    // The file changed after the failure: the failure is about a version that is gone.
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await triage("reload-reverted");
    expect(after.findings.map((f) => f.id)).not.toContain("config-reload-failed");
    expect(after.findings.map((f) => f.id)).not.toContain("config-not-applied");
  });

  it("(c) version skew, with a stand-in launcher whose --version reports a newer release", async () => {
    // Stand-in for "upgraded but not restarted": only `--version` lies, every other command
    // runs the real CLI. The running gateway still announces its real server.version.
    const launcher = join(scratch, "openclaw-upgraded");
    await writeFile(
      launcher,
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "OpenClaw 2026.10.1 (0000000)"; exit 0; fi\nexec "${gw.openclawBin}" "$@"\n`,
    );
    await chmod(launcher, 0o755);
    const c = await triage("version-skew", { CLAWOPS_OPENCLAW_BIN: launcher });
    expect(c.findings[0]?.id).toBe("version-skew");
    expect(c.findings[0]?.evidence).toEqual([
      "openclaw --version: 2026.10.1",
      `running gateway server.version: ${gw.version}`,
    ]);
  });

  // Last: its in-process restart puts a `gateway ready` after every fault line above, so the
  // log holds only history for the test files that follow.
  it("(b) gateway.mode=remote: gateway-mode-not-local first", async () => {
    const offset = await logSize();
    await editConfig((config) => {
      (config.gateway as Record<string, unknown>).mode = "remote";
    });
    // The gateway restarts itself in-process for a mode change (GATEWAY-FACTS §7.8); wait it out
    // so the finding is about the mode, not a restart window.
    await waitForLog(/gateway ready/, offset);
    try {
      const c = await triage("mode-remote");
      expect(c.findings[0]?.id).toBe("gateway-mode-not-local");
      expect(c.findings[0]?.evidence).toEqual([`config ${gw.configPath}: gateway.mode=remote`]);
      // The false green it names, checked on the CLI itself (issue 30): both exit 0 and say reachable.
      expect(c.findings[0]?.falseGreen).toContain(
        "`openclaw gateway status` and `openclaw gateway probe` report the gateway reachable",
      );
      const [status, probe] = await Promise.all([
        cli(["gateway", "status", "--json"]),
        cli(["gateway", "probe", "--json"]),
      ]);
      expect(status.code, status.stdout).toBe(0);
      expect((JSON.parse(status.stdout) as { rpc?: { ok?: boolean } }).rpc?.ok).toBe(true);
      expect(probe.code, probe.stdout).toBe(0);
      expect((JSON.parse(probe.stdout) as { ok?: boolean }).ok).toBe(true);
    } finally {
      await restoreConfig(/gateway ready/);
    }
  });
});
