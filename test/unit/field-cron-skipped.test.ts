import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeCron } from "../../src/agent/probes/gateway-ws.ts";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { type LogSignaturesData, STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { type Data, healthyData, toResults } from "../support/evidence.ts";

/**
 * Issue 46, scheduled runs skipped. From the OpenClaw 2026.9.6 package's own strings: the
 * `cron.list` job view (dist/job-read-view-*.mjs: `lastRunStatus`, `lastRunError`) with the reason
 * an ownerless job is skipped (dist/agent-id-*.mjs, CRON_AGENT_SELECTION_REQUIRED_MESSAGE), and the
 * start's catch-up line with `cron.skipMissedJobs` (dist/service-*.mjs, timer-catchup), in the
 * file log's tslog shape (its `{count, jobIds}` beside the message).
 */
const text = (name: string) => readFileSync(new URL(`./fixtures/openclaw/field/${name}`, import.meta.url), "utf8");
const classify = (d: Data) => classifyResults(toResults(d), STEP_NAMES);
const enabled = { ok: true as const, payload: { enabled: true, jobs: 2, nextWakeAtMs: 1795722000000 } };

function logsFrom(body: string, path = "/home/op/.openclaw/logs/gateway.log"): LogSignaturesData {
  return { found: true, path, tried: [path], bytesRead: body.length, ...scanLogText(body) };
}

describe("scheduled runs skipped", () => {
  it("an enabled job whose last run was skipped → cron-runs-skipped, naming the job and the gateway's reason", () => {
    const cron = summarizeCron(enabled, {
      ok: true,
      payload: JSON.parse(text("cron-list-skipped.dist-strings.json")),
    });
    expect(cron.skipped).toEqual([
      {
        id: "nightly-digest",
        name: "nightly-digest",
        lastRunAtMs: 1795694400000,
        reason: expect.stringContaining("Agent-less cron job has no resolvable owner"),
      },
    ]);
    // A skipped run is not a failed one.
    expect(cron.failing).toEqual([]);
    const d = healthyData();
    d.ws.cronRpc = cron;
    const f = classify(d).findings.find((x) => x.id === "cron-runs-skipped");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toBe(
      'cron.list: job "nightly-digest" (nightly-digest) last run skipped at 2026-11-26T12:00:00.000Z: Agent-less cron job has no resolvable owner. Pass --agent <id> when creating or editing the job, or set agents.defaults.systemAgent.agentId.',
    );
    expect(f?.falseGreen).toBe("cron.status (scheduler enabled); /readyz 200");
    expect(classify(d).findings.map((x) => x.id)).not.toContain("cron-job-failing");
  });

  it("the start skipped the runs missed while down (cron.skipMissedJobs) → cron-runs-skipped from the log line", () => {
    const d = healthyData();
    d.logs = logsFrom(text("cron-missed.dist-strings.jsonl"));
    const f = classify(d).findings.find((x) => x.id === "cron-runs-skipped");
    expect(f?.evidence.join("\n")).toContain("[cron] cron: skipped missed recurring jobs after restart");
    expect(f?.nextCommands.join("\n")).toContain("openclaw config get cron.skipMissedJobs");
  });

  it("a healthy scheduler (every last run ok, no catch-up line) raises nothing", () => {
    const d = healthyData();
    const payload = JSON.parse(text("cron-list-skipped.dist-strings.json")) as { jobs: Record<string, unknown>[] };
    payload.jobs = payload.jobs.filter((j) => j.lastRunStatus === "ok");
    d.ws.cronRpc = summarizeCron(enabled, { ok: true, payload });
    expect(d.ws.cronRpc.skipped).toBeUndefined();
    expect(classify(d).findings.map((x) => x.id)).not.toContain("cron-runs-skipped");
  });
});
