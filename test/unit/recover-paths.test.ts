import { describe, expect, it } from "vitest";
import type { StepName, StepRequest, StepResult } from "../../src/contract/catalog.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { HmacLinkSigner } from "../../src/core/bundles/signed-link.ts";
import { InProcessJobs } from "../../src/core/jobs/in-process.ts";
import type { ChatMessage } from "../../src/core/ports/chat.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import { capabilityOff, capabilityOn } from "../../src/core/ports/deps.ts";
import type { Decision, RunSteps } from "../../src/core/ports/recovery.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../../src/core/ports/transport.ts";
import { runRecover } from "../../src/core/recover/runbook/runner.ts";
import { HOST_JOB_KINDS } from "../../src/core/router/host-jobs.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { MemoryBlobStore } from "../support/memory-blob-store.ts";
import { InMemoryRecoveryStore } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";

/**
 * Every path of the recover runbook, recorded: the names (and order) of the steps it hands to
 * `RunSteps` — a Workflow instance that is running when a new version deploys replays its
 * recorded steps BY NAME, so a renamed, added, dropped or reordered step breaks it — and every
 * side effect inside them (Slack posts and edits with their neutral message, agent jobs, audit
 * rows, log lines), in order. The golden files under golden/recover-paths/ were recorded
 * against the one-function runbook before it became a runner over step functions; they are an
 * invariant (`-u` rewrites them: only on purpose, and never for the step names).
 *
 * Time moves only when the run sleeps or an agent job runs (1 s each), so goldens do not
 * depend on how often the runbook reads the clock.
 */
const HOST = "node-7";
const CHANNEL = "C0RUN";
const OWNER = "U0OWNER";
const T0 = 1_790_000_000_000;

type Answer = StepResult | StepResult[] | "lost" | { rejected: string };

interface PathScript {
  /** Per step the agent's answer; a list is consumed read by read (its last one repeats). */
  agent?: Partial<Record<StepName, Answer>>;
  /** Per `fx.decision` name, the decisions in order. */
  decisions?: Record<string, Decision[]>;
  /** The actor already holds a freeze of the host. */
  ownFreeze?: boolean;
  bundles?: boolean;
  /** Slack fails every post (from the first one) / every edit. */
  postFails?: boolean;
  updateFails?: boolean;
}

interface Recorded {
  events: unknown[];
  names: string[];
  outcome: string;
}

const approve = (whenDrained = false): Decision => ({
  decision: "approve",
  by: OWNER,
  approval: "approval-token",
  whenDrained,
});
const cancel: Decision = { decision: "cancel", by: OWNER };
const timeout: Decision = { decision: "timeout" };

const idle = inflight(0, []);
function inflight(active: number, due: { name: string; inMs: number }[]): StepResult {
  return {
    step: "gateway.inflight",
    status: "ok",
    durationMs: 300,
    data: {
      reachable: true,
      sessions: { count: 2 },
      tasks: { total: active, active },
      cron: { jobs: due.length, dueSoon: due.map((d) => ({ name: d.name, nextRunAtMs: T0 + d.inMs })) },
    },
  };
}
/** What the agent's gateway.inflight reads while a stop drains (captured on the real gateway: test/gateway/faults-field-46.test.ts). */
const drainingRead: StepResult = {
  step: "gateway.inflight",
  status: "ok",
  durationMs: 300,
  data: {
    reachable: false,
    error: "upgrade-refused: Unexpected server response: 503",
    sessions: null,
    tasks: null,
    cron: null,
    readyz: { status: 503, failing: ["gateway-draining"] },
  },
};
const restarted = (over: Record<string, unknown> = {}): StepResult =>
  ({
    step: "gateway.restart",
    status: "ok",
    durationMs: 15_000,
    data: {
      performed: true,
      supervisor: "systemd",
      unit: "user unit openclaw-gateway.service",
      oldPid: 100,
      newPid: 200,
      command: ["systemctl", "--user", "restart", "openclaw-gateway.service"],
      exitedAfterMs: 900,
      readyAfterMs: 14_000,
      approver: OWNER,
      ...over,
    },
  }) as StepResult;
