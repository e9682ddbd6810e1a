import { generateKeyPairSync, sign } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AgentConnection, type AgentConnectionOptions, type JobRunner } from "../../src/agent/connection.ts";
import type { AgentIdentity } from "../../src/agent/identity.ts";
import { AgentCloseCode, type JobResultFrame, signedHelloPayload } from "../../src/contract/agent-wire.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { toBase64Url } from "../../src/contract/encoding.ts";
import { enrollHost, issueEnrollmentCode, NOT_VERIFIED_REASON } from "../../src/core/hub/enrollment.ts";
import type { EarlyResults } from "../../src/core/hub/frame-socket.ts";
import { HubSession, type HubSessionOptions } from "../../src/core/hub/hub-session.ts";
import type { JobSpec } from "../../src/core/ports/transport.ts";
import { createLinkedFramePair, type InMemoryDial, inMemoryDial, serveOnSession } from "../support/frame-pair.ts";
import { collectingLogger, quietLogger, until } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { leaked, plantedCorpus } from "../support/planted-secrets.ts";

/**
 * The one hub session (src/core/hub/hub-session.ts) against the real agent connection code
 * (src/agent/connection.ts), over an in-memory linked frame pair: no sockets, no ports.
 * The same session runs behind the Node `ws` hub (agent-hub.test.ts) and the Workers host
 * object (test/workerd).
 */
const quiet = quietLogger;
const clock = { now: () => Date.now() };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function newIdentity(): AgentIdentity {
  const { privateKey } = generateKeyPairSync("ed25519");
  const raw = (privateKey.export({ format: "jwk" }) as { x: string }).x;
  return { privateKey, publicKey: raw };
}

function hub(extra: Partial<HubSessionOptions> = {}) {
  const store = new InMemoryStore();
  const session = new HubSession({
    store,
    clock,
    logger: quiet,
    heartbeatMs: 60_000,
    handshakeTimeoutMs: 10_000,
    deadlineGraceMs: 0,
    ...extra,
  });
  const enroll = async (host: string, identity = newIdentity()) => {
    const { code } = await issueEnrollmentCode({ store, clock }, host);
    await enrollHost({ store, clock }, { code, host, publicKey: identity.publicKey });
    return identity;
  };
  return { store, session, enroll };
}

function agent(
  dialer: InMemoryDial,
  host: string,
  identity: AgentIdentity,
  runner: JobRunner,
  extra: Partial<AgentConnectionOptions> = {},
) {
  const logger = collectingLogger();
  const log = logger.lines;
  const a = new AgentConnection({
    server: "https://clawops.test",
    host,
    identity,
    agentVersion: "9.9.9-test",
    gatewayVersion: () => "2026.9.6",
    runner,
    logger,
    // Reconnects far enough out that no test sees one it did not ask for.
    backoff: { baseMs: 60_000, maxMs: 60_000 },
    dial: dialer.dial,
    ...extra,
  });
  a.start();
  stops.push(() => a.stop());
  return { a, log };
}

const versions = (ms: number): StepResult => ({
  step: "versions",
  status: "ok",
  durationMs: ms,
  data: { agent: "test", openclaw: "2026.9.6", os: "Debian", node: "v24.21.0" },
});

const job = (jobId: string, deadlineMs = 5_000): JobSpec => ({
  jobId,
  steps: [{ step: "versions", args: {} }],
  deadlineMs,
});

/** A runner that streams one result per step, then finishes. */
const streaming: JobRunner = {
  async run(j, onResult) {
    const out = j.steps.map(() => versions(2));
    for (const r of out) onResult(r);
    return out;
  },
};

/** A runner that streams one result and then never finishes (a hung probe). */
const hanging: JobRunner = {
  run(_j, onResult) {
    onResult(versions(1));
    return new Promise(() => {});
  },
};

function hello(host: string, nonce: string, identity: AgentIdentity) {
  return JSON.stringify({
    type: "hello",
    protocol: 1,
    host,
    nonce,
    signature: toBase64Url(sign(null, Buffer.from(signedHelloPayload(host, nonce)), identity.privateKey)),
    agentVersion: "raw",
  });
}

