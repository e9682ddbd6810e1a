import { generateKeyPairSync, sign } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { AgentConnection, type JobRunner } from "../../src/agent/connection.ts";
import { type AgentIdentity, loadOrCreateIdentity } from "../../src/agent/identity.ts";
import { AgentCloseCode, signedHelloPayload } from "../../src/contract/agent-wire.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { toBase64Url } from "../../src/contract/encoding.ts";
import { renderHosts } from "../../src/core/hosts/render.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { quietLogger, until } from "../support/harness.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";

const quiet = quietLogger;
let plane: NodePlane;
let cp: ControlPlane;

beforeAll(async () => {
  plane = await startNodePlane({ name: "hub", config: { heartbeatMs: 60_000 } });
  cp = plane.cp;
});
afterAll(() => plane.close());

async function enrolled(host: string): Promise<AgentIdentity> {
  const identity = loadOrCreateIdentity(join(plane.dir, `agent-${host}`));
  await plane.enroll(host, identity.publicKey);
  return identity;
}

const wsUrl = () => `${cp.url.replace("http", "ws")}/agent/connect`;

/** A raw client: speaks the protocol by hand so tests can misbehave on purpose. */
function rawClient(): Promise<{
  ws: WebSocket;
  challenge: { nonce: string };
  closed: Promise<{ code: number; reason: string }>;
}> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl());
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.once("close", (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.once("message", (data) => resolve({ ws, challenge: JSON.parse(data.toString()), closed }));
    ws.once("error", reject);
  });
}

/** An enrolled host's raw client, past the handshake: free to misbehave in a job. */
async function onlineRawClient(host: string) {
  const id = await enrolled(host);
  const c = await rawClient();
  c.ws.send(hello(host, c.challenge.nonce, id.privateKey));
  await until("condition", 5_000, () => cp.hub.isOnline(host));
  return c;
}

function hello(host: string, nonce: string, privateKey: AgentIdentity["privateKey"]) {
  return JSON.stringify({
    type: "hello",
    protocol: 1,
    host,
    nonce,
    signature: toBase64Url(sign(null, Buffer.from(signedHelloPayload(host, nonce)), privateKey)),
    agentVersion: "test",
  });
}

const result = (step: "versions" | "config", ms: number): StepResult =>
  step === "versions"
    ? {
        step,
        status: "ok",
        durationMs: ms,
        data: { agent: "test", openclaw: "2026.9.6", os: "Debian", node: "v24.21.0" },
      }
    : { step, status: "error", durationMs: ms, error: { code: "ENOENT", message: "no config" } };

function agent(host: string, identity: AgentIdentity, runner: JobRunner) {
  return new AgentConnection({
    server: cp.url,
    host,
    identity,
    agentVersion: "9.9.9-test",
    gatewayVersion: () => "2026.9.6",
    runner,
    logger: quiet,
    backoff: { baseMs: 50, maxMs: 200 },
  });
}

