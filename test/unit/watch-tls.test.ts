import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isoTime } from "../../src/agent/icu-free.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { AgentWatch } from "../../src/agent/watch.ts";
import type { WatchDigestFrame, WatchStateFrame } from "../../src/contract/agent-wire.ts";
import type { CertificateFacts, GatewayTlsData, StepResult } from "../../src/contract/catalog.ts";
import { QUICK_PROBE_DEADLINE_MS, quickProbeSteps, watchComparable } from "../../src/contract/watch.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { enrolledHost, quietLogger, RecordingChat, testDeps } from "../support/harness.ts";
import { freePort } from "../support/ports.ts";

/**
 * Issue 46: the watch opens an incident for the `fail` TLS rules. The agent's own watch
 * (src/agent/watch.ts, its real timer, hash and frames) over a gateway serving TLS, its frames
 * handed to the control plane's WatchService on real SQLite, all on one fake clock: the
 * reading's time moves every probe and is no change; a certificate that expires while nothing
 * else changes is one, and opens the host's incident; a healthy TLS reading opens nothing.
 */
const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const HOST = "node-3";
const CHANNEL = "C0INCIDENT";
const DAY = 86_400_000;
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().slice(-2)).join(":");

/** OpenClaw's generated pair as the `gateway.tls` step reads it, valid until `notAfter`. */
function cert(notAfter: number): CertificateFacts {
  return {
    fingerprint256: FINGERPRINT,
    notBefore: isoTime(T0 - 300 * DAY),
    notAfter: isoTime(notAfter),
    subjectCN: "openclaw-gateway",
    issuerCN: "openclaw-gateway",
    selfSigned: true,
  };
}

/** The TLS gateway's quick probe read at `at`: healthy over wss/https, pinned; its certificate valid until `notAfter`. */
function tlsProbe(notAfter: number, at: number): StepResult[] {
  const d = healthyData();
  d.ws = { ...d.ws, url: "wss://127.0.0.1:19001" };
  d.http = { ...d.http, baseUrl: "https://127.0.0.1:19001" };
  const c = cert(notAfter);
  const tls: GatewayTlsData = {
    enabled: true,
    certPath: "/home/op/.openclaw/gateway/tls/gateway-cert.pem",
    certSource: "generated",
    file: c,
    served: c,
    servedMatchesFile: true,
    // Held the same on purpose: the certificate's standing alone must make the change (the lab
    // gateway's CA-verifying client said CERT_HAS_EXPIRED once its self-signed pair expired).
    caVerdict: { trusted: false, error: "self-signed certificate" },
    port: 19001,
    checkedAt: isoTime(at),
  };
  d.tls = tls;
  const steps = new Set<string>([...quickProbeSteps(QUICK_PROBE_DEADLINE_MS).map((s) => s.step), "state.files"]);
  return toResults(d).filter((r) => steps.has(r.step));
}

const tlsOf = (results: readonly StepResult[]) => {
  const r = results.find((x) => x.step === "gateway.tls");
  return r?.step === "gateway.tls" ? r.data : undefined;
};