describe("hub session handshake, with the real agent", () => {
  it("challenges, checks the signed hello, welcomes, and records the agent's versions", async () => {
    const { session, store, enroll } = hub();
    const dialer = inMemoryDial(session);
    const id = await enroll("node-1");
    const { log } = agent(dialer, "node-1", id, streaming);
    await until("condition", 3_000, () => session.isOnline("node-1"));
    expect(await store.getHost("node-1")).toMatchObject({ agentVersion: "9.9.9-test", gatewayVersion: "2026.9.6" });
    expect(log.some((l) => l.message === "connected to hub")).toBe(true);
    // Wire protocol v1, frame by frame.
    const wire = dialer.last().hub.wire.map((w) => ({ from: w.from, frame: JSON.parse(w.text) }));
    expect(wire).toEqual([
      { from: "hub", frame: { type: "challenge", protocol: 1, nonce: expect.any(String), ts: expect.any(Number) } },
      {
        from: "agent",
        frame: {
          type: "hello",
          protocol: 1,
          host: "node-1",
          nonce: wire[0]?.frame.nonce,
          signature: expect.any(String),
          agentVersion: "9.9.9-test",
          gatewayVersion: "2026.9.6",
        },
      },
      { from: "hub", frame: { type: "welcome", host: "node-1", heartbeatMs: 60_000 } },
    ]);
  });

  it("closes a bad signature with 4401; the agent says to re-enroll and the host stays offline", async () => {
    const { session, enroll } = hub();
    const dialer = inMemoryDial(session);
    await enroll("node-2");
    const { log } = agent(dialer, "node-2", newIdentity(), streaming);
    await until("condition", 3_000, () => !!dialer.connections[0]?.hub.closed);
    expect(dialer.connections[0]?.hub.closed).toEqual({
      code: AgentCloseCode.badSignature,
      reason: expect.stringContaining("signature"),
    });
    expect(log.find((l) => l.message === "hub closed the connection")?.fields).toMatchObject({
      code: 4401,
      hint: expect.stringContaining("enroll"),
    });
    expect(await session.isOnline("node-2")).toBe(false);
  });

  it("closes an unknown host exactly as a bad signature (4401, same reason: no host-name oracle)", async () => {
    const { session, enroll } = hub();
    await enroll("node-2b");
    const unknown = inMemoryDial(session);
    const { log } = agent(unknown, "ghost", newIdentity(), streaming);
    const badKey = inMemoryDial(session);
    agent(badKey, "node-2b", newIdentity(), streaming);
    await until("condition", 3_000, () => !!unknown.connections[0]?.hub.closed && !!badKey.connections[0]?.hub.closed);
    expect(unknown.connections[0]?.hub.closed).toEqual({
      code: AgentCloseCode.badSignature,
      reason: NOT_VERIFIED_REASON,
    });
    expect(badKey.connections[0]?.hub.closed).toEqual(unknown.connections[0]?.hub.closed);
    expect(log.find((l) => l.message === "hub closed the connection")?.fields).toMatchObject({ code: 4401 });
  });

  it("refuses a hello for another host on a connection routed to one host (the Workers router)", async () => {
    const { session, enroll } = hub();
    const id = await enroll("node-3");
    await enroll("node-3b", id);
    const [hubEnd, agentEnd] = createLinkedFramePair();
    serveOnSession(session, hubEnd, { host: "node-3" });
    const challenge = await new Promise<{ nonce: string }>((r) =>
      agentEnd.once("message", (d) => r(JSON.parse(String(d)))),
    );
    agentEnd.send(hello("node-3b", challenge.nonce, id));
    await until("condition", 3_000, () => hubEnd.closed !== null);
    expect(hubEnd.closed).toEqual({
      code: AgentCloseCode.policy,
      reason: expect.stringContaining("on a connection for"),
    });
  });

  it("closes malformed and out-of-order frames with 1008 and says what was wrong", async () => {
    const { session } = hub();
    const cases: [string | ArrayBuffer, string][] = [
      ["not json at all", "frame is not valid JSON"],
      [JSON.stringify({ type: "hello", protocol: 1, host: "x" }), "malformed frame"],
      [JSON.stringify({ type: "heartbeat", ts: 1 }), "expected hello first"],
      [new ArrayBuffer(3), "binary frames are not part of the protocol"],
    ];
    for (const [frame, reason] of cases) {
      const [hubEnd, agentEnd] = createLinkedFramePair();
      serveOnSession(session, hubEnd);
      agentEnd.send(frame);
      await until("condition", 3_000, () => hubEnd.closed !== null);
      expect(hubEnd.closed).toEqual({ code: 1008, reason: expect.stringContaining(reason) });
    }
  });

  it("closes a connection that never says hello at its handshake deadline (4408)", async () => {
    const { session } = hub({ handshakeTimeoutMs: 1_000 });
    const [hubEnd] = createLinkedFramePair();
    serveOnSession(session, hubEnd);
    const deadline = session.nextHandshakeDeadline();
    expect(deadline).toBeGreaterThan(Date.now());
    expect(session.sweep(Date.now())).toBe(deadline);
    expect(session.sweep((deadline ?? 0) + 1)).toBeNull();
    await until("condition", 3_000, () => hubEnd.closed !== null);
    expect(hubEnd.closed).toEqual({ code: AgentCloseCode.handshakeTimeout, reason: "handshake timeout" });
  });
});

