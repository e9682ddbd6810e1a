import { generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { AGENT_PROTOCOL_VERSION, AgentCloseCode, signedHelloPayload } from "../../src/contract/agent-wire.ts";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { verifyArchive } from "../../src/core/bundles/archive.ts";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { freeLoopbackPort, type LocalWorker, startLocalWorker } from "../support/local-worker.ts";
import { firstFindingId, postSlashCommand, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";
import { JiraStandIn } from "../support/ticket-standins.ts";

/** Steps in a triage job (the progress line counts them). */
const N = TRIAGE_STEPS.length;

/**
 * The Workers runtime with every part real except Slack: wrangler.toml's Worker, bundled by
 * wrangler and run by workerd (Miniflare) on 127.0.0.1, its Durable Objects on SQLite; a real
 * clawops-agent process enrolled through `POST /api/enroll` and connected over a real
 * WebSocket; really signed slash commands; the Slack Web API stand-in checking every call.
 * The agent probes a gateway that does not exist (no OpenClaw binary, a closed port), so
 * no real gateway runs here.
 */
const SECRET = "workerd-e2e-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-workerd-e2e-bot-token";
const ADMIN_TOKEN = "workerd-e2e-admin-token-5b0c8e1f";
const LINK_SECRET = "workerd-e2e-link-secret-3c9f1a7e2b6d4085";
const JIRA_EMAIL = "oncall@example.com";
const JIRA_TOKEN = "workerd-e2e-jira-api-token-91be";
/** Planted in the agent host's OpenClaw config for the bundle test: it must reach no one. */
const PLANTED_GATEWAY_TOKEN = "wk-planted-gateway-token-7f3a9c1e5b2d4f60a8";
const HOST = "wk-node-1";
const CHANNEL = "C0WORKERS";
/** workerd evicts an idle object after 10 s of inactivity (workerd PR #1138); wait past it. */
const HIBERNATION_WAIT_MS = 15_000;

interface AgentStatus {
  host: string | null;
  online: boolean;
  connectedAt: number | null;
  instance: string;
  pendingJobs: number;
  queuedJobs: number;
}

let worker: LocalWorker;
let baseUrl: string;
let slack: SlackStandIn;
let jira: JiraStandIn;
let stateDir: string;
let agentDir: string;
let agentHome: string;
let agent: AgentProcess;

let gatewayPort = 0;
let workerPort = 0;
/** While set, the gateway port accepts connections and never answers: a hung gateway, so jobs take seconds. */
let hungGateway: { server: Server; sockets: Set<Socket> } | null = null;

async function hangGateway(): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(gatewayPort, "127.0.0.1", resolve);
  });
  hungGateway = { server, sockets };
}

async function stopHungGateway(): Promise<void> {
  const g = hungGateway;
  hungGateway = null;
  if (!g) return;
  for (const s of g.sockets) s.destroy();
  await new Promise<void>((resolve) => g.server.close(() => resolve()));
}

async function startWorkerd(apiUrl: string, jiraUrl: string): Promise<void> {
  // A fixed port, so the agent finds the Worker again after a restart.
  ({ worker, url: baseUrl } = await startLocalWorker({
    port: workerPort,
    persist: stateDir,
    vars: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: apiUrl,
      CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN,
      CLAWOPS_LINK_SECRET: LINK_SECRET,
      JIRA_BASE_URL: jiraUrl,
      JIRA_EMAIL: JIRA_EMAIL,
      JIRA_API_TOKEN: JIRA_TOKEN,
      // No heartbeat frame during the test: only hibernation can replace the object.
      AGENT_HEARTBEAT_MS: "600000",
      // No watch frames either (they wake the object too); the watch has its own test (watch-on-workers).
      CLAWOPS_WATCH_INTERVAL_S: "0",
    },
  }));
}
const agentEnv = () => ({
  PATH: process.env.PATH,
  HOME: agentHome,
  OPENCLAW_STATE_DIR: join(agentHome, ".openclaw"),
  OPENCLAW_GATEWAY_PORT: String(gatewayPort),
  CLAWOPS_OPENCLAW_BIN: join(agentHome, "no-such-openclaw"),
});

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers },
  });
}

async function agentStatus(): Promise<AgentStatus> {
  const res = await admin(`/api/hosts/${HOST}/agent`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { agent: AgentStatus }).agent;
}

