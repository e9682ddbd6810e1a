import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { type AgentProcess, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import type { SharedGateway } from "../support/gateway/control.ts";
import { type GatewayPlane, startGatewayPlane } from "../support/gateway-plane.ts";
import { firstFindingId, postSlashCommand, waitHostOnline } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/** Steps in a triage job (the progress line counts them). */
const N = TRIAGE_STEPS.length;

/**
 * The whole path, every part real except Slack: a really signed slash command → the control
 * plane process (as `npm start` runs it) → a real clawops-agent process over a real socket →
 * the real OpenClaw gateway → thread messages at a Slack Web API stand-in that checks every
 * call's documented shape.
 */
const SECRET = "e2e-signing-secret-0123456789abcdef";
const BOT_TOKEN = "xoxb-e2e-bot-token";
const HOST = "node-3";
const CHANNEL = "C0INCIDENTS";
const DRIFT_TOKEN = "drifted-server-token-7c1f0e9b2a";

let plane: GatewayPlane;
let gw: SharedGateway;
let slack: SlackStandIn;
let cp: ControlPlaneProcess;
let agent: AgentProcess;

/** Healthy, apart from `models status` listing openai as a provider in use without credentials. */
const FRESH_LAB_HEADLINE = "1 layer to watch — No credentials for a model provider in use";

function blocksText(m: StoredMessage | undefined): string {
  return JSON.stringify(m?.blocks ?? []);
}

function incident(): StoredMessage {
  const parents = slack.topLevel(CHANNEL);
  expect(parents).toHaveLength(1);
  return parents[0] as StoredMessage;
}

/** Runs one triage and returns the thread's messages that it added (progress, result). */
async function triage(): Promise<{ progress: StoredMessage; result: StoredMessage; ackText: string }> {
  const parent = slack.topLevel(CHANNEL)[0];
  const before = parent ? slack.thread(CHANNEL, parent.ts).length : 0;
  const { status, body } = await postSlashCommand(cp.url, SECRET, { text: `triage ${HOST}`, channel_id: CHANNEL });
  expect(status).toBe(200);
  expect(body.response_type).toBe("ephemeral");
  await slack.waitFor(
    () => {
      const p = slack.topLevel(CHANNEL)[0];
      return !!p && slack.thread(CHANNEL, p.ts).length >= before + 2;
    },
    60_000,
    "the triage result in the incident thread",
  );
  // The first answer comes before the slow probes; wait for its final version.
  await slack.waitFor(() => isFinal(slack.thread(CHANNEL, incident().ts)[before + 1]), 60_000, "the final result");
  const replies = slack.thread(CHANNEL, incident().ts).slice(before);
  return { progress: replies[0] as StoredMessage, result: replies[1] as StoredMessage, ackText: body.text ?? "" };
}

/** A listener on `port` that accepts connections and never answers (a hung gateway). */
async function hangPort(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isFinal(m: StoredMessage | undefined): boolean {
  return !!m && !blocksText(m).includes("Still running");
}

function assertNoSecretsLeaked(): void {
  const everything = JSON.stringify(slack.calls);
  expect(everything).not.toContain(gw.token);
  expect(everything).not.toContain(DRIFT_TOKEN);
}

beforeAll(async () => {
  plane = await startGatewayPlane({ secret: SECRET, botToken: BOT_TOKEN, host: HOST, keepData: true });
  ({ gw, slack, cp, agent } = plane);
});

afterAll(() => plane?.close());

describe("end-to-end triage on a real OpenClaw gateway", () => {
  it("healthy: opens the incident thread, streams progress, posts a matrix with no failing layer", async () => {
    const { progress, result, ackText } = await triage();
    expect(ackText).toContain(`Triage of ${HOST} started`);
    expect(incident().text).toBe(`Incident: OpenClaw gateway on ${HOST}`);
    expect(progress.edits).toBeGreaterThanOrEqual(1);
    expect(progress.text).toMatch(new RegExp(`finished: ${N}/${N} probes`));
    // The lab gateway has no model provider credentials (offline, GATEWAY-FACTS §3): a warning, not a failure.
    // The whole answer on failure: a layer to watch the lab should not have names its evidence there.
    expect(result.text, blocksText(result)).toContain(`Triage ${HOST}: ${FRESH_LAB_HEADLINE}`);
    const text = blocksText(result);
    for (const line of [
      "🟢 *Process*: ok",
      "🟢 *Port*: ok",
      "🟢 *Transport*: ok",
      "🟢 *Auth*: ok",
      "🟢 *Scope*: ok",
      "🟢 *Config*: ok",
      "🟢 *Workspace*: ok",
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toContain(`gateway ${gw.version}`);
    expect(text).not.toContain("🔴");
    expect(slack.violations).toEqual([]);
    assertNoSecretsLeaked();
  });

  it("token drift: same thread, token-drift ranked first with the detail code, no token in Slack", async () => {
    const parentTs = incident().ts;
    await gw.restart({ extraArgs: ["--token", DRIFT_TOKEN] });
    const { result } = await triage();
    expect(incident().ts).toBe(parentTs);
    expect(result.text).toContain("Token drift: the running gateway rejects the configured token");
    const text = blocksText(result);
    expect(firstFindingId(result.blocks)).toBe("token-drift");
    expect(text).toContain("AUTH_TOKEN_MISMATCH");
    expect(text).toContain("🔴 *Auth*: fail");
    expect(text).toMatch(/token source process-argv \(pid \d+\): sha256:[0-9a-f]{12}/);
    expect(slack.violations).toEqual([]);
    assertNoSecretsLeaked();
  });

  it("gateway down: gateway-down ranked first, and the probe that lies is named", async () => {
    await gw.stop();
    const { result } = await triage();
    expect(result.text).toContain("Gateway is not running");
    const text = blocksText(result);
    expect(firstFindingId(result.blocks)).toBe("gateway-down");
    expect(text).toContain("🔴 *Process*: fail");
    expect(text).toContain("ECONNREFUSED");
    expect(text).toContain("False green: `openclaw gateway status` exits 0 in this state");
    expect(slack.violations).toEqual([]);
  });

  it("an agent killed mid-job ends the job as lost in the thread, with what had arrived", async () => {
    // The gateway is stopped (the test before): something that accepts connections on its port
    // and never answers keeps the WebSocket and HTTP probes waiting for seconds, so the job is
    // still running when the agent dies. (A triage never waits for doctor any more: the agent
    // answers from its cache or says a reading is being taken.)
    const hung = await hangPort(gw.port);
    try {
      await killedMidJob();
    } finally {
      await hung.close();
    }
  });

  async function killedMidJob(): Promise<void> {
    const parent = incident();
    const before = slack.thread(CHANNEL, parent.ts).length;
    const { body } = await postSlashCommand(cp.url, SECRET, { text: `triage ${HOST}`, channel_id: CHANNEL });
    expect(body.text).toContain("started");
    await slack.waitFor(
      () => {
        const p = slack.thread(CHANNEL, parent.ts)[before];
        return !!p && p.edits >= 1; // at least one probe result streamed in
      },
      20_000,
      "first progress update",
    );
    await agent.kill("SIGKILL");
    await slack.waitFor(
      () => blocksText(slack.thread(CHANNEL, parent.ts)[before + 1]).includes("Agent connection lost"),
      20_000,
      "lost-job result",
    );
    const [progress, result] = slack.thread(CHANNEL, parent.ts).slice(before);
    expect(progress?.text).toMatch(new RegExp(`lost after [\\d.]+ s: [1-9]\\d?/${N} probes arrived`));
    expect(blocksText(result)).toContain("Agent connection lost mid-job");
    expect(blocksText(result)).toContain("Incomplete");
    expect(slack.violations).toEqual([]);
  }

  it("a control-plane restart keeps hosts, jobs and the incident thread", async () => {
    const parentTs = incident().ts;
    await cp.stop();
    // The gateway's start and the control plane's overlap; the agent starts once both are up, so
    // its first readings are of the healthy gateway.
    // plane.cp set as soon as it runs, so close() stops it even if the gateway's start fails.
    const spawned = spawnControlPlane(
      { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.url },
      { dataDir: cp.dataDir, keepData: true },
    ).then((next) => {
      cp = plane.cp = next;
    });
    await Promise.all([spawned, gw.restoreHealthy()]);
    agent = plane.agent = runAgent({ dir: plane.agentDir, env: plane.agentEnv(), server: cp.url });
    await waitHostOnline(cp.url, SECRET, HOST, { describe: () => agent.log() });
    const { result } = await triage();
    expect(incident().ts).toBe(parentTs);
    expect(result.text, blocksText(result)).toContain(FRESH_LAB_HEADLINE);
  });
});
