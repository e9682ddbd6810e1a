import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectGateway } from "../../src/agent/probes/gateway-ws-client.ts";
import { SESSIONS_LIST_PARAMS, summarizeSessions } from "../../src/agent/probes/gateway-ws-sessions.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { type StepName, type StepResult, type StepResultOf, stepPlan } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { drainingNow } from "../../src/core/recover/runbook/steps/inflight.ts";
import { sharedGateway } from "../support/gateway/control.ts";
import { labProbeContext } from "../support/gateway/lab-triage.ts";
import { logSize, waitForLogLine } from "../support/gateway/log-lines.ts";
import { until } from "../support/until.ts";

/**
 * Issue 46 on the real gateway: the `sessions.list` read of the agent's gateway probe on a
 * healthy gateway (nothing stalled, so no finding), and the real row shape of a session; a stop
 * draining a real cron run, as the recover runbook's restart gate reads it; the auth limiter
 * locking loopback out (`exemptLoopback: false`), the right token included, set and put back
 * live; then the drain, whose stopped gateway afterAll starts: the file's one start.
 * CLAWOPS_CAPTURE_DIR=<dir> writes the raw payloads there (the fixtures in
 * test/unit/fixtures/openclaw/field/ named `sessions-list.*.real-gateway.json` came from it).
 */
const gw = sharedGateway();
const fileLog = join(gw.labDir, "logs", "openclaw-file.log");

const ctx = () => labProbeContext(gw);

async function probe(steps: StepName[]): Promise<StepResult[]> {
  const results = await runSteps(ctx(), stepPlan(steps as never), { deadlineMs: 30_000 });
  expect(JSON.stringify(results)).not.toContain(gw.token);
  return results;
}

function data<N extends StepName>(results: StepResult[], name: N): NonNullable<StepResultOf<N>["data"]> {
  const r = results.find((x): x is StepResultOf<N> => x.step === name);
  if (!r?.data) throw new Error(`no ${name}: ${JSON.stringify(r)}`);
  return r.data as NonNullable<StepResultOf<N>["data"]>;
}

async function capture(name: string, payload: unknown): Promise<void> {
  const dir = process.env.CLAWOPS_CAPTURE_DIR;
  if (dir) await writeFile(`${dir}/${name}`, `${JSON.stringify(payload, null, 2)}\n`);
}

beforeAll(async () => {
  await gw.restoreHealthy();
}, 420_000);

/** The drain test's cron job, removed over the running gateway at the end. */
let drainJob: string | undefined;

afterAll(async () => {
  await gw.restoreHealthy();
  if (drainJob) await openclaw(["cron", "rm", drainJob]).catch(() => undefined);
}, 420_000);

describe("sessions.list on the real gateway (issue 46, wedged lanes)", () => {
  it("healthy: the probe reads sessions.list, nothing has work, no stalled-session finding", async () => {
    const results = await probe(["gateway.ws", "gateway.http"]);
    const ws = data(results, "gateway.ws");
    expect(ws.outcome).toBe("hello-ok");
    expect(ws.sessionsRpc).toEqual({ ok: true, active: 0, sessions: [], ts: expect.any(Number) });
    const c = classifyResults(results, ["gateway.ws", "gateway.http"]);
    expect(c.findings.map((f) => f.id)).not.toContain("session-run-stalled");
  });

  it("the real row shape: a scratch session listed whole, then with activeOnly (the probe's parameters)", async () => {
    const hs = await connectGateway({
      url: gw.url,
      token: gw.token,
      timeoutMs: 30_000,
      clientVersion: "0.0.0-test",
      scopes: ["operator.read", "operator.write", "operator.admin"],
    });
    const conn = hs.connection;
    if (!conn) throw new Error(`no connection: ${hs.outcome} ${JSON.stringify(hs.error)}`);
    const label = `clawops-h46-${Date.now().toString(36)}`;
    try {
      const created = await conn.request("sessions.create", { label }, 20_000);
      expect(created.ok, JSON.stringify(created)).toBe(true);
      const all = await conn.request("sessions.list", { limit: 20, includeActivitySummary: false }, 20_000);
      if (!all.ok) throw new Error(JSON.stringify(all.error));
      const rows = (all.payload as { sessions: Record<string, unknown>[] }).sessions;
      const row = rows.find((r) => r.label === label);
      expect(row, JSON.stringify(rows.map((r) => r.key))).toBeDefined();
      // The fields the summary reads, as 2026.9.6 serves them.
      expect(row).toMatchObject({ key: expect.stringMatching(/^agent:/), updatedAt: expect.any(Number) });
      expect(["string", "undefined"]).toContain(typeof row?.status);
      expect(typeof (all.payload as { ts: unknown }).ts).toBe("number");
      // A session with no run is not one with work: the summary leaves it out.
      expect(summarizeSessions(all).sessions?.map((s) => s.session)).not.toContain(row?.key);
      const active = await conn.request("sessions.list", { ...SESSIONS_LIST_PARAMS }, 20_000);
      if (!active.ok) throw new Error(JSON.stringify(active.error));
      expect((active.payload as { sessions: unknown[] }).sessions).toEqual([]);
      await capture("sessions-list.scratch.real-gateway.json", all.payload);
      await capture("sessions-list.active-only.real-gateway.json", active.payload);
      if (typeof row?.key === "string") await conn.request("sessions.delete", { key: row.key }, 20_000);
    } finally {
      await conn.close();
    }
  });
});