/**
 * A hand-made agent connection: waits for the challenge, answers with `hello(nonce)` (or a
 * binary frame), and resolves with the close code the Worker sends.
 */
function handshake(
  routeHost: string,
  hello: ((nonce: string) => Record<string, unknown>) | "binary" | "silent",
): Promise<number> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/agent/connect?host=${routeHost}`);
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("no close from the Worker within 45 s"));
    }, 45_000);
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string; nonce?: string };
      if (frame.type !== "challenge" || !frame.nonce) return;
      if (hello === "silent") return;
      if (hello === "binary") ws.send(Buffer.from([1, 2, 3]));
      else ws.send(JSON.stringify(hello(frame.nonce)));
    });
    ws.on("error", () => {});
    ws.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** A hand-made agent for `host`: enrolled with a fresh key through `POST /api/enroll`, connected and welcomed. */
async function welcomedConnection(host: string): Promise<WebSocket> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const issued = await admin("/api/admin/enrollment-codes", { method: "POST", body: JSON.stringify({ host }) });
  const { code } = (await issued.json()) as { code: string };
  const raw = (publicKey.export({ format: "jwk" }) as { x: string }).x;
  const enrolled = await fetch(`${baseUrl}/api/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, host, publicKey: raw }),
  });
  expect(enrolled.status).toBe(200);
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/agent/connect?host=${host}`);
  await new Promise<void>((resolve, reject) => {
    ws.on("error", reject);
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string; nonce?: string };
      if (frame.type === "welcome") resolve();
      else if (frame.type === "challenge" && frame.nonce)
        ws.send(JSON.stringify(signedHello(host, frame.nonce, privateKey)));
    });
  });
  return ws;
}

function signedHello(host: string, nonce: string, privateKey = generateKeyPairSync("ed25519").privateKey) {
  return {
    type: "hello",
    protocol: AGENT_PROTOCOL_VERSION,
    host,
    nonce,
    signature: sign(null, Buffer.from(signedHelloPayload(host, nonce)), privateKey).toString("base64url"),
    agentVersion: "test",
  };
}

function blocksText(m: StoredMessage | undefined): string {
  return JSON.stringify(m?.blocks ?? []);
}

function incident(): StoredMessage {
  const parents = slack.topLevel(CHANNEL);
  expect(parents).toHaveLength(1);
  return parents[0] as StoredMessage;
}

async function pollStatus(pred: (s: AgentStatus) => boolean, what: string): Promise<AgentStatus> {
  const end = Date.now() + 15_000;
  let last = await agentStatus();
  while (!pred(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await agentStatus();
  }
  return last;
}

function isFinal(m: StoredMessage | undefined): boolean {
  return !!m && !blocksText(m).includes("Still running");
}

function connectionsInAgentLog(): number {
  return agent
    .log()
    .split("\n")
    .filter((l) => l.includes("connected to hub")).length;
}

/** One signed `/openclaw triage`, then its progress and final result messages in the thread. */
async function triage(): Promise<{ progress: StoredMessage; result: StoredMessage; ackText: string }> {
  const parent = slack.topLevel(CHANNEL)[0];
  const before = parent ? slack.thread(CHANNEL, parent.ts).length : 0;
  const { status, body } = await postSlashCommand(baseUrl, SECRET, { text: `triage ${HOST}`, channel_id: CHANNEL });
  expect(status).toBe(200);
  expect(body.response_type).toBe("ephemeral");
  expect(body.text).toContain(`Triage of ${HOST} started`);
  await slack.waitFor(
    () => {
      const p = slack.topLevel(CHANNEL)[0];
      const result = p ? slack.thread(CHANNEL, p.ts)[before + 1] : undefined;
      return !!result && !blocksText(result).includes("Still running");
    },
    60_000,
    "the final triage result in the incident thread",
  );
  const replies = slack.thread(CHANNEL, incident().ts).slice(before);
  return { progress: replies[0] as StoredMessage, result: replies[1] as StoredMessage, ackText: body.text ?? "" };
}

beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  const apiUrl = await slack.start();
  jira = new JiraStandIn(JIRA_EMAIL, JIRA_TOKEN);
  const jiraUrl = await jira.start();
  stateDir = mkdtempSync(join(tmpdir(), "clawops-workerd-state-"));
  agentHome = mkdtempSync(join(tmpdir(), "clawops-workerd-agent-home-"));
  gatewayPort = await freeLoopbackPort();
  workerPort = await freeLoopbackPort();
  await startWorkerd(apiUrl, jiraUrl);
}, 120_000);

afterAll(async () => {
  await agent?.kill();
  await worker?.dispose();
  await stopHungGateway();
  await slack?.stop();
  await jira?.stop();
  for (const dir of [stateDir, agentDir, agentHome]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("a real agent on the Workers runtime (workerd, Durable Objects)", () => {
  it("enrolls with a one-time code from the operator API and comes online over its WebSocket", async () => {
    expect((await fetch(`${baseUrl}/api/admin/enrollment-codes`, { method: "POST", body: "{}" })).status).toBe(401);
    const issued = await admin("/api/admin/enrollment-codes", { method: "POST", body: JSON.stringify({ host: HOST }) });
    expect(issued.status).toBe(200);
    const { code } = (await issued.json()) as { code: string };
    agentDir = await enrollAgent({ server: baseUrl, host: HOST, code, env: agentEnv() });
    // The code was one-time: a second enrollment with it is refused.
    await expect(enrollAgent({ server: baseUrl, host: HOST, code, env: agentEnv() })).rejects.toThrow(
      /enrollment_code_invalid/,
    );
    agent = runAgent({ dir: agentDir, env: agentEnv() });
    await waitHostOnline(baseUrl, SECRET, HOST, { describe: () => agent.log() });
    const status = await agentStatus();
    expect(status).toMatchObject({ host: HOST, online: true, pendingJobs: 0 });
    // Back-to-back calls reach the same live instance: a new instance later means the object left memory.
    expect((await agentStatus()).instance).toBe(status.instance);
    expect(connectionsInAgentLog()).toBe(1);
  });

  it("refuses hellos the Node hub refuses, with the same close codes", async () => {
    // Signed with a key that is not the enrolled one.
    expect(await handshake(HOST, (nonce) => signedHello(HOST, nonce))).toBe(AgentCloseCode.badSignature);
    // An unknown host gets the same code as a bad signature: no host-name oracle (issue 15).
    expect(await handshake("ghost-9", (nonce) => signedHello("ghost-9", nonce))).toBe(AgentCloseCode.badSignature);
    // Never answering the challenge: the object's alarm closes it after 10 s (the close event
    // reaches the ws client some seconds later, hence the 45 s bound in `handshake`).
    const silent = handshake(HOST, "silent");
    // A nonce from another connection (a replayed hello).
    expect(await handshake(HOST, () => signedHello(HOST, "0123456789abcdef0123456789abcdef"))).toBe(
      AgentCloseCode.replayedNonce,
    );
    // Routed to one host's object, claiming another.
    expect(await handshake(HOST, (nonce) => signedHello("ghost-9", nonce))).toBe(AgentCloseCode.policy);
    expect(await handshake(HOST, "binary")).toBe(AgentCloseCode.policy);
    expect(await silent).toBe(AgentCloseCode.handshakeTimeout);
    // The real agent kept its connection through all of this.
    expect(await agentStatus()).toMatchObject({ online: true });
    expect(connectionsInAgentLog()).toBe(1);
  });

  it("runs a signed `/openclaw triage` end to end: incident thread, progress, findings for a missing gateway", async () => {
    const { progress, result } = await triage();
    expect(incident().text).toBe(`Incident: OpenClaw gateway on ${HOST}`);
    expect(progress.text).toMatch(new RegExp(`finished: \\d+/${N} probes`));
    expect(result.text).toContain(`Triage ${HOST}`);
    expect(["gateway-down", "openclaw-not-found"]).toContain(firstFindingId(result.blocks));
    expect(blocksText(result)).toContain("🔴");
    expect(slack.violations).toEqual([]);
    const everything = JSON.stringify(slack.calls);
    for (const secret of [SECRET, ADMIN_TOKEN]) expect(everything).not.toContain(secret);
  });

  it("hibernates while idle and wakes with the same agent socket, then runs the next job on it", async () => {
    // A second, hand-made agent connection, welcomed and then silent: after the wait its object has
    // left memory too, and a ping on it is answered at once (the agent's liveness check relies on it).
    const second = await welcomedConnection("wk-node-2");
    const before = await agentStatus();
    await new Promise((r) => setTimeout(r, HIBERNATION_WAIT_MS));
    try {
      const sent = Date.now();
      const pong = new Promise<number>((resolve) => second.once("pong", () => resolve(Date.now() - sent)));
      second.ping();
      expect(await pong).toBeLessThan(2_000);
      expect(second.readyState).toBe(WebSocket.OPEN);
    } finally {
      second.terminate();
    }
    const after = await agentStatus();
    // A new instance: the object left memory. Same socket: connectedAt comes from its attachment.
    expect(after.instance).not.toBe(before.instance);
    expect(after).toMatchObject({ online: true, host: HOST, connectedAt: before.connectedAt });
    expect(connectionsInAgentLog()).toBe(1);
    const parentTs = incident().ts;
    const { result } = await triage();
    expect(incident().ts).toBe(parentTs);
    expect(["gateway-down", "openclaw-not-found"]).toContain(firstFindingId(result.blocks));
    expect(connectionsInAgentLog()).toBe(1);
    expect(slack.violations).toEqual([]);
  });

  it("collects a signed `/openclaw bundle` into R2: uploaded to the thread, attached to Jira, its signed link serves the same verified zip, no secret anywhere", async () => {
    // A token in the host's OpenClaw config: the agent must redact it before anything leaves.
    const configDir = join(agentHome, ".openclaw");
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, "openclaw.json"),
      JSON.stringify({ gateway: { mode: "local", auth: { mode: "token", token: PLANTED_GATEWAY_TOKEN } } }),
    );
    try {
      const before = slack.uploads.size;
      const { status, body } = await postSlashCommand(baseUrl, SECRET, {
        text: `bundle ${HOST} --ticket OPS-9`,
        channel_id: CHANNEL,
      });
      expect(status).toBe(200);
      expect(body.text).toContain("Collecting a repro bundle");
      const upload = await slack.waitForUpload(before, 90_000, "the bundle upload to complete");
      const zip = upload.bytes as Uint8Array;
      expect(upload.filename).toMatch(new RegExp(`^clawops-bundle-${HOST}-\\d{8}T\\d{6}\\.zip$`));
      const { manifest, problems } = await verifyArchive(zip);
      expect(problems).toEqual([]);
      expect(manifest.host).toBe(HOST);
      // No gateway on this host: the bundle says what it could not collect instead of a silent gap.
      expect(manifest.complete).toBe(false);
      expect(manifest.files.map((f) => f.name)).toEqual(expect.arrayContaining(["triage.json", "versions.json"]));

      // The summary in the incident thread links the bundle in R2 through the Worker.
      const summary = slack
        .thread(CHANNEL, incident().ts)
        .find((m) => m.text.includes(manifest.bundleId) && m.text.includes("Download"));
      const link = /(http:\/\/127\.0\.0\.1:\d+\/bundles\/\S+)/.exec(summary?.text ?? "")?.[1] ?? "";
      expect(link).toContain(`/bundles/${manifest.bundleId}?exp=`);
      const download = await fetch(link);
      expect(download.status).toBe(200);
      expect(download.headers.get("content-type")).toBe("application/zip");
      expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), Buffer.from(zip))).toBe(0);
      // A link whose expiry was moved, or no signature at all, serves nothing.
      expect((await fetch(link.replace(/exp=\d+/, "exp=4102444800"))).status).toBe(403);
      expect((await fetch(link.replace(/\?.*$/, ""))).status).toBe(403);

      // Jira got the same bytes, with the documented request shape (the stand-in checks it).
      await slack.waitFor(() => jira.attachments.length === 1, 30_000, "the Jira attachment");
      expect(jira.attachments[0]?.issueKey).toBe("OPS-9");
      expect(Buffer.compare(jira.attachments[0]?.bytes ?? Buffer.alloc(0), Buffer.from(zip))).toBe(0);
      await slack.waitFor(
        () => slack.thread(CHANNEL, incident().ts).some((m) => m.text.includes("Tickets:")),
        30_000,
        "the ticket report",
      );
      expect(slack.thread(CHANNEL, incident().ts).find((m) => m.text.includes("Tickets:"))?.text).toContain("✅ OPS-9");

      // The planted token was found and removed on the host; it is nowhere downstream.
      const unzipped = Object.values(unzipSync(zip)).map((b) => strFromU8(b));
      const report = JSON.parse(strFromU8(unzipSync(zip)["redaction-report.json"] as Uint8Array)) as {
        byFile: { file: string }[];
      };
      expect(report.byFile.some((r) => r.file === "config/openclaw.json")).toBe(true);
      for (const text of [...unzipped, JSON.stringify(slack.calls), jira.allText()]) {
        expect(text).not.toContain(PLANTED_GATEWAY_TOKEN);
        expect(text).not.toContain(LINK_SECRET);
      }
      for (const text of [...unzipped, JSON.stringify(slack.calls)]) expect(text).not.toContain(JIRA_TOKEN);
      expect(slack.violations).toEqual([]);
      expect(jira.violations).toEqual([]);
    } finally {
      rmSync(join(configDir, "openclaw.json"), { force: true });
    }
  });

  it("keeps a job through a restart of workerd mid-job: the object comes back, the agent reconnects, the job finishes", async () => {
    await hangGateway();
    const parent = incident();
    const before = slack.thread(CHANNEL, parent.ts).length;
    const { body } = await postSlashCommand(baseUrl, SECRET, { text: `triage ${HOST}`, channel_id: CHANNEL });
    expect(body.text).toContain("started");
    const jobId = /(job_[a-z0-9]{20})/.exec(JSON.stringify(body))?.[1];
    expect(jobId).toBeDefined();
    await slack.waitFor(() => (slack.thread(CHANNEL, parent.ts)[before]?.edits ?? 0) >= 1, 20_000, "a streamed probe");
    // Mid-job (the hung gateway holds the WebSocket probe for its 9 s deadline): stop workerd,
    // which drops every object and the agent's socket, and start it again on the same state.
    const finalResult = () =>
      slack
        .thread(CHANNEL, parent.ts)
        .slice(before)
        .find((m) => m.text.startsWith(`Triage ${HOST}`) && blocksText(m).includes(jobId ?? "?") && isFinal(m));
    const interrupted = await agentStatus();
    expect(interrupted.queuedJobs).toBe(1);
    await worker.dispose();
    // Really mid-job: nothing final had been posted when workerd went away.
    expect(finalResult()).toBeUndefined();
    await startWorkerd(slack.url, jira.url);
    await slack.waitFor(() => !!finalResult(), 60_000, "the job's final result after the restart");
    // The re-run edits the job's own messages: one progress message, now finished, and one result.
    const replies = slack.thread(CHANNEL, parent.ts).slice(before);
    expect(replies).toHaveLength(2);
    expect(replies[0]?.text).toMatch(new RegExp(`finished: \\d+/${N} probes`));
    expect(replies[1]).toBe(finalResult());
    expect(blocksText(finalResult())).not.toContain("Agent connection lost");
    // The same job, not a new one: its id is in the result.
    expect(blocksText(finalResult())).toContain(jobId);
    // The job leaves the object's queue once its status is stored, just after the last message.
    const after = await pollStatus((st) => st.queuedJobs === 0, "the job to leave the host's queue");
    expect(after).toMatchObject({ online: true, host: HOST });
    expect(after.instance).not.toBe(interrupted.instance);
    expect(connectionsInAgentLog()).toBe(2);
    expect(slack.violations).toEqual([]);
  });

  it("fails the pending job as lost when the agent's socket closes mid-job, and shows the host offline", async () => {
    const parent = incident();
    const before = slack.thread(CHANNEL, parent.ts).length;
    const { body } = await postSlashCommand(baseUrl, SECRET, { text: `triage ${HOST}`, channel_id: CHANNEL });
    expect(body.text).toContain("started");
    // The gateway still hangs: the job runs for seconds after its first probe streams in.
    await slack.waitFor(() => (slack.thread(CHANNEL, parent.ts)[before]?.edits ?? 0) >= 1, 20_000, "a streamed probe");
    await agent.kill("SIGKILL");
    await slack.waitFor(
      () => blocksText(slack.thread(CHANNEL, parent.ts)[before + 1]).includes("Agent connection lost"),
      30_000,
      "the lost-job result",
    );
    expect(slack.thread(CHANNEL, parent.ts)[before]?.text).toMatch(/lost after/);
    expect(await agentStatus()).toMatchObject({ online: false, pendingJobs: 0 });
    const offline = await postSlashCommand(baseUrl, SECRET, { text: `triage ${HOST}`, channel_id: CHANNEL });
    expect(JSON.stringify(offline.body)).toContain("host_offline");
    expect(slack.violations).toEqual([]);
  });
});