describe("agent hub handshake", () => {
  it("welcomes an enrolled agent and records its versions", async () => {
    const id = await enrolled("node-1");
    const a = agent("node-1", id, { run: async () => [] });
    a.start();
    await until("condition", 5_000, () => cp.hub.isOnline("node-1"));
    const host = await cp.store.getHost("node-1");
    expect(host).toMatchObject({ agentVersion: "9.9.9-test", gatewayVersion: "2026.9.6" });
    expect(host?.lastSeenAt).toBeGreaterThan(0);
    await a.stop();
    await until("condition", 5_000, async () => !(await cp.hub.isOnline("node-1")));
  });

  it("an agent's text that is not a version never reaches Slack: dropped at the edge, and escaped where shown", async () => {
    const id = await enrolled("node-12");
    const injected = "<!channel> <https://evil.example/approve|✅ Approve restart>";
    const a = new AgentConnection({
      server: cp.url,
      host: "node-12",
      identity: id,
      agentVersion: injected,
      gatewayVersion: () => injected,
      runner: { run: async () => [] },
      logger: quiet,
      backoff: { baseMs: 50, maxMs: 200 },
    });
    a.start();
    await until("condition", 5_000, () => cp.hub.isOnline("node-12"));
    const host = await cp.store.getHost("node-12");
    expect(host?.agentVersion).toBeNull();
    expect(host?.gatewayVersion).toBeNull();
    // And the renderer escapes whatever a store holds (rows from before this check).
    const listed = renderHosts([{ ...(host as HostRecord), agentVersion: injected }], new Set(["node-12"]), Date.now());
    const text = JSON.stringify(listed);
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<https://evil.example");
    await a.stop();
  });

  it("closes an unknown host and a bad signature alike (4401, same reason): no host-name oracle", async () => {
    await enrolled("node-2");
    const { privateKey: strangerKey } = generateKeyPairSync("ed25519");
    const unknown = await rawClient();
    unknown.ws.send(hello("ghost", unknown.challenge.nonce, strangerKey));
    const badSig = await rawClient();
    badSig.ws.send(hello("node-2", badSig.challenge.nonce, strangerKey));
    const [u, b] = [await unknown.closed, await badSig.closed];
    expect(u).toEqual({ code: AgentCloseCode.badSignature, reason: expect.stringContaining("signature") });
    expect(b).toEqual(u);
    expect(await cp.hub.isOnline("node-2")).toBe(false);
  });

  it("tells a revoked host only to the holder of its key (a stranger gets 4401)", async () => {
    await enrolled("node-r5");
    await cp.store.revokeHost("node-r5", Date.now());
    const { privateKey: strangerKey } = generateKeyPairSync("ed25519");
    const c = await rawClient();
    c.ws.send(hello("node-r5", c.challenge.nonce, strangerKey));
    expect((await c.closed).code).toBe(AgentCloseCode.badSignature);
  });

  it("refuses a replayed hello (nonce from an earlier connection) with 4409", async () => {
    const id = await enrolled("node-3");
    const first = await rawClient();
    const captured = hello("node-3", first.challenge.nonce, id.privateKey);
    first.ws.send(captured);
    await until("condition", 5_000, () => cp.hub.isOnline("node-3"));
    first.ws.close();
    await first.closed;
    const replay = await rawClient();
    replay.ws.send(captured);
    expect((await replay.closed).code).toBe(AgentCloseCode.replayedNonce);
  });

  it("refuses a revoked key with 4403", async () => {
    const id = await enrolled("node-4");
    await cp.store.revokeHost("node-4", Date.now());
    const c = await rawClient();
    c.ws.send(hello("node-4", c.challenge.nonce, id.privateKey));
    expect(await c.closed).toEqual({ code: AgentCloseCode.revoked, reason: expect.stringContaining("revoked") });
  });

  it("closes on malformed frames with 1008 and says what was wrong", async () => {
    const a = await rawClient();
    a.ws.send("not json at all");
    expect(await a.closed).toEqual({ code: 1008, reason: "frame is not valid JSON" });
    const b = await rawClient();
    b.ws.send(JSON.stringify({ type: "hello", protocol: 1, host: "x" }));
    expect(await b.closed).toMatchObject({ code: 1008, reason: expect.stringContaining("malformed frame") });
    const c = await rawClient();
    c.ws.send(JSON.stringify({ type: "heartbeat", ts: 1 }));
    expect(await c.closed).toMatchObject({ code: 1008, reason: "expected hello first" });
  });
});

