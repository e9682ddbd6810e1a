import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentConnection } from "../../src/agent/connection.ts";
import { loadOrCreateIdentity } from "../../src/agent/identity.ts";
import { enrollHost, issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { healthyResults, scriptedHealthyResults } from "../support/evidence.ts";
import { quietLogger } from "../support/harness.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { postSlashCommand, signSlack, slashCommandBody } from "../support/slack-signing.ts";
import type { SlackStandIn } from "../support/slack-standin.ts";

const SECRET = "test-signing-secret-0123456789abcdef";
const BOT_TOKEN = "xoxb-0000-test-bot-token";
const quiet = process.env.DEBUG_TEST ? { info: console.log, warn: console.log, error: console.log } : quietLogger;

let cp: ControlPlane;
let slack: SlackStandIn;
let dir: string;
let agent: AgentConnection;
let jobsRun = 0;

/** Scripted agent over a real socket: a healthy gateway's answers, a little apart. */
const healthy = scriptedHealthyResults();

let plane: SlackPlane;

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "slack",
    secret: SECRET,
    botToken: BOT_TOKEN,
    logger: quiet,
    hosts: ["node-3", "node-9"],
  });
  ({ cp, slack, dir } = plane);
  const { identity } = plane;
  agent = new AgentConnection({
    server: cp.url,
    host: "node-3",
    identity,
    agentVersion: "0.1.0",
    gatewayVersion: () => "2026.9.6",
    logger: quiet,
    runner: {
      async run(_job, onResult) {
        jobsRun++;
        for (const r of healthy) {
          await new Promise((res) => setTimeout(res, 30));
          onResult(r);
        }
        return healthy;
      },
    },
  });
  agent.start();
  const end = Date.now() + 5_000;
  while (!(await cp.hub.isOnline("node-3")) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await agent?.stop();
  await plane?.close();
});

const ackText = (b: { blocks?: unknown[]; text?: string }) => JSON.stringify(b.blocks ?? b.text);

