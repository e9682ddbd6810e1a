import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeChannels } from "../../src/agent/probes/gateway-ws.ts";
import { idleStep } from "../../src/agent/probes/gateway-ws-field.ts";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import {
  type GatewayVitalsData,
  type LogSignaturesData,
  STEP_NAMES,
  type StepResult,
} from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import type { FleetEvidence } from "../../src/core/classify/evidence.ts";
import { sharedCredentials, watchAttributes } from "../../src/core/hosts/watch-attributes.ts";
import type { WatchRecord } from "../../src/core/ports/watch-record.ts";
import { type Data, healthyData, toResults } from "../support/evidence.ts";

/**
 * Issue 30, classes 1–3: chat channels that look connected and are not, restart storms, two
 * pollers on one Telegram bot. The `channels.status` payloads and the 409 log lines are real
 * captures from OpenClaw 2026.9.6 with a Telegram account against a local Bot API stand-in;
 * restarts, stalls and the health monitor's stale-socket restarts are dist-strings fixtures (the
 * monitor runs every 300 s and a stall takes 150 s: not within a test's time).
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/openclaw/field/${name}`, import.meta.url), "utf8");
const payload = (name: string) => JSON.parse(fixture(name)) as Record<string, unknown>;

function logsFrom(text: string): LogSignaturesData {
  return {
    found: true,
    path: "/tmp/openclaw/openclaw-2026-11-24.log",
    tried: [],
    bytesRead: text.length,
    ...scanLogText(text),
  };
}

function classify(d: Data, extra: StepResult[] = [], fleet?: FleetEvidence) {
  return classifyResults([...toResults(d), ...extra], STEP_NAMES, undefined, fleet ? { fleet } : {});
}

/** The real polling account, `minutesLater` after the capture (its transport quiet since). */
function pollingAccount(minutesLater: number) {
  const p = payload("channels-status.polling.real-gateway.json");
  return summarizeChannels({ ok: true, payload: { ...p, ts: (p.ts as number) + minutesLater * 60_000 } });
}

const vitals = (credentials: GatewayVitalsData["channelCredentials"]): StepResult => ({
  step: "gateway.vitals",
  status: "ok",
  durationMs: 20,
  data: { pid: 8088, memory: null, responsiveness: null, channelCredentials: credentials },
});

describe("channels.status, as the agent summarizes it (real payloads)", () => {
  it("a live polling account: lifecycle, mode, restarts, idle steps; no inbound yet", () => {
    const rpc = pollingAccount(0);
    expect(rpc.accounts?.[0]).toEqual({
      channel: "telegram",
      accountId: "default",
      enabled: true,
      configured: true,
      running: true,
      connected: true,
      lifecycle: "ready",
      mode: "polling",
      restartPending: false,
      reconnectAttempts: 0,
      transportIdleMin: 0,
      noInboundYet: true,
    });
  });

  it("idle minutes move in steps, so a steady account does not change what the watch compares", () => {
    expect([0.4, 1.9, 2, 4.99, 5, 29, 30, 61, 200, 5000].map(idleStep)).toEqual([0, 0, 2, 2, 5, 10, 30, 60, 180, 1440]);
    const a = pollingAccount(0.2);
    const b = pollingAccount(0.9);
    const asResult = (rpc: ReturnType<typeof summarizeChannels>): StepResult[] => [
      { step: "gateway.ws", status: "ok", durationMs: 1, data: { ...healthyData().ws, channelsRpc: rpc } },
    ];
    expect(watchComparable(asResult(a))).toBe(watchComparable(asResult(b)));
  });
});

describe("class 1: zombie channel", () => {
  it("a healthy polling account carries no channel finding", () => {
    const d = healthyData();
    d.ws.channelsRpc = pollingAccount(0.5);
    const c = classify(d);
    expect(c.findings.filter((f) => f.layer === "channels")).toEqual([]);
    expect(c.matrix.channels.status).toBe("ok");
  });

  it("connected, but no transport activity for 12 min → channel-zombie, naming the check that says connected", () => {
    const d = healthyData();
    d.ws.channelsRpc = pollingAccount(12);
    const f = classify(d).findings.find((x) => x.id === "channel-zombie");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toBe(
      "channels.status: telegram/default connected, lifecycle ready, mode polling, no transport activity for ≥ 10 min, no inbound message since it started",
    );
    expect(f?.falseGreen).toContain("`openclaw channels status` shows telegram/default connected");
    expect(f?.falseGreen).toContain("/readyz 200");
  });

  it("a webhook account is quiet when nobody writes: not a zombie", () => {
    const d = healthyData();
    const rpc = pollingAccount(45);
    d.ws.channelsRpc = { ...rpc, accounts: rpc.accounts?.map((a) => ({ ...a, mode: "webhook" })) };
    expect(classify(d).findings.map((f) => f.id)).not.toContain("channel-zombie");
  });

  it("the poller stalls again and again since the start (dist strings) → channel-zombie quotes the stalls", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("dist-strings-channels.log"));
    const f = classify(d).findings.find((x) => x.id === "channel-zombie");
    expect(f?.evidence).toContain(
      '/tmp/openclaw/openclaw-2026-11-24.log: 2 "polling-stall" lines (telegram×2), newest 2026-11-24T08:56:37.500+00:00',
    );
    expect(f?.evidence).toContain("gateway log: the health monitor restarted a channel 2× for reason stale-socket");
  });
});