async function openclaw(args: string[], timeout = 60_000): Promise<string> {
  const { stdout } = await promisify(execFile)(gw.openclawBin, args, { env: gw.env, timeout });
  return stdout;
}

describe("the auth limiter on the real gateway (issue 46)", () => {
  it("exemptLoopback false: three wrong tokens lock loopback out, the agent's right token is refused → auth-rate-limited, not token drift", async () => {
    const original = await readFile(gw.configPath, "utf8");
    // The right token let in first: a success clears what the limiter counted for this address
    // (the files before this one fail on purpose too), so it starts from no failures.
    await expectLetIn();
    try {
      const config = JSON5.parse(original) as { gateway: { auth: Record<string, unknown> } };
      // Taken live: OpenClaw 2026.9.6's reload hands gateway.auth.rateLimit to the running
      // limiter (its policy replaced, the failures it counted kept), no restart.
      config.gateway.auth.rateLimit = { exemptLoopback: false, maxAttempts: 3, windowMs: 60_000, lockoutMs: 120_000 };
      await writeLive(`${JSON.stringify(config, null, 2)}\n`);
      // An old client with a stale token, bounded: three attempts, each refused as a mismatch.
      for (let i = 0; i < 3; i++) {
        const bad = await connectGateway({
          url: gw.url,
          token: `stale-token-${i}-0123456789abcdef`,
          timeoutMs: 15_000,
          clientVersion: "0.0.0-old-client",
        });
        expect(bad.outcome).toBe("rejected");
        expect(bad.error?.detailCode).toBe("AUTH_TOKEN_MISMATCH");
      }
      const results = await probe(["gateway.ws", "gateway.http", "logs.signatures", "config", "tokens"]);
      const ws = data(results, "gateway.ws");
      expect(ws.outcome).toBe("rejected");
      expect(ws.error?.detailCode).toBe("AUTH_RATE_LIMITED");
      expect(ws.error?.retryAfterMs).toBeGreaterThan(0);
      expect(ws.error?.retryAfterMs).toBeLessThanOrEqual(120_000);
      const http = data(results, "gateway.http");
      expect(http.healthz.status).toBe(200);
      expect(http.readyz.status).toBe(200);
      const c = classifyResults(results, ["gateway.ws", "gateway.http", "logs.signatures", "config", "tokens"]);
      const f = c.findings.find((x) => x.id === "auth-rate-limited");
      expect(f, JSON.stringify(c.findings.map((x) => x.id))).toBeDefined();
      expect(f?.falseGreen).toBe("/healthz 200, /readyz 200");
      expect(f?.evidence.join("\n")).toMatch(/locked out for \d+ s more \(retryAfterMs \d+\)/);
      // Who tripped it: the gateway's own lines for the old client's failures.
      expect(f?.evidence.join("\n")).toMatch(/unauthorized .*client=.*reason=token_mismatch/);
      // clawops' token is right: nothing calls this token drift.
      const ids = c.findings.map((x) => x.id);
      expect(ids.filter((id) => /token-(drift|mismatch)/.test(id))).toEqual([]);
      // The limiter put back live (loopback exempt again, as by default): the right token is let
      // in at once, the lockout not waited out, no restart (what the finding tells an operator).
      await writeLive(original);
      await expectLetIn();
    } finally {
      // A test that failed before its put-back: put back live too, or restart if that is not taken.
      if ((await readFile(gw.configPath, "utf8")) !== original) await writeLive(original).catch(() => gw.restart({}));
    }
  });
});

