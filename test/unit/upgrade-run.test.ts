import { describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import { generateApprovalKey, verifyApproval } from "../../src/contract/approval.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../../src/core/ports/transport.ts";
import { handleButtonPress } from "../../src/core/recover/press.ts";
import { recoverRuns } from "../../src/core/recover/runs.ts";
import { noteInterruptedUpgrades } from "../../src/core/upgrade/interrupted.ts";
import { runFreezeReason } from "../../src/core/upgrade/run.ts";
import { gatewayDownData, healthyData, toResults, triageResults } from "../support/evidence.ts";
import { memoryRecovery } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { RecordingChat, testDeps } from "../support/test-deps.ts";

/**
 * `/openclaw upgrade <hosts> to <version>` without `--dry-run` (issue 42, item 1): the run's
 * order and its stops, against agents scripted per host (what they run changes with each
 * approved `gateway.switch`, as a real agent's does). The real gateway is
 * test/gateway/upgrade-gateway.test.ts.
 */
const NOW = Date.UTC(2026, 10, 26, 12);
const ME = "U0ME";

type Agent = {
  on: string;
  /** The target does not start. */
  broken?: boolean;
  /** The acceptance fails on this version (it starts, but read and write are refused). */
  refusesAcceptance?: string;
  approvals: string[];
  switches: { version: string; install: boolean }[];
};

/** Agents that answer like ours: triage, versions, acceptance, and the switch (a `broken` target does not start). */
class ScriptedAgents implements HostTransport {
  readonly agents = new Map<string, Agent>();
  readonly jobs: { host: string; job: JobSpec }[] = [];
  add(name: string, a: Partial<Agent> = {}): this {
    this.agents.set(name, { on: "2026.9.5", approvals: [], switches: [], ...a });
    return this;
  }
  async isOnline(host: string) {
    return this.agents.has(host);
  }
  async dispatch(host: string, job: JobSpec): Promise<JobOutcome> {
    this.jobs.push({ host, job });
    const a = this.agents.get(host) as Agent;
    const down = a.refusesAcceptance === a.on;
    const d = down ? gatewayDownData() : healthyData();
    d.versions = { ...d.versions, openclaw: a.on };
    const all = [...toResults(d), ...triageResults(d)];
    const results: StepResult[] = [];
    for (const s of job.steps) {
      if (s.step === "gateway.switch") {
        const from = a.on;
        a.approvals.push(s.args.approval);
        a.switches.push({ version: s.args.version, install: s.args.install });
        // Like the agent: a version that does not come up is switched straight back and restarted.
        const failed = a.broken && s.args.version === "2026.9.6";
        if (!failed) a.on = s.args.version;
        const restart = { performed: true, supervisor: "systemd" as const, oldPid: 10, newPid: failed ? null : 11 };
        results.push({
          step: "gateway.switch",
          status: "ok",
          durationMs: 20_000,
          data: {
            performed: !failed,
            approver: ME,
            from,
            to: s.args.version,
            switched: !failed,
            install: { ran: s.args.install },
            restart: failed
              ? { ...restart, error: "`systemctl --user restart openclaw-gateway.service` exited 1" }
              : restart,
            ...(failed
              ? {
                  reverted: { to: from, restart: { ...restart, oldPid: null, newPid: 12 } },
                  error: "the restart on 2026.9.6: `systemctl --user restart openclaw-gateway.service` exited 1",
                }
              : {}),
          },
        });
      } else if (s.step === "gateway.acceptance") {
        const ok = !down;
        const check = (method: string) => ({ method, ok, ms: 5 });
        results.push({
          step: "gateway.acceptance",
          status: "ok",
          durationMs: 50,
          data: { reachable: ok, read: check("status"), write: check("sessions.create"), cleanup: null, passed: ok },
        });
      } else {
        const r = all.find((x) => x.step === s.step);
        if (r) results.push(r);
      }
    }
    return { status: "done", results };
  }
}

const host = (name: string, tags: string[] = []): HostRecord => ({
  name,
  publicKey: `k-${name}`,
  enrolledAt: NOW - 86_400_000,
  revokedAt: null,
  agentVersion: "0.1.0",
  gatewayVersion: "2026.9.5",
  lastSeenAt: NOW,
  tags,
});

async function fleet(agents: ScriptedAgents, o: { workers?: boolean } = {}) {
  const store = new InMemoryStore();
  for (const name of agents.agents.keys()) await store.insertHost(host(name, name === "node-1" ? ["canary"] : []));
  const { pair } = await generateApprovalKey();
  const rule = { users: [ME], userGroups: [], channels: [] };
  const recovery = memoryRecovery({
    approvalKey: pair,
    authz: new Authorizer({
      incidentLeads: { users: [], userGroups: [], channels: [] },
      actions: { upgrade: rule, freeze: rule },
    }),
    ...(o.workers ? { runs: {} as never } : {}),
  });
  const chat = new RecordingChat();
  const deps = testDeps({ store, transport: agents, chat, recovery, clock: { now: () => Date.now() } });
  return { deps, chat, pair };
}

type Deps = Awaited<ReturnType<typeof fleet>>["deps"];
const ask = (deps: Deps, text: string) =>
  handleCommand(deps, { text, user: ME, channel: "C1", requestKey: `r-${text}`, source: "console" });

/** Runs the command's later part, pressing Approve on every switch confirmation it posts (or `decide`'s choice). */
async function runPressing(deps: Deps, chat: RecordingChat, text: string, decide: "approve" | "cancel" = "approve") {
  const reply = await ask(deps, text);
  expect(reply.error).toBeUndefined();
  let done = false;
  const finished = (reply.later?.() ?? Promise.resolve()).finally(() => {
    done = true;
  });
  const pressed = new Set<string>();
  while (!done) {
    for (const id of JSON.stringify(chat.posted).match(/cf_[A-Za-z0-9_-]+/g) ?? []) {
      if (pressed.has(id)) continue;
      pressed.add(id);
      const out = await handleButtonPress(deps, {
        confirmationId: id,
        decision: decide,
        actor: { user: ME, channel: "C1", source: "console" },
      });
      expect(out.ok).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await finished;
  const tables = [...chat.posted, ...chat.updated].filter((m) => /^Upgrad/.test(m.text));
  return messageToText(tables.at(-1) as never);
}

describe("/openclaw upgrade … (the run)", () => {
  it("canary first, then the rest; each switch approved, signed for its host and step; freezes lifted; every step audited", async () => {
    const agents = new ScriptedAgents().add("node-1").add("node-2");
    const { deps, chat, pair } = await fleet(agents);
    const table = await runPressing(deps, chat, "upgrade all to 2026.9.6");
    expect(table).toMatch(/^Upgrade run upg_\S+\n━+\nUpgrade to 2026\.9\.6 done: 2 upgraded, 0 rolled back, 0 failed/);
    expect(table).toContain("✅ node-1 wave 1 · 2026.9.5 → 2026.9.6 · on 2026.9.6 · upgraded");
    expect(table).toContain("✅ node-2 wave 2 · 2026.9.5 → 2026.9.6 · on 2026.9.6 · upgraded");
    // The canary's switch came before anything was switched on node-2.
    const switches = agents.jobs.filter((j) => j.job.steps.some((s) => s.step === "gateway.switch")).map((j) => j.host);
    expect(switches).toEqual(["node-1", "node-2"]);
    for (const [name, a] of agents.agents) {
      expect(a.switches).toEqual([{ version: "2026.9.6", install: true }]);
      const check = await verifyApproval(a.approvals[0] as string, {
        publicKey: pair.publicKey,
        host: name,
        step: "gateway.switch",
        now: Date.now(),
        seenNonce: () => false,
      });
      expect(check).toMatchObject({ ok: true, claims: { approver: ME, host: name } });
    }
    expect(await deps.recovery.store.listFreezes()).toEqual([]);
    const actions = (await deps.recovery.store.listAudit({ host: "node-1" })).map((e) => e.action);
    for (const a of ["freeze", "approval", "upgrade.switch", "upgrade.acceptance", "upgrade.compare", "unfreeze"])
      expect(actions).toContain(a);
  });

  it("a canary whose target cannot start is switched straight back by its agent; the run stops before node-2", async () => {
    const agents = new ScriptedAgents().add("node-1", { broken: true }).add("node-2");
    const { deps, chat } = await fleet(agents);
    const table = await runPressing(deps, chat, "upgrade all to 2026.9.6");
    expect(table).toMatch(/Upgrade to 2026\.9\.6 stopped: 0 upgraded, 1 rolled back/);
    expect(table).toContain(
      "↩️ node-1 wave 1 · 2026.9.5 → 2026.9.6 · on 2026.9.5 · rolled-back: 2026.9.6 did not start",
    );
    expect(table).toContain("▫️ node-2 wave 2 · 2026.9.5 → 2026.9.6 · on 2026.9.5 · not-reached");
    expect(table).toContain("Stopped at node-1");
    expect(agents.agents.get("node-1")?.switches).toEqual([{ version: "2026.9.6", install: true }]);
    expect(agents.jobs.filter((j) => j.host === "node-2")).toEqual(
      agents.jobs.filter((j) => j.host === "node-2" && j.job.jobId.startsWith("preflight")),
    );
    expect(await deps.recovery.store.listFreezes()).toEqual([]);
  });

  it("a failed acceptance on the target rolls back with the press's second approval; the run stops", async () => {
    const agents = new ScriptedAgents().add("node-1", { refusesAcceptance: "2026.9.6" }).add("node-2");
    const { deps, chat } = await fleet(agents);
    const table = await runPressing(deps, chat, "upgrade all to 2026.9.6");
    expect(table).toContain("↩️ node-1 wave 1 · 2026.9.5 → 2026.9.6 · on 2026.9.5 · rolled-back: the acceptance failed");
    const a = agents.agents.get("node-1") as Agent;
    expect(a.switches).toEqual([
      { version: "2026.9.6", install: true },
      { version: "2026.9.5", install: false },
    ]);
    // Two approvals from one press, each good once.
    expect(new Set(a.approvals).size).toBe(2);
    expect(agents.agents.get("node-2")?.switches).toEqual([]);
    const audit = await deps.recovery.store.listAudit({ host: "node-1" });
    expect(audit.find((e) => e.action === "upgrade.rollback")).toMatchObject({ outcome: "ok" });
  });

  it("a rollback after a switch that outlasted the press's approvals (a slow install) needs no second press: signed then, on the press's authority", async () => {
    const agents = new ScriptedAgents().add("node-1", { refusesAcceptance: "2026.9.6" });
    const { deps, chat, pair } = await fleet(agents);
    // The control plane's clock: 11 minutes pass during the install (the approvals live 10).
    let skew = 0;
    const clocked = { ...deps, clock: { now: () => Date.now() + skew } };
    const real = agents.dispatch.bind(agents);
    agents.dispatch = async (host, job) => {
      const out = await real(host, job);
      if (job.steps.some((s) => s.step === "gateway.switch" && s.args.install)) skew += 11 * 60_000;
      return out;
    };
    const table = await runPressing(clocked, chat, "upgrade node-1 to 2026.9.6");
    expect(table).toContain("rolled-back: the acceptance failed");
    const [switchApproval, rollback] = (agents.agents.get("node-1") as Agent).approvals;
    const verify = (token: string | undefined, now: number) =>
      verifyApproval(token as string, {
        publicKey: pair.publicKey,
        host: "node-1",
        step: "gateway.switch",
        now,
        seenNonce: () => false,
      });
    const then = Date.now() + skew;
    // The press's own approval has expired by then; the rollback's is good, for the presser.
    expect(await verify(switchApproval, then)).toMatchObject({ ok: false });
    expect(await verify(rollback, then)).toMatchObject({ ok: true, claims: { approver: ME, host: "node-1" } });
    expect(agents.agents.get("node-1")?.on).toBe("2026.9.5");
  });

  it("a cancelled switch changes nothing and stops the run", async () => {
    const agents = new ScriptedAgents().add("node-1").add("node-2");
    const { deps, chat } = await fleet(agents);
    const table = await runPressing(deps, chat, "upgrade all to 2026.9.6", "cancel");
    expect(table).toMatch(/stopped: 0 upgraded/);
    expect(table).toContain("🚫 node-1 wave 1");
    expect(agents.agents.get("node-1")?.switches).toEqual([]);
    expect(agents.agents.get("node-2")?.switches).toEqual([]);
  });

  it("a host frozen by someone else is refused before anything runs", async () => {
    const agents = new ScriptedAgents().add("node-1").add("node-2");
    const { deps, chat } = await fleet(agents);
    await deps.recovery.store.putFreeze({
      target: "node-2",
      owner: "U0OTHER",
      reason: "investigating slow replies",
      source: "slack",
      createdAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
      channel: "C1",
      notices: [],
    });
    const reply = await ask(deps, "upgrade all to 2026.9.6");
    expect(reply.error?.code).toBe("host_frozen");
    expect(messageToText(reply.ack)).toContain("node-2 is frozen by U0OTHER (investigating slow replies)");
    expect(reply.later).toBeUndefined();
    expect(agents.jobs).toEqual([]);
    expect(chat.posted).toEqual([]);
  });

  it("a version clawops does not know, and the Workers runtime, are refused before anything runs", async () => {
    const agents = new ScriptedAgents().add("node-1");
    const { deps } = await fleet(agents);
    expect((await ask(deps, "upgrade all to 2026.9.77")).error?.code).toBe("unknown_release");
    const workers = await fleet(agents, { workers: true });
    const reply = await ask(workers.deps, "upgrade all to 2026.9.6");
    expect(reply.error?.code).toBe("not_implemented");
    expect(messageToText(reply.ack)).toContain("Upgrade runs need the Node control plane");
    expect(agents.jobs).toEqual([]);
  });

  it("a run a control-plane restart ended: its host said once in the channel, audited, left frozen; a live run's host is not", async () => {
    const agents = new ScriptedAgents().add("node-1").add("node-2");
    const { deps, chat } = await fleet(agents);
    const freeze = (host: string, runId: string) =>
      deps.recovery.store.putFreeze({
        target: host,
        owner: ME,
        reason: runFreezeReason(runId, "2026.9.6"),
        source: "console",
        createdAt: Date.now(),
        expiresAt: Date.now() + 3_600_000,
        channel: "C1",
        notices: [],
      });
    await freeze("node-1", "upg_dead");
    await freeze("node-2", "upg_live");
    expect(await recoverRuns(deps).claim("node-2", "upg_live")).toBeNull();
    expect(await noteInterruptedUpgrades(deps)).toEqual(["node-1"]);
    expect(messageToText(chat.posted[0] as never)).toContain(
      "Upgrade run upg_dead stopped: the control plane restarted while it upgraded node-1 to OpenClaw 2026.9.6",
    );
    expect((await deps.recovery.store.getFreeze("node-1"))?.reason).toBe(
      "upgrade run upg_dead to OpenClaw 2026.9.6, interrupted by a control-plane restart",
    );
    const audit = await deps.recovery.store.listAudit({ host: "node-1" });
    expect(audit.at(-1)).toMatchObject({ action: "upgrade.run", outcome: "error", ref: "upg_dead" });
    // Said once; and node-2's run is alive in this process.
    expect(await noteInterruptedUpgrades(deps)).toEqual([]);
    expect(chat.posted).toHaveLength(1);
  });
});
