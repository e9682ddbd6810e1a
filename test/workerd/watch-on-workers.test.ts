import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { freeLoopbackPort, type LocalWorker, startLocalWorker } from "../support/local-worker.ts";
import { postSlashCommand, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";

/**
 * The watch on the Workers runtime (docs/watch.md): wrangler.toml's Worker in workerd, a real
 * clawops-agent told a 1 s interval in the welcome by its host's Durable Object. Its gateway does
 * not exist (a closed port, no OpenClaw binary), so the quick probe fails: the host object opens
 * the host's thread in the incident channel with a triage (queued and run in that object), and
 * `/openclaw status all` reads the state from the watch shard objects, with its age.
 */
const SECRET = "workerd-watch-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-workerd-watch-bot-token";
const ADMIN_TOKEN = "workerd-watch-admin-token-8d1e2f";
const HOST = "wk-watch-1";
const INCIDENTS = "C0WKWATCH";

let worker: LocalWorker;
let baseUrl: string;
let slack: SlackStandIn;
let stateDir: string;
let agentHome: string;
let agentDir: string;
let agent: AgentProcess;

beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  const apiUrl = await slack.start();
  stateDir = mkdtempSync(join(tmpdir(), "clawops-workerd-watch-"));
  agentHome = mkdtempSync(join(tmpdir(), "clawops-workerd-watch-home-"));
  const gatewayPort = await freeLoopbackPort();
  ({ worker, url: baseUrl } = await startLocalWorker({
    port: await freeLoopbackPort(),
    persist: stateDir,
    vars: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: apiUrl,
      CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN,
      CLAWOPS_INCIDENT_CHANNEL: INCIDENTS,
      CLAWOPS_WATCH_INTERVAL_S: "1",
    },
  }));
  const env = {
    PATH: process.env.PATH,
    HOME: agentHome,
    OPENCLAW_STATE_DIR: join(agentHome, ".openclaw"),
    OPENCLAW_GATEWAY_PORT: String(gatewayPort),
    CLAWOPS_OPENCLAW_BIN: join(agentHome, "no-such-openclaw"),
  };
  const issued = await fetch(`${baseUrl}/api/admin/enrollment-codes`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ host: HOST }),
  });
  expect(issued.status).toBe(200);
  const { code } = (await issued.json()) as { code: string };
  agentDir = await enrollAgent({ server: baseUrl, host: HOST, code, env });
  agent = runAgent({ dir: agentDir, env });
  await waitHostOnline(baseUrl, SECRET, HOST, { describe: () => agent.log() });
}, 120_000);

afterAll(async () => {
  await agent?.kill();
  await worker?.dispose();
  await slack?.stop();
  for (const dir of [stateDir, agentDir, agentHome]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("the watch on the Workers runtime (workerd, Durable Objects)", () => {
  it("a gateway that is down opens the host's thread in the incident channel with a triage", async () => {
    const replies = () => {
      const parent = slack.topLevel(INCIDENTS).find((m) => m.text === `Incident: OpenClaw gateway on ${HOST}`);
      return parent ? slack.thread(INCIDENTS, parent.ts) : [];
    };
    // The triage's answer: its first result message, with a failing layer.
    const answer = () => replies().find((m) => m.text.startsWith(`Triage ${HOST}`));
    await slack.waitFor(
      () => JSON.stringify(answer()?.blocks ?? []).includes("🔴"),
      90_000,
      "the watch's thread with a triage result",
    );
    const parent = slack.topLevel(INCIDENTS)[0] as StoredMessage;
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(JSON.stringify(parent.blocks)).toContain("Opened by *clawops watch*");
    expect(replies()[0]?.text).toMatch(new RegExp(`^Watch: ${HOST} failing since \\d\\d:\\d\\d:\\d\\d UTC: `));
    expect(slack.violations).toEqual([]);
  }, 120_000);

  it("status all answers from the watch shards: the host failing, with its age", async () => {
    const before = slack.topLevel("C0OPS").length;
    const { status, body } = await postSlashCommand(baseUrl, SECRET, { text: "status all", channel_id: "C0OPS" });
    expect(status).toBe(200);
    expect(body.text).toContain("from the watch follows");
    await slack.waitFor(() => slack.topLevel("C0OPS").length > before, 20_000, "the fleet matrix");
    const matrix = slack.topLevel("C0OPS")[before] as StoredMessage;
    expect(matrix.text).toBe("Fleet status (all hosts): 1 host: 0 ok · 0 warn · 1 fail · 0 no answer · 0 offline");
    expect(JSON.stringify(matrix.blocks)).toMatch(/\*wk-watch-1\* 🔴 fail — .* · \d+ s ago/u);
  }, 60_000);
});