/** The agent's watch every 30 s, its frames to the control plane's watch service, one fake clock. */
async function rig(notAfter: number) {
  const store = new SqliteStore(":memory:");
  await store.insertHost(enrolledHost(HOST, T0));
  const chat = new RecordingChat();
  // The triage the watch starts reads the same gateway.
  const transport = new FakeHostTransport().addHost(HOST, {
    results: (() => {
      const d = healthyData();
      d.tls = tlsOf(tlsProbe(notAfter, T0 + 10 * 60_000)) as GatewayTlsData;
      return toResults(d);
    })(),
  });
  const deps = testDeps({
    store,
    chat,
    transport,
    clock: { now: () => Date.now() },
    incidents: parseIncidentRouting(CHANNEL, undefined),
  });
  const service = new WatchService(deps);
  const frames: (WatchStateFrame | WatchDigestFrame)[] = [];
  const handled: Promise<void>[] = [];
  let probes = 0;
  const agent = new AgentWatch({
    runner: {
      run: async () => {
        probes++;
        return tlsProbe(notAfter, Date.now());
      },
    },
    logger: quietLogger,
    send: (f) => {
      if (f.type !== "watch.state" && f.type !== "watch.digest") return false;
      frames.push(f);
      handled.push(service.receive(HOST, f));
      return true;
    },
    busy: () => false,
  });
  agent.start({ intervalMs: 30_000, digestMs: 600_000 });
  return {
    store,
    chat,
    frames,
    states: () => frames.filter((f): f is WatchStateFrame => f.type === "watch.state"),
    probes: () => probes,
    /** Lets `ms` pass on the clock, then waits for the control plane to handle what was sent. */
    async pass(ms: number) {
      await vi.advanceTimersByTimeAsync(ms);
      await Promise.all(handled);
    },
    stop: () => agent.stop(),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  vi.spyOn(Math, "random").mockReturnValue(0.5); // no jitter: the first probe at 2.5 s, then every 30 s
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("the watch on a TLS gateway (issue 46)", () => {
  it("compares the certificate's standing, not the time it was read", () => {
    const year = T0 + 365 * DAY;
    const base = tlsProbe(year, T0);
    expect(watchComparable(tlsProbe(year, T0 + 30_000))).toBe(watchComparable(base));
    expect(watchComparable(tlsProbe(year, T0 + 300 * DAY))).toBe(watchComparable(base));
    // 14 days or fewer left: expiring; at notAfter and after: expired. Each is a change.
    const expiring = watchComparable(tlsProbe(year, year - 14 * DAY));
    expect(expiring).not.toBe(watchComparable(base));
    expect(watchComparable(tlsProbe(year, year - DAY))).toBe(expiring);
    const expired = watchComparable(tlsProbe(year, year));
    expect(expired).not.toBe(expiring);
    expect(watchComparable(tlsProbe(year, year + 40 * DAY))).toBe(expired);
  });

  it("a healthy TLS reading: one state, digests after it, held healthy, nothing posted", async () => {
    const r = await rig(T0 + 365 * DAY);
    // 22 probes: the digest period (10 min) passes once after the first confirmation.
    await r.pass(2_500 + 30_000 * 21);
    expect(r.probes()).toBe(22);
    // Every probe read the handshake at another time; only the first was sent.
    expect(r.states()).toHaveLength(1);
    expect(tlsOf(r.states()[0]?.results ?? [])).toMatchObject({ enabled: true, servedMatchesFile: true });
    expect(r.frames.map((f) => f.type)).toEqual(["watch.state", "watch.digest", "watch.digest"]);
    const held = await r.store.getWatch?.(HOST);
    expect(held).toMatchObject({ held: { healthy: true, findingIds: [] }, last: { healthy: true, findingIds: [] } });
    expect(held?.last.layers.transport).toBe("ok");
    expect(r.chat.posted).toEqual([]);
    expect(await r.store.listIncidents({ open: true })).toEqual([]);
    r.stop();
  });

  it("a certificate that expires while the watch runs: expiring is a warning and posts nothing; expired opens the host's incident", async () => {
    const notAfter = T0 + 5 * 60_000;
    const r = await rig(notAfter);
    await r.pass(2_500 + 30_000 * 9); // probes up to T0 + 4.5 min: 30 s left at the last
    expect(r.states()).toHaveLength(1);
    const expiring = await r.store.getWatch?.(HOST);
    // A warning: held healthy, the transport layer warns, no failing finding.
    expect(expiring).toMatchObject({
      held: { healthy: true, findingIds: [] },
      last: { healthy: true, findingIds: [] },
    });
    expect(expiring?.last.layers.transport).toBe("warn");
    expect(r.chat.posted).toEqual([]);

    // The probe at T0 + 5 min reads it at its notAfter: nothing else changed, and it is sent.
    await r.pass(30_000);
    expect(r.states()).toHaveLength(2);
    expect(tlsOf(r.states()[1]?.results ?? [])?.checkedAt).toBe(isoTime(notAfter + 2_500));
    expect(r.chat.posted).toEqual([]); // one probe is not yet an incident
    await r.pass(30_000);

    const [header, notice] = r.chat.posted;
    expect(header?.channel).toBe(CHANNEL);
    expect(header?.text).toBe(`Incident: OpenClaw gateway on ${HOST}`);
    expect(JSON.stringify(header?.parts)).toContain("Opened by *clawops watch*");
    expect(notice?.text).toBe(`Watch: ${HOST} failing since 09:05:02 UTC: The gateway's TLS certificate has expired`);
    const shown = JSON.stringify(notice?.parts);
    expect(shown).toContain("`tls-cert-expired`");
    expect(shown).toContain(
      "False green: the wss handshake pinned to the certificate's fingerprint succeeded (wss://127.0.0.1:19001): a pin does not check expiry;",
    );
    const open = await r.store.listIncidents({ open: true });
    expect(open.map((i) => [i.source, i.hosts.join(",")])).toEqual([["watch", HOST]]);
    expect(await r.store.getWatch?.(HOST)).toMatchObject({
      held: { healthy: false, findingIds: ["tls-cert-expired"] },
      last: { healthy: false, findingIds: ["tls-cert-expired"] },
    });
    r.stop();
  });

  it("with gateway.tls off, the step answers from the config reading: nothing connects to the gateway's port", async () => {
    vi.useRealTimers();
    const dir = await mkdtemp(join(tmpdir(), "clawops-watch-tls-"));
    const port = await freePort();
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      const config = join(dir, "openclaw.json");
      await writeFile(config, JSON.stringify({ gateway: { port, bind: "loopback", auth: { mode: "token" } } }));
      const ctx = resolveProbeContext(
        { HOME: dir, OPENCLAW_CONFIG_PATH: config, OPENCLAW_STATE_DIR: dir },
        { agentVersion: "0.0.0-test" },
      );
      const steps = quickProbeSteps(QUICK_PROBE_DEADLINE_MS).filter(
        (s) => s.step === "gateway.tls" || s.step === "config",
      );
      const results = await runSteps(ctx, steps, { deadlineMs: QUICK_PROBE_DEADLINE_MS });
      expect(results.find((r) => r.step === "gateway.tls")).toMatchObject({
        status: "ok",
        data: { enabled: false, certPath: null },
      });
      expect(connections).toBe(0);
      // The same port with TLS on in the file: the step makes its handshake there (this listener
      // is not TLS, so it says why there is no certificate).
      await writeFile(
        config,
        JSON.stringify({ gateway: { port, bind: "loopback", auth: { mode: "token" }, tls: { enabled: true } } }),
      );
      const on = await runSteps(ctx, steps, { deadlineMs: QUICK_PROBE_DEADLINE_MS });
      expect(tlsOf(on)).toMatchObject({ enabled: true, port, servedError: expect.stringContaining(`port ${port}`) });
      expect(connections).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
