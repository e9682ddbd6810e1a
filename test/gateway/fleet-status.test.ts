import { generateKeyPairSync } from "node:crypto";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { type SharedGateway, sharedGateway } from "../support/gateway/control.ts";
import { postSlashCommand, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";

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
  agent = runAgent({ dir: agentDir, env });
  // A second host, enrolled with a key whose agent never connects.
  const publicKey = (generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }) as { x: string }).x;
  const res = await fetch(`${cp.url}/api/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: await cp.enrollmentCode("node-9"), host: "node-9", publicKey }),
  });
  expect(res.status).toBe(200);
  await waitHostOnline(cp.url, SECRET, HOST, { describe: () => agent.log() });
}, 120_000);

afterAll(async () => {
  await agent?.kill();
  await cp?.stop();
  await slack?.stop();
  if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  await gw?.restoreHealthy();
});

describe("fleet status on a real OpenClaw gateway", () => {
  it("healthy gateway: one fleet message, the host ok from process to auth, the silent host offline", async () => {
    const m = await fleetStatus("status node-* --live");
    // The lab has no model-provider credentials, and the quick probe's WebSocket session now
    // reads the gateway's models.authStatus: the one warning a healthy lab gateway has.
    expect(m.text).toBe(
      "Fleet status (hosts matching node-*): 2 hosts: 0 ok · 1 warn · 0 fail · 0 no answer · 1 offline",
    );
    const body = JSON.stringify(m.blocks);
    expect(body).toMatch(/Columns: Process · Port · Transport · Auth/);
    expect(body).toMatch(/🟢🟢🟢🟢[🟢🟡⚪]* \*node-3\* 🟡 warn — No credentials for a model provider in use/u);
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