describe("hub session jobs, with the real agent", () => {
  it("sends job.run, streams progress, resolves with the result and acks it", async () => {
    const { session, enroll } = hub();
    const dialer = inMemoryDial(session);
    agent(dialer, "node-5", await enroll("node-5"), streaming);
    await until("condition", 3_000, () => session.isOnline("node-5"));
    const seen: string[] = [];
    const outcome = await session.dispatch("node-5", job("job_a"), (r) => seen.push(r.step));
    expect(seen).toEqual(["versions"]);
    expect(outcome).toMatchObject({ status: "done", results: [{ step: "versions", status: "ok" }] });
    await until("condition", 3_000, () => dialer.last().hub.wire.some((w) => w.text.includes('"job.ack"')));
    const types = dialer
      .last()
      .hub.wire.slice(3)
      .map((w) => `${w.from}:${JSON.parse(w.text).type}`);
    expect(types).toEqual(["hub:job.run", "agent:job.progress", "agent:job.result", "hub:job.ack"]);
    expect(session.pendingJobs).toBe(0);
  });

  it("scrubs every result an agent sends before anyone reads it (issue 32: an agent that redacts nothing)", async () => {
    const corpus = plantedCorpus();
    const leaky: JobRunner = {
      async run(j, onResult) {
        const out: StepResult[] = j.steps.map(() => ({
          step: "versions",
          status: "error",
          durationMs: 1,
          error: { code: "EXEC_FAILED", message: corpus.map((p) => p.text).join("\n") },
        }));
        for (const r of out) onResult(r);
        return out;
      },
    };
    const { session, enroll } = hub();
    agent(inMemoryDial(session), "node-leak", await enroll("node-leak"), leaky);
    await until("the agent online", 3_000, () => session.isOnline("node-leak"));
    const seen: StepResult[] = [];
    const outcome = await session.dispatch("node-leak", job("job_leak"), (r) => seen.push(r));
    const text = JSON.stringify([outcome, seen]);
    expect(text).toContain("EXEC_FAILED");
    expect(corpus.filter((p) => leaked(p, text)).map((p) => p.form)).toEqual([]);
  });

  it("with progress: false the agent sends only its result, which holds every step once", async () => {
    const { session, enroll } = hub();
    const dialer = inMemoryDial(session);
    agent(dialer, "node-q", await enroll("node-q"), streaming);
    await until("condition", 3_000, () => session.isOnline("node-q"));
    const seen: string[] = [];
    const quick: JobSpec = {
      jobId: "job_q",
      steps: [
        { step: "versions", args: {} },
        { step: "config", args: {} },
      ],
      deadlineMs: 5_000,
      progress: false,
    };
    const outcome = await session.dispatch("node-q", quick, (r) => seen.push(r.step));
    expect(seen).toEqual([]);
    expect(outcome).toMatchObject({ status: "done", results: [{ step: "versions" }, { step: "versions" }] });
    // A job that does not say so still streams, and its result is acked, as before.
    await session.dispatch("node-q", job("job_r"), (r) => seen.push(r.step));
    expect(seen).toEqual(["versions"]);
    await until("condition", 3_000, () => dialer.last().hub.wire.some((w) => w.text.includes('"job.ack"')));
    const frames = dialer
      .last()
      .hub.wire.slice(3)
      .map((w) => ({ from: w.from, frame: JSON.parse(w.text) }));
    // The quick probe: one frame each way, no ack (the agent kept no copy to drop).
    expect(frames.map((f) => `${f.from}:${f.frame.type}:${f.frame.jobId}`)).toEqual([
      "hub:job.run:job_q",
      "agent:job.result:job_q",
      "hub:job.run:job_r",
      "agent:job.progress:job_r",
      "agent:job.result:job_r",
      "hub:job.ack:job_r",
    ]);
    expect(frames[0]?.frame.progress).toBe(false);
    expect(frames[2]?.frame.progress).toBeUndefined();
  });

  it("acks a quick probe's result from an agent that streams progress anyway (an older agent keeps it until acked)", async () => {
    const { session, enroll } = hub();
    const id = await enroll("node-old");
    const [hubEnd, agentEnd] = createLinkedFramePair();
    serveOnSession(session, hubEnd);
    const acks: string[] = [];
    // An agent from before the flag: whatever the job says, progress per step, then the result.
    agentEnd.on("message", (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === "challenge") agentEnd.send(hello("node-old", frame.nonce, id));
      if (frame.type === "job.ack") acks.push(frame.jobId);
      if (frame.type === "job.run") {
        agentEnd.send(JSON.stringify({ type: "job.progress", jobId: frame.jobId, result: versions(1) }));
        agentEnd.send(
          JSON.stringify({ type: "job.result", jobId: frame.jobId, status: "done", results: [versions(1)] }),
        );
      }
    });
    await until("condition", 3_000, () => session.isOnline("node-old"));
    const outcome = await session.dispatch("node-old", { ...job("job_old"), progress: false }, () => {});
    expect(outcome).toMatchObject({ status: "done", results: [{ step: "versions", status: "ok" }] });
    await until("condition", 3_000, () => acks.length > 0);
    expect(acks).toEqual(["job_old"]);
  });

  it("keeps no copy of a quick probe's result: nothing of it is re-sent after a reconnect", async () => {
    const { session, enroll } = hub();
    const dialer = inMemoryDial(session);
    agent(dialer, "node-k", await enroll("node-k"), streaming, { backoff: { baseMs: 1, maxMs: 1 } });
    await until("condition", 3_000, () => session.isOnline("node-k"));
    await session.dispatch("node-k", { ...job("job_k1"), progress: false }, () => {});
    // The connection drops; on the next welcome the agent re-sends its outbox, which must not hold it.
    const first = dialer.last();
    first.hub.close(1001, "going away");
    await until("condition", 3_000, () => dialer.connections.length === 2 && session.isOnline("node-k"));
    const before = dialer.last().hub.wire.length;
    expect(
      dialer
        .last()
        .hub.wire.slice(0, before)
        .some((w) => w.text.includes("job_k1")),
    ).toBe(false);
    await session.dispatch("node-k", job("job_k2"), () => {});
    await until("condition", 3_000, () => dialer.last().hub.wire.some((w) => w.text.includes('"job.ack"')));
    expect(dialer.last().hub.wire.some((w) => w.text.includes("job_k1"))).toBe(false);
  });

  it("reports a host with no connection as offline, at once", async () => {
    const { session } = hub();
    expect(await session.dispatch("node-none", job("job_o"), () => {})).toEqual({
      status: "lost",
      reason: "agent not connected",
      results: [],
      offline: true,
    });
  });

  it("fails a pending job as lost the moment the agent dies mid-job, keeping what streamed in", async () => {
    const { session, enroll } = hub();
    const dialer = inMemoryDial(session);
    agent(dialer, "node-6", await enroll("node-6"), hanging);
    await until("condition", 3_000, () => session.isOnline("node-6"));
    const outcome = session.dispatch("node-6", job("job_b", 60_000), () => {});
    await until("condition", 3_000, () => dialer.last().hub.wire.some((w) => w.text.includes('"job.progress"')));
    dialer.last().agent.terminate();
    expect(await outcome).toEqual({
      status: "lost",
      reason: "agent disconnected (close 1006)",
      results: [expect.objectContaining({ step: "versions" })],
    });
    expect(await session.isOnline("node-6")).toBe(false);
  });

  it("fails the job when a welcomed agent sends a malformed frame", async () => {
    const { session, enroll } = hub();
    const id = await enroll("node-7");
    const [hubEnd, agentEnd] = createLinkedFramePair();
    serveOnSession(session, hubEnd);
    agentEnd.on("message", (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === "challenge") agentEnd.send(hello("node-7", frame.nonce, id));
      if (frame.type === "job.run") {
        agentEnd.send(
          JSON.stringify({ type: "job.progress", jobId: frame.jobId, result: { step: "versions", status: "weird" } }),
        );
      }
    });
    await until("condition", 3_000, () => session.isOnline("node-7"));
    const outcome = await session.dispatch("node-7", job("job_c", 60_000), () => {});
    expect(outcome).toMatchObject({ status: "lost", reason: expect.stringContaining("close 1008") });
    expect(hubEnd.closed?.reason).toContain("malformed frame at result");
  });

  it("times a job out at its deadline with the partial results", async () => {
    const { session, enroll } = hub();
    const dialer = inMemoryDial(session);
    agent(dialer, "node-8", await enroll("node-8"), hanging);
    await until("condition", 3_000, () => session.isOnline("node-8"));
    const outcome = await session.dispatch("node-8", job("job_d", 50), () => {});
    expect(outcome).toMatchObject({ status: "timeout", results: [{ step: "versions" }] });
  });

  it("a newer connection for the host replaces the older one (4000) and fails its pending job", async () => {
    const { session, enroll } = hub();
    const id = await enroll("node-9");
    const first = inMemoryDial(session);
    agent(first, "node-9", id, hanging);
    await until("condition", 3_000, () => session.isOnline("node-9"));
    const outcome = session.dispatch("node-9", job("job_e", 60_000), () => {});
    const second = inMemoryDial(session);
    agent(second, "node-9", id, streaming);
    expect(await outcome).toMatchObject({ status: "lost", reason: "agent reconnected on a new connection" });
    await until("condition", 3_000, () => first.last().hub.closed !== null);
    expect(first.last().hub.closed).toEqual({
      code: AgentCloseCode.replaced,
      reason: "replaced by a newer connection",
    });
    expect(await session.isOnline("node-9")).toBe(true);
    expect(await session.dispatch("node-9", job("job_f"), () => {})).toMatchObject({ status: "done" });
  });

  it("keeps a result the agent re-sends after a reconnect for the job's re-run (early results)", async () => {
    const kept = new Map<string, JobResultFrame>();
    const earlyResults: EarlyResults = {
      keep: (frame) => void kept.set(frame.jobId, frame),
      take: (jobId) => {
        const f = kept.get(jobId) ?? null;
        kept.delete(jobId);
        return f;
      },
    };
    const { session, enroll } = hub({ earlyResults });
    const dialer = inMemoryDial(session);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    agent(
      dialer,
      "node-10",
      await enroll("node-10"),
      {
        async run(_j, onResult) {
          await gate;
          onResult(versions(4));
          return [versions(4)];
        },
      },
      { backoff: { baseMs: 1, maxMs: 1 } },
    );
    await until("condition", 3_000, () => session.isOnline("node-10"));
    const lost = session.dispatch("node-10", job("job_g", 60_000), () => {});
    await until("condition", 3_000, () => dialer.last().hub.wire.some((w) => w.text.includes('"job.run"')));
    // The connection drops mid-job; the agent finishes offline and re-sends from its outbox.
    dialer.last().agent.terminate();
    expect(await lost).toMatchObject({ status: "lost" });
    release();
    await until("condition", 3_000, () => kept.has("job_g"));
    expect(dialer.connections.length).toBe(2);
    // The re-run of the same job id gets the delivered result, without running it again.
    expect(await session.dispatch("node-10", job("job_g"), () => {})).toMatchObject({
      status: "done",
      results: [{ step: "versions", durationMs: 4 }],
    });
  });
});