describe("agent hub jobs", () => {
  it("streams progress and resolves with the agent's results", async () => {
    const id = await enrolled("node-5");
    const a = agent("node-5", id, {
      async run(job, onResult) {
        const out: StepResult[] = [];
        for (const s of job.steps) {
          const r = result(s.step as "versions" | "config", 5);
          out.push(r);
          onResult(r);
        }
        return out;
      },
    });
    a.start();
    await until("condition", 5_000, () => cp.hub.isOnline("node-5"));
    const seen: string[] = [];
    const outcome = await cp.hub.dispatch(
      "node-5",
      {
        jobId: "job_a",
        steps: [
          { step: "versions", args: {} },
          { step: "config", args: {} },
        ],
        deadlineMs: 5_000,
      },
      (r) => seen.push(r.step),
    );
    expect(seen).toEqual(["versions", "config"]);
    expect(outcome).toMatchObject({
      status: "done",
      results: [{ step: "versions" }, { step: "config", status: "error" }],
    });
    await a.stop();
  });

  it("a mutating step sent without its approval is refused by the agent at once, not left to its deadline", async () => {
    const id = await enrolled("node-11");
    // Every step the agent's runner was handed, from any job: the agent's own watch probe may
    // run beside this job (its first comes 0–5 s after the welcome), but never the restart.
    const ran: string[] = [];
    const a = agent("node-11", id, {
      async run(job) {
        ran.push(...job.steps.map((s) => s.step));
        return [];
      },
    });
    a.start();
    await until("condition", 5_000, () => cp.hub.isOnline("node-11"));
    // A 60 s deadline: waiting it out would be "timeout" (and past this test's own time limit).
    const outcome = await cp.hub.dispatch(
      "node-11",
      // What a buggy or tampered control plane might send: the restart with no approval.
      { jobId: "job_noapproval", steps: [{ step: "gateway.restart", args: {} } as never], deadlineMs: 60_000 },
      () => {},
    );
    expect(outcome.status).toBe("rejected");
    if (outcome.status === "rejected") {
      expect(outcome.error.code).toBe("bad_job");
      expect(outcome.error.message).toContain("approval");
    }
    expect(ran).not.toContain("gateway.restart");
    // The connection stays up for the next job.
    expect(await cp.hub.isOnline("node-11")).toBe(true);
    await a.stop();
  });

  it("fails a pending job as lost as soon as the agent disconnects mid-job", async () => {
    const c = await onlineRawClient("node-6");
    c.ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type !== "job.run") return;
      c.ws.send(JSON.stringify({ type: "job.progress", jobId: frame.jobId, result: result("versions", 3) }));
      setTimeout(() => c.ws.terminate(), 50); // the agent dies without a goodbye
    });
    const started = Date.now();
    const outcome = await cp.hub.dispatch(
      "node-6",
      {
        jobId: "job_b",
        steps: [
          { step: "versions", args: {} },
          { step: "config", args: {} },
        ],
        deadlineMs: 30_000,
      },
      () => {},
    );
    expect(outcome).toMatchObject({
      status: "lost",
      reason: expect.stringContaining("agent disconnected"),
      results: [{ step: "versions" }],
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("fails the job when an authenticated agent sends a malformed frame", async () => {
    const c = await onlineRawClient("node-7");
    c.ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === "job.run")
        c.ws.send(
          JSON.stringify({ type: "job.progress", jobId: frame.jobId, result: { step: "versions", status: "weird" } }),
        );
    });
    const outcome = await cp.hub.dispatch(
      "node-7",
      { jobId: "job_c", steps: [{ step: "versions", args: {} }], deadlineMs: 30_000 },
      () => {},
    );
    expect(outcome).toMatchObject({ status: "lost", reason: expect.stringContaining("1008") });
    expect((await c.closed).reason).toContain("malformed frame at result");
  });

  it("times a job out at its deadline when the agent goes silent, keeping partial results", async () => {
    const c = await onlineRawClient("node-8");
    c.ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === "job.run")
        c.ws.send(JSON.stringify({ type: "job.progress", jobId: frame.jobId, result: result("versions", 1) }));
    });
    const outcome = await cp.hub.dispatch(
      "node-8",
      {
        jobId: "job_d",
        steps: [
          { step: "versions", args: {} },
          { step: "config", args: {} },
        ],
        // Room for the first result's round trip on a loaded machine; the second never comes.
        deadlineMs: 1_000,
      },
      () => {},
    );
    expect(outcome).toMatchObject({ status: "timeout", results: [{ step: "versions" }] });
    c.ws.close();
  });
});
