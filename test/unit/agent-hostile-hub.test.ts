import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, buildAgent } from "../../scripts/build-agent.ts";
import { connectGateway, GATEWAY_MAX_PAYLOAD } from "../../src/agent/probes/gateway-ws-client.ts";
import { AGENT_PROTOCOL_VERSION } from "../../src/contract/agent-wire.ts";
import { type AgentLaunch, type AgentProcess, runAgent } from "../support/agent-process.ts";
import {
  frame,
  type HostileConnection,
  type HostileServer,
  OP,
  rssMb,
  sampleRss,
  startHostileServer,
} from "../support/hostile-ws-server.ts";

/**
 * The agent against a hub that misbehaves (issue 31): the bundle a host runs, with the service's
 * Node flags, dials a server that answers the WebSocket upgrade and then floods it with one-byte
 * or empty continuation frames, pings it without reading the pongs, or goes silent after the
 * welcome without closing (a half-open link). Each case must end with the agent dropping that
 * connection within seconds, its resident memory bounded while it lasted, and the agent dialling
 * again: the next connection gets its signed hello.
 */

let work: string;
let bundle: AgentLaunch;
let server: HostileServer | null = null;
let agent: AgentProcess | null = null;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-hostile-"));
  const out = await buildAgent(join(work, "clawops-agent.mjs"));
  bundle = { entry: out.outfile, nodeArgs: AGENT_NODE_FLAGS };
}, 60_000);

afterEach(async () => {
  await agent?.kill();
  agent = null;
  await server?.close();
  server = null;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An agent state folder naming the server; the key is made on the first `run`. */
function agentDir(name: string, serverUrl: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, "agent.json"),
    JSON.stringify({ server: serverUrl, host: "hostile-host", enrolledAt: "2026-11-25T00:00:00.000Z" }),
  );
  return dir;
}

function startAgent(dir: string): AgentProcess {
  const home = join(work, "home");
  mkdirSync(home, { recursive: true });
  return runAgent({
    dir,
    launch: bundle,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: home,
      ...AGENT_SERVICE_ENV,
      OPENCLAW_GATEWAY_PORT: "9",
      OPENCLAW_STATE_DIR: join(home, ".openclaw"),
      CLAWOPS_OPENCLAW_BIN: join(home, "no-openclaw"),
    },
  });
}

/** What a hub says first; the agent answers with its signed hello. */
const challenge = () =>
  JSON.stringify({ type: "challenge", protocol: AGENT_PROTOCOL_VERSION, nonce: "n".repeat(32), ts: Date.now() });

const isHello = (f: { opcode: number; payload: Buffer }) =>
  f.opcode === OP.text && f.payload.toString().includes('"type":"hello"');

/**
 * Writes `make()`'s bytes as fast as the socket takes them, up to `total` frames or until the
 * client has closed; resolves with the number of frames written.
 */
function flood(c: HostileConnection, make: () => Buffer, perWrite: number, total: number): Promise<number> {
  return new Promise((resolve) => {
    let written = 0;
    const batch = Buffer.concat(Array.from({ length: perWrite }, make));
    const pump = () => {
      while (!c.closed && written < total) {
        written += perWrite;
        if (!c.write(batch)) return void c.socket.once("drain", pump);
      }
      resolve(written);
    };
    c.socket.once("close", () => resolve(written));
    pump();
  });
}

/**
 * Runs one hostile first connection, then checks the agent dropped it, stayed bounded, and came
 * back: the second connection is greeted with a challenge and answered with a hello.
 */
