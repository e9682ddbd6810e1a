import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentProcess } from "../support/agent-process.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";
import { startWorkerdPlane, type WorkerdPlaneWithAgent } from "../support/workerd-plane.ts";

/**
 * The watch on the Workers runtime (docs/watch.md): wrangler.toml's Worker in workerd, a real
 * clawops-agent told a 1 s interval in the welcome by its host's Durable Object. Its gateway does
 * not exist (a closed port, no OpenClaw binary), so the quick probe fails: the host object opens
 * the host's thread in the incident channel with a triage (queued and run in that object), and
 * `/openclaw status all` reads the state from the watch shard objects, with its age. A stopped
 * agent process (SIGSTOP: its socket stays open, it sends nothing) is noticed by the host
 * object's alarm, set for its digest period plus two intervals, after the object hibernated.
 */
const SECRET = "workerd-watch-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-workerd-watch-bot-token";
const ADMIN_TOKEN = "workerd-watch-admin-token-8d1e2f";
const HOST = "wk-watch-1";
const INCIDENTS = "C0WKWATCH";
/** Digest period: a silent agent is noticed after this plus two 1 s intervals. */
const DIGEST_S = 20;
/** How long an idle host object takes to hibernate here (as in agent-on-workers.test.ts). */
const HIBERNATION_WAIT_MS = 15_000;

let plane: WorkerdPlaneWithAgent;
let baseUrl: string;
let slack: SlackStandIn;
let agent: AgentProcess;

beforeAll(async () => {
  plane = await startWorkerdPlane({
    name: "workerd-watch",
    secret: SECRET,
    botToken: BOT_TOKEN,
    adminToken: ADMIN_TOKEN,
    vars: {
      CLAWOPS_INCIDENT_CHANNEL: INCIDENTS,
      CLAWOPS_WATCH_INTERVAL_S: "1",
      CLAWOPS_WATCH_DIGEST_S: String(DIGEST_S),
    },
    agent: { host: HOST },
  });
  ({ url: baseUrl, slack, agent } = plane);
}, 120_000);

// stop() continues the agent first if a test left it stopped.
afterAll(() => plane?.stop(), 60_000);

interface AgentStatus {
  online: boolean;
  connectedAt: number | null;
  instance: string;
  watch?: {
    healthy: boolean | null;
    reportedAt: number;
    stale: { reason: string; at: number } | null;
  } | null;
}

/** The operator API's view of the host's object (`GET /api/hosts/<host>/agent`). */
async function agentStatus(): Promise<AgentStatus> {
  const res = await plane.admin(`/api/hosts/${HOST}/agent`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { agent: AgentStatus }).agent;
}

async function waitForStatus(what: string, timeoutMs: number, ok: (s: AgentStatus) => boolean): Promise<AgentStatus> {
  const end = Date.now() + timeoutMs;
  let last = await agentStatus();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 1_000));
    last = await agentStatus();
  }
  return last;
}

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

  it("a silent agent (stopped, its socket open) is noticed by the host object's alarm after it hibernated; its next report makes it fresh", async () => {
    const fresh = await agentStatus();
    expect(fresh).toMatchObject({ online: true, watch: { healthy: false, stale: null } });
    const posted = slack.calls.length;
    agent.child.kill("SIGSTOP");
    // No request to the object meanwhile: only hibernation can replace it, only its alarm can wake it.
    await new Promise((r) => setTimeout(r, HIBERNATION_WAIT_MS));
    const silent = await waitForStatus("the silence noticed", (DIGEST_S + 30) * 1000, (s) => s.watch?.stale != null);
    // Not a disconnect: the socket is still open, on the same connection, in a new instance of the object.
    expect(silent).toMatchObject({ online: true, connectedAt: fresh.connectedAt, watch: { healthy: false } });
    expect(silent.instance).not.toBe(fresh.instance);
    expect(silent.watch?.stale?.reason).toBe("no report from its agent since");
    expect(silent.watch?.stale?.at).toBe(silent.watch?.reportedAt);
    // The shards hold it too: status says the host is stale, with why.
    const before = slack.topLevel("C0OPS").length;
    await postSlashCommand(baseUrl, SECRET, { text: "status all", channel_id: "C0OPS" });
    await slack.waitFor(() => slack.topLevel("C0OPS").length > before, 20_000, "the fleet matrix");
    const matrix = JSON.stringify((slack.topLevel("C0OPS")[before] as StoredMessage).blocks);
    expect(matrix).toMatch(/\*wk-watch-1\* ⌛ stale — no report from its agent; last state failing: /u);
    // Silence opens no incident (as on Node): nothing went to the incident channel meanwhile.
    expect(slack.calls.slice(posted).filter((c) => c.body.channel === INCIDENTS)).toEqual([]);

    agent.child.kill("SIGCONT");
    const back = await waitForStatus("the agent's next report", 30_000, (s) => s.watch?.stale === null);
    expect(back).toMatchObject({ online: true, watch: { healthy: false, stale: null } });
  }, 120_000);
});