describe("hub session across a hibernation (state saved in the socket, session rebuilt)", () => {
  it("a new session restored from the saved state knows the agent and runs its next job", async () => {
    const first = hub();
    const dialer = inMemoryDial(first.session, { pinned: true });
    agent(dialer, "node-11", await first.enroll("node-11"), streaming);
    await until("condition", 3_000, () => first.session.isOnline("node-11"));
    const { hub: hubEnd } = dialer.last();
    expect(hubEnd.saved).toMatchObject({ host: "node-11", pinned: true, state: "open" });

    // The object left memory: a new session over the same store, rebuilt from the socket.
    const woken = new HubSession({
      store: first.store,
      clock,
      logger: quiet,
      heartbeatMs: 60_000,
      handshakeTimeoutMs: 10_000,
      deadlineGraceMs: 0,
    });
    const conn = woken.restore(hubEnd, hubEnd.saved ?? expect.fail("no saved state"));
    hubEnd.onframe = (raw) => void woken.receive(conn, raw);
    hubEnd.onclose = (code, reason) => woken.closed(conn, code, reason);
    expect(await woken.isOnline("node-11")).toBe(true);
    expect(woken.nextHandshakeDeadline()).toBeNull();
    expect(await woken.dispatch("node-11", job("job_h"), () => {})).toMatchObject({ status: "done" });
  });
});
