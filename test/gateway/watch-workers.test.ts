import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type SharedGateway, sharedGateway } from "../support/gateway/control.ts";
import { freeLoopbackPort, type LocalWorker, startLocalWorker } from "../support/local-worker.ts";
import { waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";

/**
 * The watch on the Workers runtime, on a real OpenClaw gateway (docs/watch.md), the same flows
 * as test/gateway/watch.test.ts on Node: wrangler.toml's Worker in workerd on loopback, a real
 * clawops-agent told a 2 s interval by its host's Durable Object, the Slack stand-in checking
 * every call's documented shape. Stopping the gateway opens the host's thread with a triage (run
 * in the host's object), starting it posts the recovery, flapping it inside the flap window posts
 * nothing per flap and one summary when the window ends (the object's alarm).
 */
const SECRET = "watch-workers-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-watch-workers-bot-token";
const ADMIN_TOKEN = "watch-workers-admin-token-7a2c9e";
const HOST = "node-3";
const INCIDENTS = "C0WKGWWATCH";
const FLAP_WINDOW_S = 150;

let gw: SharedGateway;
let slack: SlackStandIn;
let worker: LocalWorker;
let url: string;
let stateDir: string;
let agentDir: string;
let agent: AgentProcess;

interface WatchView {
  healthy: boolean | null;
  reportedAt: number;
  stale: { reason: string } | null;
}

/** The host object's watch state, as the operator API shows it. */
async function watchView(): Promise<WatchView | null> {
  const res = await fetch(`${url}/api/hosts/${HOST}/agent`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await res.json()) as { agent: { watch?: WatchView | null } }).agent.watch ?? null;
}

/** Waits until the held health (two probes in a row) is `healthy`. */
async function waitHeld(healthy: boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: WatchView | null = null;
  while (Date.now() < end) {
    last = await watchView();
    if (last?.healthy === healthy) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `${HOST} did not hold ${healthy ? "healthy" : "failing"} within ${timeoutMs} ms; last ${JSON.stringify(last)}\n${agent.log()}`,
  );
}

const incident = (): StoredMessage | undefined =>
  slack.topLevel(INCIDENTS).find((m) => m.text === `Incident: OpenClaw gateway on ${HOST}`);
const replies = (): StoredMessage[] => {
  const parent = incident();
  return parent ? slack.thread(INCIDENTS, parent.ts) : [];
};

beforeAll(async () => {
  gw = sharedGateway();
  await gw.restoreHealthy();
  slack = new SlackStandIn(BOT_TOKEN);
  const apiUrl = await slack.start();
  stateDir = mkdtempSync(join(tmpdir(), "clawops-watch-workers-"));
  ({ worker, url } = await startLocalWorker({
    port: await freeLoopbackPort(),
    persist: stateDir,
    vars: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: apiUrl,
      CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN,
      CLAWOPS_INCIDENT_CHANNEL: INCIDENTS,
      CLAWOPS_WATCH_INTERVAL_S: "2",
      CLAWOPS_WATCH_DIGEST_S: "60",
      CLAWOPS_WATCH_FLAP_WINDOW_S: String(FLAP_WINDOW_S),
    },
  }));
  const issued = await fetch(`${url}/api/admin/enrollment-codes`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ host: HOST }),
  });
  expect(issued.status).toBe(200);
  const { code } = (await issued.json()) as { code: string };
  const env = { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin };
  agentDir = await enrollAgent({ server: url, host: HOST, code, env });
  agent = runAgent({ dir: agentDir, env });
  await waitHostOnline(url, SECRET, HOST, { describe: () => agent.log() });
}, 180_000);

afterAll(async () => {
  await agent?.kill();
  await worker?.dispose();
  await slack?.stop();
  for (const dir of [agentDir, stateDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  await gw?.restoreHealthy();
}, 120_000);

describe("the watch on Workers (host Durable Objects) on a real OpenClaw gateway", () => {
  it("a healthy gateway: held healthy in the host's object, nothing posted", async () => {
    await waitHeld(true, 60_000);
    expect(slack.topLevel(INCIDENTS)).toEqual([]);
  }, 90_000);

  it("stopping the gateway opens the host's thread in the incident channel with a triage, within 90 s", async () => {
    await gw.stop();
    await slack.waitFor(
      () => replies().some((m) => m.text.includes("Gateway is not running") && m.text.startsWith(`Triage ${HOST}`)),
      90_000,
      "the watch's incident thread with a triage result",
    );
    expect(JSON.stringify(incident()?.blocks)).toContain("Opened by *clawops watch*");
    const [notice] = replies();
    expect(notice?.text).toMatch(new RegExp(`^Watch: ${HOST} failing since \\d\\d:\\d\\d:\\d\\d UTC: `));
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
    expect(JSON.stringify(slack.calls)).not.toContain(gw.token);
  }, 120_000);

  it("starting it again posts the recovery in the same thread", async () => {
    await gw.start();
    await slack.waitFor(
      () => replies().some((m) => /^Watch: node-3 recovered at \d\d:\d\d:\d\d UTC after \d+ (s|min)$/.test(m.text)),
      90_000,
      "the recovery",
    );
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    await waitHeld(true, 10_000);
  }, 120_000);

  it("flapping it inside the window posts nothing per flap, then one summary at the window's end (the object's alarm)", async () => {
    const before = replies().length;
    await gw.stop();
    await waitHeld(false, 60_000);
    await gw.start();
    await waitHeld(true, 90_000);
    // The flips inside the window were counted, not posted, and started no triage.
    expect(replies()).toHaveLength(before);
    await slack.waitFor(() => replies().length > before, (FLAP_WINDOW_S + 30) * 1000, "the flap window's summary");
    const added = replies().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]?.text).toMatch(
      /^Watch: node-3 flapped 2 times between \d\d:\d\d:\d\d UTC and \d\d:\d\d:\d\d UTC; now healthy since /,
    );
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  }, 400_000);
});