describe("class 2: channel restart storm", () => {
  it("auto-restarts and health-monitor restarts within the hour, and the hourly limit (dist strings) → channel-restart-storm", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("dist-strings-channels.log"));
    const f = classify(d).findings.find((x) => x.id === "channel-restart-storm");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toBe(
      '/tmp/openclaw/openclaw-2026-11-24.log: 3 "channel-auto-restart" lines (telegram×3), newest 2026-11-24T08:40:15.410+00:00',
    );
    expect(f?.evidence).toContain(
      "log: 2026-11-24T08:58:00.000+00:00 [health-monitor] [telegram:default] health-monitor: hit 10 restarts/hour limit, skipping",
    );
    expect(f?.evidence.some((l) => l.includes("channel exited: Network request for 'getUpdates' failed!"))).toBe(true);
    expect(f?.falseGreen).toContain("/healthz 200");
  });

  it("the real health-monitor restart line counts, with its reason (real capture)", () => {
    const scan = scanLogText(fixture("telegram-409.real-gateway.jsonl"));
    expect(scan.signatures.find((s) => s.kind === "health-monitor-restart")?.reasons).toEqual({ disconnected: 1 });
    expect(scan.signatures.find((s) => s.kind === "channel-exited")?.reasons).toEqual({ telegram: 1 });
  });

  it("one restart is not a storm", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("dist-strings-channels.log").split("\n").slice(0, 4).join("\n"));
    expect(classify(d).findings.map((f) => f.id)).not.toContain("channel-restart-storm");
  });
});

describe("class 3: duplicate poller", () => {
  it("the real 409 lines and the account's last error → duplicate-poller (real capture)", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("telegram-409.real-gateway.jsonl"));
    d.ws.channelsRpc = summarizeChannels({
      ok: true,
      payload: payload("channels-status.conflict-accounts.real-gateway.json"),
    });
    const f = classify(d).findings.find((x) => x.id === "duplicate-poller");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toMatch(/: 7 "telegram-getupdates-conflict" lines, newest 2026-11-25T12:10:02/);
    expect(f?.evidence).toContain(
      "channels.status: telegram/default connected false — last error: Telegram getUpdates conflict: Conflict: terminated by other getUpdates request; make sure that only one bot instance is running. Another OpenClaw gateway, script, or Telegram poller may be using this bot token; stop the duplicate poller or switch this account to webhook mode.",
    );
  });

  it("the same bot token on another enrolled host, by fingerprint: named in the finding, and its own warning", () => {
    const mine = [
      { channel: "telegram", accountId: "default", setting: "botToken", fingerprint: "sha256:0123456789ab" },
    ];
    const record = (host: string, creds: string[]): WatchRecord => ({
      host,
      last: {
        at: 1,
        seq: 1,
        hash: "h",
        healthy: true,
        layers: {},
        findingIds: [],
        reason: "ok",
        falseGreen: null,
        attributes: { channelCredentials: creds },
      },
      run: { healthy: true, since: 1, count: 1 },
      held: null,
      failingSince: null,
      reportedAt: 1,
      stale: null,
      flap: null,
    });
    const records = [
      record("node-3", ["telegram/default sha256:0123456789ab"]),
      record("node-7", ["telegram/default sha256:0123456789ab"]),
      record("node-9", ["telegram/default sha256:ffffffffffff"]),
    ];
    const fleet = sharedCredentials("node-3", mine, records);
    expect(fleet.sharedCredentials).toEqual([{ ...mine[0], hosts: ["node-7"] }]);

    const d = healthyData();
    const c = classify(d, [vitals(mine)], fleet);
    const warn = c.findings.find((f) => f.id === "bot-token-on-several-hosts");
    expect(warn?.evidence).toEqual(["telegram/default: credential sha256:0123456789ab also configured on node-7"]);
    expect(JSON.stringify(c)).not.toMatch(/7000001:|AAH/);

    d.logs = logsFrom(fixture("telegram-409.real-gateway.jsonl"));
    const dup = classify(d, [vitals(mine)], fleet).findings.find((f) => f.id === "duplicate-poller");
    expect(dup?.evidence).toContain(
      "telegram/default sha256:0123456789ab is also configured on node-7 (by fingerprint)",
    );
  });

  it("what the watch state carries for the fleet: fingerprints, accounts down, providers not usable", () => {
    const d = healthyData();
    d.ws.channelsRpc = summarizeChannels({
      ok: true,
      payload: payload("channels-status.conflict-accounts.real-gateway.json"),
    });
    d.ws.modelsRpc = {
      ok: true,
      providers: [
        { provider: "anthropic", status: "expired" },
        { provider: "openai", status: "static" },
      ],
    };
    const creds = [
      { channel: "telegram", accountId: "default", setting: "botToken", fingerprint: "sha256:0123456789ab" },
    ];
    expect(watchAttributes([...toResults(d), vitals(creds)])).toEqual({
      channelCredentials: ["telegram/default sha256:0123456789ab"],
      channelsDown: ["telegram/default disconnected"],
      modelAuth: ["anthropic expired"],
    });
    expect(watchAttributes(toResults(healthyData()))).toBeUndefined();
  });
});
