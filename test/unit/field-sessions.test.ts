import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { maskSessionKey, summarizeSessions } from "../../src/agent/probes/gateway-ws-sessions.ts";
import { STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { type Data, healthyData, toResults } from "../support/evidence.ts";

/**
 * Issue 46, wedged lanes from the gateway's own session list. `sessions-list.*.real-gateway.json`
 * are `sessions.list` answers captured from the lab's real 2026.9.6 gateway
 * (test/gateway/faults-field-46.test.ts with CLAWOPS_CAPTURE_DIR): a scratch session listed
 * whole, and the probe's own `activeOnly` read on a healthy gateway. A run cannot be started
 * there (no model credentials), so `sessions-list.stalled.dist-strings.json` is the captured row
 * with the run fields the dist sets on it (session-row-prepared-read-*.mjs: `status`,
 * `startedAt`; session-list-read-result-*.mjs: `hasActiveRun`, `activeRunIds`), moved back in time.
 */
const payload = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/openclaw/field/${name}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;
const classify = (d: Data) => classifyResults(toResults(d), STEP_NAMES);

describe("sessions.list: sessions whose work stopped moving", () => {
  it("the healthy gateway's answer to the probe's read: nothing active, no finding", () => {
    const rpc = summarizeSessions({ ok: true, payload: payload("sessions-list.active-only.real-gateway.json") });
    expect(rpc).toEqual({ ok: true, active: 0, sessions: [], ts: 1795721322846 });
    const d = healthyData();
    d.ws.sessionsRpc = rpc;
    const c = classify(d);
    expect(c.findings.map((f) => f.id)).toEqual(classify(healthyData()).findings.map((f) => f.id));
  });

  it("a real idle session (hasActiveRun false, no status) is not work, even listed whole", () => {
    const rpc = summarizeSessions({ ok: true, payload: payload("sessions-list.scratch.real-gateway.json") });
    expect(rpc).toMatchObject({ ok: true, sessions: [] });
  });

  it("running and queued sessions idle 10 min or more → session-run-stalled, naming each with its state and age", () => {
    const rpc = summarizeSessions({ ok: true, payload: payload("sessions-list.stalled.dist-strings.json") });
    // Least recent progress first; the chat id in the Telegram key is masked.
    expect(rpc.sessions).toEqual([
      {
        session: "agent:main:telegram:direct:<id>",
        status: "running",
        hasActiveRun: true,
        idleMin: 10,
        runningMin: 34,
      },
      { session: "agent:main:main", status: "queued", hasActiveRun: true, idleMin: 10, runningMin: 12 },
      {
        session: "agent:main:dashboard:2b1c4e0a-1111-4a5b-9c3d-0f0e0d0c0b0a",
        status: "running",
        hasActiveRun: true,
        idleMin: 0,
        runningMin: 3,
      },
    ]);
    const d = healthyData();
    d.ws.sessionsRpc = rpc;
    const f = classify(d).findings.find((x) => x.id === "session-run-stalled");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence).toEqual([
      "sessions.list: agent:main:telegram:direct:<id> status=running hasActiveRun=true, no progress for 10 min or more (started 34 min ago)",
      "sessions.list: agent:main:main status=queued hasActiveRun=true, no progress for 10 min or more (started 12 min ago)",
      "3 session(s) with running or queued work in all",
    ]);
    expect(f?.falseGreen).toContain("/readyz 200");
    expect(f?.nextCommands.join("\n")).toContain("openclaw sessions tail --session-key <session>");
  });

  it("a session busy right now (progress this minute) is not stalled", () => {
    const p = payload("sessions-list.stalled.dist-strings.json");
    const rows = p.sessions as Record<string, unknown>[];
    p.sessions = rows.filter((r) => r.label === "busy-now");
    const d = healthyData();
    d.ws.sessionsRpc = summarizeSessions({ ok: true, payload: p });
    expect(classify(d).findings.map((f) => f.id)).not.toContain("session-run-stalled");
  });

  it("an agent that could not read sessions.list says so and raises nothing", () => {
    const rpc = summarizeSessions({
      ok: false,
      error: { code: "INVALID_REQUEST", message: "missing scope: operator.read" },
    });
    expect(rpc.ok).toBe(false);
    const d = healthyData();
    d.ws.sessionsRpc = rpc;
    expect(classify(d).findings.map((f) => f.id)).not.toContain("session-run-stalled");
  });

  it("session keys keep their shape and lose who is talking (e-mail, phone numbers, chat ids)", () => {
    expect(maskSessionKey("agent:main:whatsapp:direct:+4915112345678")).toBe("agent:main:whatsapp:direct:<id>");
    expect(maskSessionKey("agent:ops:email:direct:ann@example.com")).toBe("agent:ops:email:direct:<email>");
    expect(maskSessionKey("agent:main:main")).toBe("agent:main:main");
  });
});