async function hostileCase(
  name: string,
  firstConnection: (c: HostileConnection) => Promise<unknown>,
  opts: { dropWithinMs: number; maxGrowthMb: number },
): Promise<{ growthMb: number; flood: unknown; log: string }> {
  let result: unknown;
  let baseline = 0;
  let sampler: { stop(): number } | null = null;
  server = await startHostileServer((c) => {
    if (c.index === 1) {
      // The agent settles first: its memory right after it dialled is the baseline.
      setTimeout(async () => {
        baseline = agent?.child.pid ? await rssMb(agent.child.pid) : 0;
        sampler = sampleRss(agent?.child.pid ?? 0);
        result = await firstConnection(c);
      }, 1_500);
    } else c.sendText(challenge());
  });
  agent = startAgent(agentDir(name, server.httpUrl));
  const first = await server.connection(1);
  expect(first.path).toBe("/agent/connect?host=hostile-host");
  // The agent dials again only after dropping the first connection (one connection at a time);
  // a first reconnect waits 0-0.5 s (full jitter).
  const second = await server.connection(2, 1_500 + opts.dropWithinMs + 1_000);
  await second.next(isHello, 10_000);
  // A paused socket (the cases that stop reading) sees the agent's FIN only once it reads again.
  first.socket.resume();
  await first.whenClosed(5_000);
  const peak = (sampler as { stop(): number } | null)?.stop() ?? 0;
  const growthMb = peak - baseline;
  expect(baseline).toBeGreaterThan(20);
  expect(growthMb, `RSS ${baseline.toFixed(1)} → peak ${peak.toFixed(1)} MB`).toBeLessThan(opts.maxGrowthMb);
  return { growthMb, flood: result, log: agent.log() };
}

describe("the agent's hub connection (ws) against a hostile server", () => {
  it("a flood of one-byte continuation frames: refused at ws's fragment cap, memory bounded, reconnected", async () => {
    const { flood: written, log } = await hostileCase(
      "fragments",
      (c) => {
        c.write(frame(OP.text, Buffer.from("x"), false));
        // 24 million three-byte frames (72 MB): more than the kernel's socket buffers hold, so the
        // writer finishes only if the agent keeps reading them. 2.4 million (7 MB) fitted in the
        // buffers while a loaded box kept the agent from reading (a clean clone at load 14).
        return flood(c, () => frame(OP.continuation, Buffer.from("x"), false), 4096, 24_000_000);
      },
      { dropWithinMs: 5_000, maxGrowthMb: 16 },
    );
    // Cut off before the writer finished (the hand-written client read 2.4 million frames, +269 MB).
    expect(written as number).toBeLessThan(24_000_000);
    expect(log).toMatch(/Too many message fragments|hub connection closed/);
  }, 60_000);

  it("a flood of empty continuation frames: refused too (they count as fragments), reconnected", async () => {
    const { flood: written, log } = await hostileCase(
      "empty-continuations",
      (c) => {
        c.write(frame(OP.text, Buffer.from("{"), false));
        // 48 MB of two-byte frames: more than the kernel's socket buffers hold, so the writer
        // finishes only if the agent keeps reading them.
        return flood(c, () => frame(OP.continuation, Buffer.alloc(0), false), 8192, 24_000_000);
      },
      { dropWithinMs: 5_000, maxGrowthMb: 16 },
    );
    expect(written as number).toBeLessThan(24_000_000);
    expect(log).toMatch(/Too many message fragments|hub connection closed/);
  }, 60_000);

  it("one message past the hub's 1 MiB cap: refused (1009) before it is read, reconnected", async () => {
    await hostileCase(
      "big-message",
      async (c) => {
        // Announces 64 MiB; sends 4 MiB of it.
        const head = frame(OP.text, Buffer.alloc(0));
        head[1] = 127;
        const announced = Buffer.concat([head.subarray(0, 2), Buffer.alloc(8)]);
        announced.writeUInt32BE(64 * 1024 * 1024, 6);
        c.write(announced);
        return flood(c, () => Buffer.alloc(64 * 1024, 0x61), 1, 64);
      },
      { dropWithinMs: 5_000, maxGrowthMb: 16 },
    );
  }, 60_000);

  it("a ping flood from a server that never reads the pongs: dropped (ws's cap on pending pongs), reconnected", async () => {
    const { flood: written } = await hostileCase(
      "ping-flood",
      (c) => {
        // Never read: the agent's pongs pile up in the kernel's buffers, then in its own.
        c.socket.pause();
        return flood(c, () => frame(OP.ping, Buffer.alloc(125, 0x70)), 512, 5_000_000);
      },
      { dropWithinMs: 15_000, maxGrowthMb: 16 },
    );
    expect(written as number).toBeLessThan(5_000_000);
  }, 60_000);

  it("a half-open link (welcomed, then silence without a FIN): dropped within its heartbeat budget and redialled", async () => {
    let silentSince = 0;
    const { log } = await hostileCase(
      "half-open",
      async (c) => {
        c.sendText(challenge());
        await c.next(isHello);
        c.sendText(JSON.stringify({ type: "welcome", host: "hostile-host", heartbeatMs: 500 }));
        // From here on nothing comes back: no pong, no frame, no close; the agent's heartbeats and
        // pings go unanswered, as on a link that drops packets.
        silentSince = Date.now();
        c.socket.pause();
      },
      // Budget: 2 heartbeats and a second (2 s), the silence's own deadline (agent-link-bounds.test.ts).
      { dropWithinMs: 8_000, maxGrowthMb: 16 },
    );
    expect(silentSince).toBeGreaterThan(0);
    expect(log).toMatch(/"msg":"hub silent; dropping the connection and dialling again","silentMs":\d+/);
    const silentMs = Number(/"silentMs":(\d+)/.exec(log)?.[1]);
    expect(silentMs).toBeGreaterThanOrEqual(2_000);
    expect(silentMs).toBeLessThan(4_000);
  }, 60_000);
});

