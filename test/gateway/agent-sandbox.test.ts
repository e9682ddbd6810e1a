import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenFingerprint } from "../../src/agent/probes/fingerprint.ts";
import { type StepName, type StepResult, type StepResultOf, TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";
import { RealGateway } from "../support/gateway/gateway.ts";
import { ensureOpenclaw } from "../support/gateway/install.ts";
import { buildUnitSandbox, readUnit, sandboxUnavailable } from "../support/unit-sandbox.ts";

/**
 * The agent does its job under the sandbox of the shipped unit (infra/systemd/clawops-agent.service,
 * issue 18 item 2): the triage probes against the real gateway of this run, read from /proc, the
 * gateway's config and state, the `openclaw` CLI under a home folder (~/.cache/clawops here),
 * loopback WS/HTTP. systemd is not PID 1 on the test machine, so `systemd-run --property=…` cannot
 * run; test/support/unit-sandbox.ts applies the unit's settings with the same kernel features
 * (mount namespace, no_new_privs, capability bounding set, a seccomp filter built from the unit's
 * SystemCallFilter/RestrictAddressFamilies/RestrictNamespaces lines and systemd's own syscall sets).
 * On a systemd host, check the real thing (docs/testing.md):
 *   sudo systemctl start clawops-agent && journalctl -u clawops-agent -f   # "agent started", then a triage
 */
const UNIT = join(import.meta.dirname, "../../infra/systemd/clawops-agent.service");
const AGENT_MAIN = join(import.meta.dirname, "../../src/agent/main.ts");
const unavailable = sandboxUnavailable();
/** The test runner's env without what OpenClaw reads (VITEST=true silences the CLI's output). */
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OPENCLAW_|CLAWDBOT_|MOLTBOT_|VITEST)/.test(k)),
);
const work = mkdtempSync(join(tmpdir(), "clawops-sandbox-"));
const agentDir = mkdtempSync(join(tmpdir(), "clawops-sandbox-agent-"));
// The unsandboxed run's own state folder: its doctor cache must not answer for the sandboxed run.
const outsideDir = mkdtempSync(join(tmpdir(), "clawops-sandbox-outside-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(agentDir, { recursive: true, force: true });
  rmSync(outsideDir, { recursive: true, force: true });
});

function data<N extends StepName>(results: StepResult[], name: N): NonNullable<StepResultOf<N>["data"]> {
  const r = results.find((x): x is StepResultOf<N> => x.step === name);
  if (!r?.data) throw new Error(`no ${name} data: ${JSON.stringify(r)}`);
  return r.data as NonNullable<StepResultOf<N>["data"]>;
}

/** `clawops-agent probe --json`: the triage steps once, as a job would run them. */
function probe(
  argvPrefix: string[],
  env: NodeJS.ProcessEnv,
  dir = agentDir,
): Promise<{ results: StepResult[]; stderr: string }> {
  const argv = [...argvPrefix, process.execPath, AGENT_MAIN, "probe", "--json", "--dir", dir];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`probe exited ${code}: ${err.slice(-2000)}`));
      else resolve({ results: JSON.parse(out) as StepResult[], stderr: err });
    });
  });
}

