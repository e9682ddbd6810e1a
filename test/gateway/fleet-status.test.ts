import { generateKeyPairSync } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCTOR_CACHE_FILE } from "../../src/agent/probes/doctor-cache-file.ts";
import { connectGateway } from "../../src/agent/probes/gateway-ws-client.ts";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { type SharedGateway, sharedGateway } from "../support/gateway/control.ts";
import { postSlashCommand, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";
import { until } from "../support/until.ts";

/**
 * `/openclaw status all --live` end to end: a really signed command → the control plane process → a
 * real clawops-agent running the quick probe against the real OpenClaw gateway, plus an
 * enrolled host whose agent never connected → one fleet message at the Slack stand-in.
 */
const SECRET = "fleet-signing-secret-0123456789abcdef";
const BOT_TOKEN = "xoxb-fleet-bot-token";
const HOST = "node-3";
const CHANNEL = "C0FLEET";

let gw: SharedGateway;
let slack: SlackStandIn;
let cp: ControlPlaneProcess;
let agentDir: string;
let agent: AgentProcess;

async function fleetStatus(text: string): Promise<StoredMessage> {
  const before = slack.topLevel(CHANNEL).length;
  const { status, body } = await postSlashCommand(cp.url, SECRET, { text, channel_id: CHANNEL });
  expect(status).toBe(200);
  expect(body.text).toContain("Quick-probing 2 hosts");
  await slack.waitFor(() => slack.topLevel(CHANNEL).length > before, 30_000, "the fleet message");
  const added = slack.topLevel(CHANNEL).slice(before);
  expect(added).toHaveLength(1);
  return added[0] as StoredMessage;
}

beforeAll(async () => {
  gw = sharedGateway();
  await gw.restoreHealthy();
  slack = new SlackStandIn(BOT_TOKEN);
  const apiUrl = await slack.start();
  cp = await spawnControlPlane({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: apiUrl });
  const env = { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin };
  agentDir = await enrollAgent({ server: cp.url, host: HOST, code: await cp.enrollmentCode(HOST), env });
  // With no reading handed on: the wait below is for this agent's own doctor run to be over.
  agent = runAgent({ dir: agentDir, env, coldDoctor: true });
  // A second host, enrolled with a key whose agent never connects.
  const publicKey = (generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }) as { x: string }).x;
  const res = await fetch(`${cp.url}/api/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: await cp.enrollmentCode("node-9"), host: "node-9", publicKey }),
  });
  expect(res.status).toBe(200);
  await waitHostOnline(cp.url, SECRET, HOST, { describe: () => agent.log() });
  // The quick probe gives its gateway session 1.5 s, and the row's expected warn comes from
  // `models.authStatus` answering inside it. So the host is first brought to rest, as a host is
  // when an operator asks: the agent's start-up work done (`openclaw doctor --lint`, a CLI of
  // seconds of CPU on these 2 cores, until its reading is cached), and the gateway past its
  // first, cold RPCs (`config.get` took 0.7 s on a quiet box after a start). On a busy CI box
  // either one took the probe past its budget, and the row read ok with model routing unknown.
  await until("the agent's doctor reading cached", 120_000, () => existsSync(join(agentDir, DOCTOR_CACHE_FILE)), 250);
  await warmGateway();
}, 180_000);

/** One session making the quick probe's RPCs with a generous deadline, so the gateway's first calls are behind it. */
async function warmGateway(): Promise<void> {
  const hs = await connectGateway({ url: gw.url, token: gw.token, timeoutMs: 30_000, clientVersion: "0.0.0-test" });
  if (!hs.connection) throw new Error(`the lab gateway refused a session: ${hs.outcome} ${JSON.stringify(hs.error)}`);
  try {
    const answers = await Promise.all(
      ["health", "status", "cron.status", "config.get", "models.authStatus"].map((m) =>
        hs.connection?.request(m, {}, 30_000),
      ),
    );
    const failed = answers.find((a) => !a?.ok);
    if (failed) throw new Error(`the lab gateway failed a warm-up RPC: ${JSON.stringify(failed)}`);
  } finally {
    await hs.connection.close();
  }
}

afterAll(async () => {
  await agent?.kill();
  await cp?.stop();
  await slack?.stop();
  if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  // The gateway stays stopped, as the last test left it: the next file makes the state it needs.
});

describe("fleet status on a real OpenClaw gateway", () => {
  it("healthy gateway: one fleet message, the host ok from process to auth, the silent host offline", async () => {
    const m = await fleetStatus("status node-* --live");
    // The lab has no model-provider credentials, and the quick probe's WebSocket session now
    // reads the gateway's models.authStatus: the one warning a healthy lab gateway has.
    // The row first: when it is not the warn, its cells say why (a layer unknown, an RPC unanswered).
    const body = JSON.stringify(m.blocks);
    expect(body).toMatch(/Columns: Process · Port · Transport · Auth/);
    expect(body).toMatch(/🟢🟢🟢🟢[🟢🟡⚪]* \*node-3\* 🟡 warn — No credentials for a model provider in use/u);
    expect(m.text).toBe(
      "Fleet status (hosts matching node-*): 2 hosts: 0 ok · 1 warn · 0 fail · 0 no answer · 1 offline",
    );
    expect(body).toContain("*node-9* ⚫ offline");
    expect(body.indexOf("node-9")).toBeLessThan(body.indexOf("node-3"));
    expect(slack.violations).toEqual([]);
    expect(JSON.stringify(slack.calls)).not.toContain(gw.token);
  });

  it("stopped gateway: the host fails on process/port/transport, worst first", async () => {
    await gw.stop();
    const m = await fleetStatus("status all --live");
    expect(m.text).toContain("2 hosts: 0 ok · 0 warn · 1 fail · 0 no answer · 1 offline");
    const body = JSON.stringify(m.blocks);
    expect(body).toMatch(/🔴🔴🔴[^*]* \*node-3\* 🔴 fail/u);
    expect(body.indexOf("node-3")).toBeLessThan(body.indexOf("node-9"));
    expect(slack.violations).toEqual([]);
  });
});