const accepted = (passed: boolean): StepResult => ({
  step: "gateway.acceptance",
  status: "ok",
  durationMs: 400,
  data: {
    reachable: true,
    read: { method: "status", ok: true, ms: 20 },
    write: { method: "sessions.create", ok: passed, ms: 30 },
    cleanup: null,
    ...(passed ? {} : { error: "sessions.create: gateway closed (1000)" }),
    passed,
  },
});
function lintErrors(): StepResult[] {
  const d = healthyData();
  d.lint.findings = [
    ...(d.lint.findings ?? []),
    { checkId: "core/doctor/heartbeat-scratch-migration", severity: "error", message: "cannot be migrated: ENOTDIR" },
  ];
  return toResults(d);
}
const fixed = (over: Record<string, unknown>): StepResult =>
  ({
    step: "doctor.fix",
    status: "ok",
    durationMs: 21_000,
    data: {
      performed: true,
      approver: OWNER,
      command: ["openclaw", "doctor", "--repair", "--non-interactive"],
      exitCode: 0,
      timedOut: false,
      changes: ["Tightened permissions on /srv/openclaw/state to 700"],
      configUpdated: { path: "/srv/openclaw/state/openclaw.json", backup: "/srv/openclaw/state/openclaw.json.bak" },
      configHashBefore: "aaaaaaaaaaaa",
      configHashAfter: "bbbbbbbbbbbb",
      lintAfter: { exitCode: 0, timedOut: false, findings: [] },
      ...over,
    },
  }) as StepResult;

const healthyAgent = (): Partial<Record<StepName, Answer>> => {
  const out: Partial<Record<StepName, Answer>> = {};
  for (const r of toResults(healthyData())) out[r.step] = r;
  out["gateway.inflight"] = idle;
  out["gateway.restart"] = restarted();
  out["gateway.acceptance"] = accepted(true);
  return out;
};
const withAgent = (over: Partial<Record<StepName, Answer>>) => ({ ...healthyAgent(), ...over });
const fromResults = (results: StepResult[]) => Object.fromEntries(results.map((r) => [r.step, r]));

const PATHS: Record<string, PathScript> = {
  success: { agent: healthyAgent(), decisions: { "decision gateway.restart": [approve()] } },
  "success-own-freeze": {
    agent: healthyAgent(),
    ownFreeze: true,
    decisions: { "decision gateway.restart": [approve()] },
  },
  "doctor-fix-approved": {
    agent: withAgent({ ...fromResults(lintErrors()), "doctor.fix": fixed({}) }),
    decisions: { "decision doctor.fix": [approve()], "decision gateway.restart": [approve()] },
  },
  "doctor-fix-cancelled-then-restart-cancelled": {
    agent: withAgent(fromResults(lintErrors())),
    decisions: { "decision doctor.fix": [cancel], "decision gateway.restart": [cancel] },
  },
  "doctor-fix-timeout": {
    agent: withAgent(fromResults(lintErrors())),
    decisions: { "decision doctor.fix": [timeout], "decision gateway.restart": [approve()] },
  },
  "doctor-fix-refused": {
    agent: withAgent({
      ...fromResults(lintErrors()),
      "doctor.fix": fixed({ performed: false, refused: "approval expired" }),
    }),
    decisions: { "decision doctor.fix": [approve()], "decision gateway.restart": [approve()] },
  },
  "doctor-fix-partial": {
    agent: withAgent({
      ...fromResults(lintErrors()),
      "doctor.fix": fixed({
        changes: ["a", "b", "c", "d"],
        configHashAfter: "aaaaaaaaaaaa",
        error: "doctor exited 1",
      }),
    }),
    decisions: { "decision doctor.fix": [approve()], "decision gateway.restart": [approve()] },
  },
  "restart-cancelled": { agent: healthyAgent(), decisions: { "decision gateway.restart": [cancel] } },
  "restart-confirmation-timeout": { agent: healthyAgent(), decisions: { "decision gateway.restart": [timeout] } },
  "restart-refused": {
    agent: withAgent({ "gateway.restart": restarted({ performed: false, refused: "approval for another host" }) }),
    decisions: { "decision gateway.restart": [approve()] },
  },
  "restart-error": {
    agent: withAgent({ "gateway.restart": restarted({ error: "gateway did not come back within 60 s" }) }),
    decisions: { "decision gateway.restart": [approve()] },
  },
  "restart-no-answer": {
    agent: withAgent({ "gateway.restart": "lost" }),
    decisions: { "decision gateway.restart": [approve()] },
  },
  "drain-approve-now": {
    agent: withAgent({ "gateway.inflight": inflight(3, [{ name: "nightly", inMs: 30_000 }]) }),
    decisions: { "decision gateway.restart": [approve(false)] },
  },
  "drain-wait": {
    agent: withAgent({
      "gateway.inflight": [inflight(2, []), inflight(2, []), inflight(1, [{ name: "digest", inMs: 60_000 }]), idle],
    }),
    decisions: { "decision gateway.restart": [approve(true)] },
  },
  // A stop someone else began: the gateway refuses the WebSocket and its /readyz says it drains
  // (OpenClaw 2026.9.6). Nobody is asked to confirm a restart over it (issue 46).
  "drain-already-draining": {
    agent: withAgent({ "gateway.inflight": drainingRead }),
    decisions: { "decision gateway.restart": [approve()] },
  },
  // Approved once drained, and a stop begins while the run waits: the wait ends, nothing restarts.
  "drain-stop-begins-while-waiting": {
    agent: withAgent({ "gateway.inflight": [inflight(1, []), inflight(1, []), drainingRead] }),
    decisions: { "decision gateway.restart": [approve(true)] },
  },
  "drain-timeout": {
    agent: withAgent({ "gateway.inflight": inflight(1, []) }),
    decisions: { "decision gateway.restart": [approve(true)] },
  },
  "agent-offline": {
    agent: Object.fromEntries(Object.keys(healthyAgent()).map((k) => [k, "lost"])),
    decisions: { "decision gateway.restart": [approve()] },
  },
  "job-rejected": {
    agent: withAgent({ versions: { rejected: "policy_denied" } }),
    decisions: { "decision gateway.restart": [approve()] },
  },
  "acceptance-failed": {
    agent: withAgent({ "gateway.acceptance": accepted(false) }),
    decisions: { "decision gateway.restart": [approve()] },
  },
  "acceptance-rejected": {
    agent: withAgent({ "gateway.acceptance": { rejected: "agent_busy" } }),
    decisions: { "decision gateway.restart": [approve()] },
  },
  "stopped-collects-bundle": {
    agent: withAgent({ "bundle.collect": { rejected: "policy_denied" } }),
    bundles: true,
    decisions: { "decision gateway.restart": [cancel] },
  },
  "progress-edits-fail": {
    agent: healthyAgent(),
    updateFails: true,
    decisions: { "decision gateway.restart": [approve()] },
  },
  "slack-down": { agent: healthyAgent(), postFails: true, decisions: { "decision gateway.restart": [approve()] } },
};