describe("a hub that revokes the agent's key (close 4403)", () => {
  it("is final: the agent says so once, dials no more, and stays up idle", async () => {
    server = await startHostileServer((c) => {
      c.sendText(challenge());
      void c.next(isHello).then(() => {
        // The close frame a hub sends a revoked key (code 4403), then the end of the connection.
        const reason = Buffer.from("host revoked");
        const payload = Buffer.concat([Buffer.from([0x11, 0x33]), reason]);
        c.write(frame(OP.close, payload));
        setTimeout(() => c.socket.end(), 100);
      });
    });
    agent = startAgent(agentDir("revoked", server.httpUrl));
    const first = await server.connection(1);
    await first.whenClosed(10_000);
    // A reconnect would come within 0.5 s (first attempt) and at most 30 s later: 5 s of nothing.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(server.connections.length).toBe(1);
    const lines = agent
      .log()
      .split("\n")
      .filter((l) => l.includes("revoked"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      '"msg":"hub closed the connection: this host\'s key was revoked; the agent stops connecting"',
    );
    expect(lines[0]).toContain('"code":4403');
    expect(agent.child.exitCode).toBeNull();
  }, 90_000);
});

describe("the gateway probe (ws) against a hostile listener on the gateway's port", () => {
  it("ends a fragment flood and an oversized message at once, with the listener's connection closed", async () => {
    server = await startHostileServer((c) => {
      if (c.index === 1) {
        c.write(frame(OP.text, Buffer.from("x"), false));
        void flood(c, () => frame(OP.continuation, Buffer.from("x"), false), 4096, 2_400_000);
      } else {
        const head = Buffer.from([0x81, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
        head.writeUInt32BE(GATEWAY_MAX_PAYLOAD + 1, 6);
        c.write(head);
      }
    });
    const probe = () =>
      connectGateway({ url: server?.wsUrl ?? "", token: undefined, timeoutMs: 10_000, clientVersion: "t" });
    const started = Date.now();
    const fragments = await probe();
    expect(fragments.outcome).toBe("error");
    expect(fragments.error?.message).toMatch(/Too many message fragments/);
    const oversized = await probe();
    expect(oversized.outcome).toBe("error");
    expect(oversized.error?.message).toMatch(/Max payload size exceeded/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await server.connections[0]?.whenClosed(5_000);
    await server.connections[1]?.whenClosed(5_000);
  }, 90_000);
});