describe("a stop draining a real cron run (issue 46, the restart gate)", () => {
  it("healthy: gateway.inflight reads /readyz 200 with nothing failing, so the gate lets a restart through", async () => {
    const [r] = await probe(["gateway.inflight"]);
    const flight = r?.step === "gateway.inflight" ? r.data : undefined;
    expect(flight?.readyz).toEqual({ status: 200, failing: [] });
    expect(drainingNow(flight)).toBeNull();
  });

  it("SIGTERM while a cron command runs: /readyz 503 gateway-draining → the gate refuses, gateway-draining is found", async () => {
    let jobId = "";
    try {
      const added = JSON.parse(
        await openclaw([
          "cron",
          "add",
          "--name",
          "clawops-h46-drain",
          "--every",
          "6h",
          "--command-argv",
          JSON.stringify(["sleep", "40"]),
          "--json",
        ]),
      ) as Record<string, unknown>;
      jobId = String(added.id ?? (added.job as Record<string, unknown> | undefined)?.id ?? "");
      expect(jobId, JSON.stringify(added)).not.toBe("");
      await openclaw(["cron", "run", jobId]);
      const { pid } = await gw.state();
      if (!pid) throw new Error("no gateway pid");
      // The gateway alone (not its process group): the cron command keeps running, so the stop drains.
      await until(
        "the cron run to be active",
        30_000,
        async () => {
          const res = data(await probe(["gateway.ws"]), "gateway.ws");
          return res.cronRpc?.ok ? true : null;
        },
        1_000,
      );
      await new Promise((r) => setTimeout(r, 2_000));
      process.kill(pid, "SIGTERM");
      const seen = await until(
        "/readyz 503 gateway-draining",
        30_000,
        async () => {
          const results = await probe(["gateway.inflight", "gateway.http", "port.listeners", "logs.signatures"]);
          const r = results.find((x) => x.step === "gateway.inflight");
          const flight = r?.step === "gateway.inflight" ? r.data : undefined;
          return drainingNow(flight) ? { results, flight } : null;
        },
        250,
      );
      await capture("inflight-draining.real-gateway.json", seen.flight);
      expect(seen.flight?.readyz).toEqual({ status: 503, failing: expect.arrayContaining(["gateway-draining"]) });
      // The WebSocket is refused meanwhile: the RPCs alone would have said only "unreachable".
      expect(seen.flight?.reachable).toBe(false);
      const c = classifyResults(seen.results, [
        "gateway.inflight",
        "gateway.http",
        "port.listeners",
        "logs.signatures",
      ]);
      const f = c.findings.find((x) => x.id === "gateway-draining");
      expect(f, JSON.stringify(c.findings.map((x) => x.id))).toBeDefined();
      expect(f?.evidence[0]).toMatch(/^\/readyz 503 \{"failing":\[.*"gateway-draining"/);
    } finally {
      // Left stopped: afterAll starts it (the file's one start) and removes the job over it; that
      // start also puts the limiter test's refusals before the last start for the files after this.
      await gw.stop();
      if (jobId) drainJob = jobId;
    }
  });
});

/** The right token connects (hello-ok); the session is closed again. */
async function expectLetIn(): Promise<void> {
  const h = await connectGateway({ url: gw.url, token: gw.token, timeoutMs: 15_000, clientVersion: "0.0.0-test" });
  expect(h.outcome, JSON.stringify(h.error)).toBe("hello-ok");
  await h.connection?.close();
}

/** Writes the config and waits for the running gateway to say it applied the auth change. */
async function writeLive(text: string): Promise<void> {
  const offset = await logSize(fileLog);
  await writeFile(gw.configPath, text, { mode: 0o600 });
  await waitForLogLine(fileLog, /config hot reload applied \([^)]*\bgateway\.auth\.rateLimit\b/, offset, 60_000);
}