describe.skipIf(unavailable !== null)(
  `the agent under its unit's sandbox${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    // This file's own lab: set up first, started by the second test only (so the file runs in
    // the gateway-own lane, beside the shared gateway's lane, with no shared gateway of its own).
    let gw: RealGateway;
    beforeAll(async () => {
      gw = await RealGateway.create(await ensureOpenclaw());
    });
    afterAll(() => gw?.dispose());
    const env = () => ({ ...baseEnv, ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.install.openclawBin });
    // What an install templates: the gateway user's home paths become the lab's.
    const rewrite = (p: string) =>
      p
        .replace("/home/openclaw/.openclaw", gw.env.OPENCLAW_STATE_DIR)
        .replace("/home/openclaw/.clawops-agent", agentDir);
    const sandbox = () => buildUnitSandbox(readUnit(UNIT), work, rewrite);

    it("is really sandboxed: no privileges, seccomp on, the system read-only, only its paths writable", () => {
      const sb = sandbox();
      console.log(`applied: ${sb.applied.join("; ")}\nnot applied here: ${sb.notApplied.join("; ") || "none"}`);
      const script = [
        "grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/self/status",
        "touch /usr/clawops-sandbox-probe 2>/dev/null && echo usr:writable || echo usr:read-only",
        "touch /etc/clawops-sandbox-probe 2>/dev/null && echo etc:writable || echo etc:read-only",
        `touch '${gw.install.openclawBin}.sandbox-probe' 2>/dev/null && echo openclaw-dir:writable || echo openclaw-dir:read-only`,
        `touch '${agentDir}/probe' && echo agent-dir:writable`,
        `touch '${gw.env.OPENCLAW_STATE_DIR}/.sandbox-probe' && rm '${gw.env.OPENCLAW_STATE_DIR}/.sandbox-probe' && echo state-dir:writable`,
        "mkdir -p /tmp/openclaw && echo tmp:writable",
        "unshare --net true 2>/dev/null && echo unshare:allowed || echo unshare:refused",
        "ls /dev | tr '\\n' ' '; echo",
        `stat -c umask-file:%a '${agentDir}/probe'`,
      ].join("\n");
      const [file, ...args] = sb.argv(["/bin/sh", "-c", script]);
      const run = spawnSync(file as string, args, { encoding: "utf8", env: env() });
      expect(run.status, run.stderr).toBe(0);
      const out = run.stdout;
      expect(out).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(out).toMatch(/^Seccomp:\s+2$/m);
      expect(out).toMatch(/^CapEff:\s+0+$/m);
      expect(out).toMatch(/^CapBnd:\s+0+$/m);
      expect(out).toContain("usr:read-only");
      expect(out).toContain("etc:read-only");
      // ProtectHome=read-only: the CLI under a home folder stays readable and runnable, not writable.
      expect(out).toContain("openclaw-dir:read-only");
      expect(out).toContain("agent-dir:writable");
      expect(out).toContain("state-dir:writable");
      expect(out).toContain("tmp:writable");
      expect(out).toContain("unshare:refused");
      expect(out).not.toMatch(/\bvda\b|\bsda\b|\bnvme/);
      expect(out).toContain("umask-file:600");
    });

    it("answers a triage against a real gateway exactly as it does unsandboxed", async () => {
      // The unit runs the agent as the gateway's user with no capabilities. The kernel lets a process
      // read another's /proc/<pid>/fd and environ only when it holds every capability that one
      // has: so this gateway runs the way a gateway runs on a host, as the same user and with no
      // capabilities (setpriv), not as the shared gateway runs (started by root, every capability).
      const { install } = gw;
      try {
        await gw.start({
          launcher: ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--"],
        });
        const pid = gw.pid as number;
        const env2 = env();
        const sb = sandbox();
        const outside = await probe([], env2, outsideDir);
        const inside = await probe(sb.argv([]), env2);
        expect(inside.results.map((r) => r.step).sort()).toEqual([...TRIAGE_STEP_NAMES].sort());
        // Same outcome for every step as without the sandbox. A step that ran out of time on either
        // side (the slow CLI probes on a loaded 2-core machine) says nothing about the sandbox.
        const outcome = (rs: StepResult[]) => Object.fromEntries(rs.map((r) => [r.step, r.status]));
        const inOut = outcome(inside.results);
        const outOut = outcome(outside.results);
        const comparable = TRIAGE_STEP_NAMES.filter((s) => inOut[s] !== "timeout" && outOut[s] !== "timeout");
        expect(comparable.length).toBeGreaterThanOrEqual(TRIAGE_STEP_NAMES.length - 3);
        expect(Object.fromEntries(comparable.map((s) => [s, inOut[s]]))).toEqual(
          Object.fromEntries(comparable.map((s) => [s, outOut[s]])),
        );
        const inResults = inside.results;

        // /proc: the gateway's listening socket traced to its process, and its environment read.
        const listeners = data(inResults, "port.listeners");
        expect(listeners.method).toBe("procfs");
        expect(new Set(listeners.listeners.map((l) => l.pid))).toEqual(new Set([pid]));
        expect(listeners.gatewayProcesses.map((p) => p.pid)).toContain(pid);
        const tokens = data(inResults, "tokens");
        expect(tokens.sources.find((s) => s.source === "config")?.fingerprint).toBe(tokenFingerprint(gw.token));
        expect(tokens).toEqual(data(outside.results, "tokens"));
        // Loopback WS and HTTP to the gateway.
        expect(data(inResults, "gateway.ws")).toMatchObject({ outcome: "hello-ok", statusRpc: { ok: true } });
        expect(data(inResults, "gateway.http").readyz.status).toBe(200);
        // The `openclaw` CLI, installed under a home folder, ran and answered.
        expect(data(inResults, "versions").openclaw).toBe(install.version);
        // `openclaw doctor --lint --json` ran (no cache in this state folder) and printed its document.
        const doctor = data(inResults, "doctor.lint");
        if (!doctor.timedOut) {
          expect(doctor.cache?.source ?? "run").toBe("run");
          expect(doctor.parseError).toBeUndefined();
          expect(doctor.checksRun ?? 0).toBeGreaterThan(0);
        }
        expect(data(inResults, "config")).toEqual(data(outside.results, "config"));
      } finally {
        await gw.stop();
      }
    });
  },
);