/** Runs one path; `replay` hands back recorded step results by name instead of running them. */
async function record(
  script: PathScript,
  replay?: Map<string, unknown>,
): Promise<Recorded & { results: Map<string, unknown> }> {
  let now = T0;
  const events: unknown[] = [];
  const names: string[] = [];
  const results = new Map<string, unknown>();
  const reads = new Map<StepName, number>();
  let ts = 0;
  let n = 0;
  const confirmationIds = new Map<string, string>();
  const scrub = (v: unknown) =>
    JSON.parse(
      JSON.stringify(v).replace(/cf_[A-Za-z0-9_-]+/g, (id) => {
        if (!confirmationIds.has(id)) confirmationIds.set(id, `cf_${confirmationIds.size + 1}`);
        return confirmationIds.get(id) as string;
      }),
    );
  const transport: HostTransport = {
    isOnline: async () => true,
    dispatch: async (_host: string, job: JobSpec): Promise<JobOutcome> => {
      now += 1_000;
      events.push({
        job: job.jobId,
        steps: scrub(job.steps.map((s: StepRequest) => s.step)),
        deadlineMs: job.deadlineMs,
      });
      const out: StepResult[] = [];
      for (const s of job.steps) {
        const answer = script.agent?.[s.step];
        if (answer === undefined || answer === "lost") continue;
        if (!Array.isArray(answer) && "rejected" in answer) {
          return { status: "rejected", error: { code: answer.rejected, message: `the agent refused ${s.step}` } };
        }
        const i = reads.get(s.step) ?? 0;
        reads.set(s.step, i + 1);
        const r = Array.isArray(answer) ? answer[Math.min(i, answer.length - 1)] : answer;
        if (r) out.push(r);
      }
      const lost = job.steps.some((s) => script.agent?.[s.step] === "lost");
      return lost ? { status: "lost", reason: "agent not connected", results: out } : { status: "done", results: out };
    },
  };
  const chatLog = (op: string, m: ChatMessage & { ts?: string }) =>
    events.push(
      scrub({ [op]: m.ts ?? null, channel: m.channel, threadTs: m.threadTs ?? null, text: m.text, parts: m.parts }),
    );
  const store = new InMemoryStore();
  await store.insertHost({
    name: HOST,
    publicKey: "pk",
    enrolledAt: T0 - 1,
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: T0 - 1,
  });
  const recoveryStore = new InMemoryRecoveryStore();
  if (script.ownFreeze) {
    await recoveryStore.putFreeze({
      target: HOST,
      owner: OWNER,
      reason: "looking into it",
      source: "slack",
      createdAt: T0 - 60_000,
      expiresAt: T0 + 30 * 60_000,
      channel: CHANNEL,
      notices: [{ channel: CHANNEL, threadTs: "ts-earlier" }],
    });
  }
  const deps: CoreDeps = {
    store,
    transport,
    chat: {
      postMessage: async (m) => {
        chatLog("post", m);
        if (script.postFails) throw new Error("slack: ratelimited");
        const posted = `ts-${++ts}`;
        events.push({ posted });
        return { ts: posted };
      },
      updateMessage: async (m) => {
        chatLog("update", m);
        if (script.updateFails) throw new Error("slack: message_not_found");
      },
    },
    clock: { now: () => now },
    ids: { id: (p) => `${p}_${++n}` },
    logger: {
      info: (msg, f) => events.push(scrub({ log: "info", msg, ...f })),
      warn: (msg, f) => events.push(scrub({ log: "warn", msg, ...f })),
      error: (msg, f) => events.push(scrub({ log: "error", msg, ...f })),
    },
    jobs: new InProcessJobs(HOST_JOB_KINDS),
    recovery: {
      store: recoveryStore,
      authz: new Authorizer(),
      announceChannels: ["C0ANNOUNCE"],
      decisions: { wait: async () => timeout, resolve: () => {} },
      drainPollMs: 15_000,
    },
    bundles: script.bundles
      ? capabilityOn({
          blobs: new MemoryBlobStore(),
          signer: new HmacLinkSigner("test-link-secret-0123456789abcdef"),
          publicUrl: "http://127.0.0.1:9",
          retentionMs: 3_600_000,
          linkTtlMs: 600_000,
          tickets: {},
        })
      : capabilityOff("not in this path"),
  } satisfies CoreDeps;
  const decisions = new Map(Object.entries(script.decisions ?? {}).map(([k, v]) => [k, [...v]]));
  const seen = new Set<string>();
  const named = (kind: string, name: string) => {
    // A Workflow step name must be unique within the run: a repeat would replay the first.
    if (seen.has(name)) throw new Error(`step name used twice: ${name}`);
    seen.add(name);
    names.push(`${kind} ${name}`);
    events.push({ [kind]: name });
  };
  const fx: RunSteps = {
    do: async <T>(name: string, fn: () => Promise<T>) => {
      named("do", name);
      if (replay?.has(name)) {
        const got = replay.get(name) as { value: T } | { error: string };
        if ("error" in got) throw new Error(got.error);
        return got.value;
      }
      try {
        const value = await fn();
        results.set(name, { value });
        return value;
      } catch (err) {
        results.set(name, { error: err instanceof Error ? err.message : String(err) });
        throw err;
      }
    },
    decision: async (name, id, timeoutMs) => {
      named("decision", name);
      events.push(scrub({ waitsFor: id, timeoutMs }));
      if (replay?.has(name)) return replay.get(name) as Decision;
      const d = decisions.get(name)?.shift() ?? timeout;
      results.set(name, d);
      return d;
    },
    sleep: async (name, ms) => {
      named("sleep", name);
      events.push({ ms });
      if (replay?.has(name)) return;
      now += ms;
      results.set(name, null);
    },
  };
  let outcome = "finished";
  try {
    await runRecover(
      deps,
      { host: HOST, actor: { user: OWNER, channel: CHANNEL, source: "slack" }, runId: "rec_1" },
      fx,
    );
  } catch (err) {
    outcome = `threw: ${err instanceof Error ? err.message : String(err)}`;
  }
  const audit = await recoveryStore.listAudit({ order: "asc", limit: 1000 });
  events.push({ audit: audit.map((a) => `${a.action} ${a.outcome} ${a.actor} ${a.ref ?? "-"}: ${a.detail}`) });
  events.push({ freezes: (await recoveryStore.listFreezes()).map((f) => `${f.target} by ${f.owner}: ${f.reason}`) });
  return { events, names, outcome, results };
}

const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

describe("recover runbook: every path's step names and side effects", () => {
  it.each(Object.keys(PATHS))("%s", async (path) => {
    const script = PATHS[path] as PathScript;
    const run = await record(script);
    // The names alone, in their own file: the one thing a running Workflow instance depends on.
    await expect(pretty({ outcome: run.outcome, names: run.names })).toMatchFileSnapshot(
      `golden/recover-paths/${path}.names.golden.json`,
    );
    await expect(pretty(run.events)).toMatchFileSnapshot(`golden/recover-paths/${path}.events.golden.json`);

    // Replayed from its record (a Workflow resuming after the last step): the same names, and
    // not one side effect again.
    const again = await record(script, run.results);
    expect(again.names).toEqual(run.names);
    expect(again.outcome).toBe(run.outcome);
    expect(
      again.events.filter((e) => typeof e === "object" && e && ("post" in e || "update" in e || "job" in e)),
    ).toEqual([]);
  });
});
