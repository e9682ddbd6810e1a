import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentConnection } from "../../src/agent/connection.ts";
import { enroll } from "../../src/agent/enroll.ts";
import { loadOrCreateIdentity } from "../../src/agent/identity.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { quietLogger } from "../support/harness.ts";
import { signSlack, slashCommandBody, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * Issue 17 item 2: a command's claim, job and audit row are committed together with the other
 * commands of the same event-loop turn, and the ack waits for that commit. So a control plane
 * killed (SIGKILL, no shutdown) right after it acked loses nothing it acked: after the
 * restart the queued job is there and told in its thread, the audit log has the command, and
 * the same signed request sent again is refused as a replay.
 */
const SECRET = "test-signing-secret-ack-restart-0123456789";
const TOKEN = "xoxb-0000-ack-restart-bot-token";
const CHANNEL = "C0ACKRESTART";

let slack: SlackStandIn;
let apiUrl: string;
const dir = mkdtempSync(join(tmpdir(), "clawops-ack-restart-"));
const started: ControlPlaneProcess[] = [];
let agent: AgentConnection | null = null;
let releaseAgent: () => void = () => {};

beforeAll(async () => {
  slack = new SlackStandIn(TOKEN);
  apiUrl = await slack.start();
});

afterAll(async () => {
  releaseAgent();
  await agent?.stop();
  for (const cp of started) await cp.stop();
  await slack.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: apiUrl });

async function send(url: string, body: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}/slack/commands`, { method: "POST", headers, body });
  expect(res.status).toBe(200);
  return ((await res.json()) as { text: string }).text;
}

describe("a control plane killed right after its acks", () => {
  it("keeps every acked command: the queued job is told lost in its thread, audited, and a replay is refused", async () => {
    const cp1 = await spawnControlPlane(env(), { dataDir: join(dir, "data"), keepData: true });
    started.push(cp1);
    // A real agent whose first job never finishes, so the second waits in the host's queue.
    const agentDir = join(dir, "agent");
    const identity = loadOrCreateIdentity(agentDir);
    await enroll({ dir: agentDir, server: cp1.url, host: "node-3", code: await cp1.enrollmentCode("node-3") });
    let running: () => void = () => {};
    const firstJobRunning = new Promise<void>((r) => {
      running = r;
    });
    const hold = new Promise<void>((r) => {
      releaseAgent = r;
    });
    agent = new AgentConnection({
      server: cp1.url,
      host: "node-3",
      identity,
      agentVersion: "test",
      gatewayVersion: () => "2026.9.6",
      logger: quietLogger,
      runner: {
        run: async (): Promise<StepResult[]> => {
          running();
          await hold;
          return [];
        },
      },
    });
    agent.start();
    await waitHostOnline(cp1.url, SECRET, "node-3");

    const first = slashCommandBody({ text: "triage node-3", channel_id: CHANNEL, trigger_id: "restart.1" });
    const firstAck = await send(cp1.url, first, signSlack(SECRET, first));
    const firstJob = /\(job (job_\w+)\)/.exec(firstAck)?.[1];
    expect(firstJob).toBeDefined();
    await firstJobRunning;
    const second = slashCommandBody({ text: "triage node-3", channel_id: CHANNEL, trigger_id: "restart.2" });
    const secondHeaders = signSlack(SECRET, second);
    const secondAck = await send(cp1.url, second, secondHeaders);
    expect(secondAck).toContain("It starts after 1 earlier job on this host.");
    const secondJob = /\(job (job_\w+)\)/.exec(secondAck)?.[1];
    expect(secondJob).toBeDefined();

    // Killed at once, with no shutdown: only what was committed before the acks survives.
    await new Promise<void>((resolve) => {
      cp1.child.once("exit", () => resolve());
      cp1.child.kill("SIGKILL");
    });
    started.splice(started.indexOf(cp1), 1);
    releaseAgent();
    await agent.stop();
    agent = null;

    const cp2 = await spawnControlPlane(env(), { dataDir: join(dir, "data"), keepData: true });
    started.push(cp2);
    // Both jobs are told lost in the host's incident thread, the queued one as never run.
    const [thread] = slack.topLevel(CHANNEL);
    expect(thread).toBeDefined();
    const notices = slack.thread(CHANNEL, thread?.ts ?? "").filter((m) => m.text.includes("was lost"));
    expect(notices.map((m) => /job_\w+/.exec(m.text)?.[0]).sort()).toEqual([firstJob, secondJob].sort());
    const queued = notices.find((m) => m.text.includes(secondJob ?? "?"));
    expect(queued?.text).toContain("waited for its turn on the host; it never ran");

    // The audit log kept both commands, each with its job.
    const audit = await fetch(`${cp2.url}/api/console/audit.jsonl`, { headers: cp2.consoleHeaders() });
    const rows = (await audit.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; ref: string | null; detail: string });
    const commands = rows.filter((r) => r.action === "command" && r.detail.includes("triage node-3"));
    expect(commands.map((r) => r.ref).sort()).toEqual([firstJob, secondJob].sort());

    // The second request, sent again as it was signed, is a replay: nothing is done again.
    const replay = await send(cp2.url, second, secondHeaders);
    expect(replay).toContain("This request was received already");
    expect(slack.violations).toEqual([]);
  }, 60_000);
});