describe("POST /slack/commands", () => {
  it("acks a signed triage at once, then fills the incident thread", async () => {
    const before = jobsRun;
    const { status, body } = await postSlashCommand(cp.url, SECRET, { text: "triage node-3", channel_id: "C0INC1" });
    expect(status).toBe(200);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain("Triage of node-3 started");

    await slack.waitFor(
      () => slack.calls.filter((c) => c.method === "chat.postMessage").length >= 3,
      10_000,
      "result message",
    );
    expect(slack.violations).toEqual([]);
    const [parent] = slack.topLevel("C0INC1");
    expect(parent?.text).toBe("Incident: OpenClaw gateway on node-3");
    const replies = slack.thread("C0INC1", parent?.ts ?? "");
    expect(replies).toHaveLength(2);
    const [progress, result] = replies;
    expect(progress?.edits).toBeGreaterThanOrEqual(1);
    expect(progress?.text).toContain("finished");
    expect(result?.text).toContain("Triage node-3");
    const blocks = JSON.stringify(result?.blocks);
    for (const layer of [
      "Process",
      "Port",
      "Transport",
      "Auth",
      "Scope",
      "Config",
      "Workspace",
      "Model routing",
      "Policy",
      "Channels",
      "Service",
      "Scheduler",
    ]) {
      expect(blocks).toContain(`*${layer}*`);
    }
    expect(jobsRun).toBe(before + 1);
  });

  it("reuses the host's incident thread in that channel", async () => {
    const posted = () => slack.calls.filter((c) => c.method === "chat.postMessage").length;
    const n = posted();
    await postSlashCommand(cp.url, SECRET, { text: "triage node-3", channel_id: "C0INC1" });
    await slack.waitFor(() => posted() >= n + 2, 10_000, "second triage");
    expect(slack.topLevel("C0INC1")).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  });

  it("runs one job for a request Slack retries (X-Slack-Retry-Num)", async () => {
    const before = jobsRun;
    const body = slashCommandBody({ text: "triage node-3", channel_id: "C0RETRY", trigger_id: "111.222.retry" });
    const first = await fetch(`${cp.url}/slack/commands`, { method: "POST", headers: signSlack(SECRET, body), body });
    const retry = await fetch(`${cp.url}/slack/commands`, {
      method: "POST",
      headers: { ...signSlack(SECRET, body), "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
      body,
    });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { text: string }).text).toContain("received already");
    await slack.waitFor(
      () => slack.thread("C0RETRY", slack.topLevel("C0RETRY")[0]?.ts ?? "-").length >= 2,
      10_000,
      "retry thread",
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(jobsRun).toBe(before + 1);
    expect(slack.topLevel("C0RETRY")).toHaveLength(1);
  });

  it("refuses forged and stale requests with 401 and starts nothing", async () => {
    const before = jobsRun;
    const calls = slack.calls.length;
    const forged = await postSlashCommand(cp.url, "not-the-secret", { text: "triage node-3" });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe("bad_signature");
    const body = slashCommandBody({ text: "triage node-3" });
    const stale = await fetch(`${cp.url}/slack/commands`, {
      method: "POST",
      headers: signSlack(SECRET, body, Math.floor(Date.now() / 1000) - 301),
      body,
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe("stale_request");
    await new Promise((r) => setTimeout(r, 200));
    expect(jobsRun).toBe(before);
    expect(slack.calls.length).toBe(calls);
  });

  it.each([
    ["triage ghost-1", "unknown_host", "No enrolled host named `ghost-1`"],
    ["triage node-9", "host_offline", "Host `node-9` is offline"],
    ["triage node_3!", "invalid_host_name", "is not a valid host name"],
    ["reboot node-3", "unknown_command", "Unknown command `reboot`"],
    ["triage", "bad_request", "Usage: `/openclaw triage <host>`"],
    // Enrolling from Slack needs its own rule in the authorization file (issue 33, item 2).
    ["enroll node-4", "forbidden", "Nobody is allowed to `enroll` from Slack yet"],
  ])("`/openclaw %s` → ephemeral %s error, no job", async (text, code, message) => {
    const before = jobsRun;
    const calls = slack.calls.length;
    const { status, body } = await postSlashCommand(cp.url, SECRET, { text });
    expect(status).toBe(200);
    expect(body.response_type).toBe("ephemeral");
    expect(ackText(body)).toContain(code);
    expect(ackText(body)).toContain(message);
    await new Promise((r) => setTimeout(r, 100));
    expect(jobsRun).toBe(before);
    expect(slack.calls.length).toBe(calls);
  });

  it("lists hosts with online state and versions, and explains every command", async () => {
    const hosts = await postSlashCommand(cp.url, SECRET, { text: "hosts" });
    const text = ackText(hosts.body);
    expect(text).toMatch(/\*node-3\* — 🟢 online · agent 0\.1\.0 · gateway 2026\.9\.6 · last seen \d+ s ago/);
    expect(text).toContain("*node-9* — ⚫ offline");
    const help = await postSlashCommand(cp.url, SECRET, { text: "help" });
    for (const cmd of ["/openclaw triage <host>", "/openclaw hosts", "/openclaw help"])
      expect(ackText(help.body)).toContain(cmd);
  });
});

describe("never silent", () => {
  it("a signed triage in a channel the bot is not in: the asker hears at the response_url how to fix it", async () => {
    slack.channelErrors.set("C0NOTIN", "not_in_channel");
    const before = slack.responses.length;
    const url = slack.responseUrl("endpoint");
    const { status, body } = await postSlashCommand(cp.url, SECRET, {
      text: "triage node-3",
      channel_id: "C0NOTIN",
      response_url: url,
    });
    expect(status).toBe(200);
    expect(body.text).toContain("Triage of node-3 started");
    await slack.waitFor(() => slack.responses.length > before, 10_000, "the ephemeral reply at response_url");
    const told = slack.responses[before];
    expect(url).toContain(told?.path ?? "none");
    expect(told?.body.response_type).toBe("ephemeral");
    expect(String(told?.body.text)).toContain("/invite @clawops");
    expect(String(told?.body.text)).toContain("not_in_channel");
    const ended = async () =>
      (await cp.deps.store.listJobs({ host: "node-3" })).find((j) => j.channel === "C0NOTIN" && j.status !== "running");
    const until = Date.now() + 5_000;
    while (!(await ended()) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const job = await ended();
    expect(job?.status).toBe("rejected");
    expect(job?.detail).toContain("not_in_channel");
    expect(slack.violations).toEqual([]);
  });
});

describe("two-phase answer", () => {
  it("posts the first answer without the slow probes, then edits it in place when they finish", async () => {
    const identity = loadOrCreateIdentity(join(dir, "agent-5"));
    const { code } = await issueEnrollmentCode(cp.deps, "node-5");
    await enrollHost(cp.deps, { code, host: "node-5", publicKey: identity.publicKey });
    let slowSent = false;
    const slowAgent = new AgentConnection({
      server: cp.url,
      host: "node-5",
      identity,
      agentVersion: "0.1.0",
      gatewayVersion: () => "2026.9.6",
      logger: quiet,
      runner: {
        async run(_job, onResult) {
          const all = healthyResults();
          for (const r of all.filter((x) => x.step !== "doctor.lint")) onResult(r);
          await new Promise((res) => setTimeout(res, 600)); // a doctor cache miss: `openclaw doctor --lint` takes seconds
          slowSent = true;
          for (const r of all.filter((x) => x.step === "doctor.lint")) onResult(r);
          return all;
        },
      },
    });
    slowAgent.start();
    const end = Date.now() + 5_000;
    while (!(await cp.hub.isOnline("node-5")) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));

    await postSlashCommand(cp.url, SECRET, { text: "triage node-5", channel_id: "C0TWOPHASE" });
    const resultCalls = () => slack.calls.filter((c) => String(c.body.text).startsWith("Triage node-5:"));
    await slack.waitFor(() => resultCalls().length >= 1, 5_000, "first answer");
    expect(slowSent).toBe(false);
    expect(resultCalls()[0]?.method).toBe("chat.postMessage");
    expect(JSON.stringify(resultCalls()[0]?.body.blocks)).toContain(
      "Still running: `doctor.lint`. The doctor part is being refreshed on the host",
    );

    await slack.waitFor(() => resultCalls().some((c) => c.method === "chat.update"), 5_000, "updated answer");
    const parent = slack.topLevel("C0TWOPHASE")[0];
    const [, result] = slack.thread("C0TWOPHASE", parent?.ts ?? "");
    expect(result?.edits).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(result?.blocks)).not.toContain("Still running");
    expect(JSON.stringify(result?.blocks)).toContain("*Service*: unknown — no supported service manager detected");
    expect(slack.thread("C0TWOPHASE", parent?.ts ?? "")).toHaveLength(2);
    expect(slack.violations).toEqual([]);
    await slowAgent.stop();
  });
});
