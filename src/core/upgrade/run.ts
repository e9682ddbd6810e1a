import { signApproval } from "../../contract/approval.ts";
import {
  DEFAULT_STEP_DEADLINE_MS,
  type StepRequest,
  type StepResult,
  slowestDeadlineMs,
  TRIAGE_STEP_NAMES,
  TRIAGE_STEPS,
} from "../../contract/catalog.ts";
import { randomToken } from "../../contract/encoding.ts";
import { audit } from "../audit/audit.ts";
import type { Actor } from "../authz/authz.ts";
import { LiveMessage } from "../chat/live-message.ts";
import { classifyResults } from "../classify/classify.ts";
import {
  APPROVAL_TTL_MS,
  CONFIRMATION_TTL_MS,
  newConfirmationId,
  requestConfirmation,
} from "../confirmations/confirm.ts";
import { announceFreeze, freezesCovering } from "../freezes/freezes.ts";
import { iso, mention } from "../messages/format.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { AuditOutcome, FreezeRecord } from "../ports/recovery.ts";
import type { UpgradePlan } from "./plan.ts";
import { type HostRunRow, renderUpgradeRun, type UpgradeRunView } from "./run-render.ts";

/**
 * The upgrade run without `--dry-run` (issue 42, item 1): the plan's waves, one host at a time,
 * each host: frozen, a triage for the baseline, the switch confirmed in the run's thread (one
 * press approves the switch and, should it fail, the switch back), `gateway.switch` on the agent
 * (install side by side, atomic swap of `current`, restart under the supervisor), the runbook's
 * acceptance (one read, one write), the version the gateway reports and a triage compared with the
 * baseline. A failed acceptance, another version or a failing finding the baseline did not have
 * rolls the host back to the version it came from and stops the run: later hosts are not touched.
 * Every step is audited (`upgrade.*`, ref the run id) and shown in the run's live table.
 */
export interface UpgradeRunInput {
  runId: string;
  actor: Actor;
  plan: UpgradePlan;
}

const FREEZE_MS = 60 * 60_000;

/** The reason of the freeze a run places; interrupted.ts finds the runs a restart ended by it. */
export function runFreezeReason(runId: string, target: string): string {
  return `upgrade run ${runId} to OpenClaw ${target}`;
}
const TRIAGE_DEADLINE_MS = slowestDeadlineMs(TRIAGE_STEPS) + 5_000;

type HostEnd = { ok: true } | { ok: false; why: string };

export async function runUpgrade(deps: CoreDeps, input: UpgradeRunInput): Promise<UpgradeRunView> {
  const { plan, runId, actor } = input;
  const now = deps.clock.now();
  const rows: HostRunRow[] = [];
  plan.waves.forEach((wave, i) => {
    for (const host of wave) {
      const p = plan.hosts.find((h) => h.host === host);
      rows.push({ host, wave: i + 1, from: p?.from ?? null, on: p?.from ?? null, state: "waiting", detail: "" });
    }
  });
  for (const p of plan.hosts.filter((h) => h.verdict !== "ready"))
    rows.push({
      host: p.host,
      wave: 0,
      from: p.from,
      on: p.from,
      state: p.verdict === "current" ? "not-reached" : "blocked",
      detail:
        p.verdict === "current"
          ? "already on the target"
          : p.checks
              .filter((c) => c.state === "blocked")
              .map((c) => c.text)
              .join("; "),
    });
  const view: UpgradeRunView = {
    runId,
    target: plan.target.version,
    actor: actor.user,
    startedAt: now,
    rows,
    phase: "running",
    at: now,
  };
  const live = new LiveMessage(deps.chat, { channel: actor.channel });
  const show = async () => {
    view.at = deps.clock.now();
    await live
      .show(renderUpgradeRun(view))
      .catch((err) => deps.logger.warn("upgrade table not updated", { err: String(err) }));
  };
  await show();
  const threadTs = live.ts;
  const run: RunCtx = { deps, input, view, threadTs, show };
  await runAudit(
    run,
    null,
    "upgrade.run",
    "ok",
    `started: ${plan.waves.flat().length} host(s) to ${view.target} in ${plan.waves.length} wave(s)`,
  );
  for (const row of rows.filter((r) => r.state === "blocked"))
    await runAudit(run, row.host, "upgrade.host", "refused", `blocked by the pre-flight: ${row.detail}`.slice(0, 500));
  for (const row of rows.filter((r) => r.wave > 0)) {
    if (view.phase !== "running") {
      row.state = "not-reached";
      row.detail = "the run stopped before this host";
      continue;
    }
    const end = await upgradeHost(run, row).catch((err: unknown): HostEnd => {
      row.state = "failed";
      row.detail = String(err instanceof Error ? err.message : err).slice(0, 300);
      return { ok: false, why: `${row.host}: ${row.detail}` };
    });
    if (!end.ok) {
      view.phase = "stopped";
      view.why = `Stopped at ${row.host}: ${end.why} Later hosts were not touched.`;
    }
    await show();
  }
  if (view.phase === "running") view.phase = "done";
  // A freeze the run keeps (a host left for a person) no longer reads as a run in progress, which
  // a restart would report as interrupted (interrupted.ts).
  const placed = runFreezeReason(runId, view.target);
  for (const row of rows) {
    const f = await deps.recovery.store.getFreeze(row.host);
    if (f?.reason === placed)
      await deps.recovery.store.putFreeze({ ...f, reason: `${placed}, stopped at this host: a person looks first` });
  }
  await show();
  await runAudit(
    run,
    null,
    "upgrade.run",
    view.phase === "done" ? "ok" : "error",
    `${view.phase}: ${rows.map((r) => `${r.host} ${r.state} on ${r.on ?? "?"}`).join(", ")}`.slice(0, 500),
  );
  return view;
}

interface RunCtx {
  deps: CoreDeps;
  input: UpgradeRunInput;
  view: UpgradeRunView;
  threadTs: string | null;
  show: () => Promise<void>;
}

async function upgradeHost(run: RunCtx, row: HostRunRow): Promise<HostEnd> {
  const { deps, input, view } = run;
  const host = row.host;
  const target = view.target;
  const step = async (state: HostRunRow["state"], detail: string) => {
    row.state = state;
    row.detail = detail;
    await run.show();
  };
  await step("checking", "freezing, then a triage for the baseline");
  const freeze = await freezeFor(run, host);
  if ("refused" in freeze) {
    await step("blocked", freeze.refused);
    await runAudit(run, host, "upgrade.host", "refused", freeze.refused);
    return { ok: false, why: freeze.refused };
  }
  // A thrown error (an agent gone mid-step) ends here with the host still frozen: what it runs is
  // not known, and a person looks before anyone else acts.
  {
    const before = await triage(run, host, "before");
    const from = before.version ?? row.from;
    row.from = from;
    row.on = from;
    if (!from) {
      await step("failed", "the current OpenClaw version could not be read: nothing to roll back to");
      return { ok: false, why: "its current version could not be read." };
    }
    const id = newConfirmationId();
    await requestConfirmation(deps, {
      id,
      host,
      step: "gateway.switch",
      job: input.runId,
      requestedBy: input.actor.user,
      channel: input.actor.channel,
      threadTs: run.threadTs,
      summary: `Upgrade OpenClaw on *${host}* from ${from} to ${target}: installed beside ${from}, \`current\` switched, the gateway restarted under its supervisor, then one read and one write call. Approving also approves switching back to ${from} if the acceptance fails or a new failing finding shows.`,
    });
    await step("asking", "waiting for the switch to be approved in this thread");
    const decision = await deps.recovery.decisions.wait(id, CONFIRMATION_TTL_MS);
    if (decision.decision !== "approve") {
      const why = decision.decision === "cancel" ? `cancelled by ${mention(decision.by)}` : "nobody approved in time";
      await step("cancelled", why);
      await runAudit(run, host, "upgrade.host", "refused", why);
      return { ok: false, why: `${why}.` };
    }
    if (
      (await freezesCovering(deps.recovery.store, host, deps.clock.now())).every((f) => f.owner !== input.actor.user)
    ) {
      await step("cancelled", "its freeze was lifted while the approval waited");
      return { ok: false, why: "its freeze was lifted." };
    }
    await step(
      "switching",
      `approved by ${mention(decision.by)}; installing ${target} beside ${from}, switching, restarting`,
    );
    const sw = await switchTo(run, host, decision.approval, target, true, "switch");
    await runAudit(run, host, "upgrade.switch", sw.ok ? "ok" : "error", `${from} → ${target}: ${sw.text}`, decision.by);
    if (!sw.ok && sw.reverted === null) {
      await step("failed", `nothing was switched: ${sw.text}`);
      return { ok: false, why: sw.text };
    }
    if (!sw.ok) {
      // The target did not come up; the agent switched back to `from` and restarted it.
      const reason = `${target} did not start (${sw.text})`;
      return settleRolledBack(
        run,
        row,
        reason,
        from,
        sw.reverted === "ok" ? null : "its restart on the way back failed too",
      );
    }
    await step("accepting", "the acceptance (one read, one write) and a triage to compare");
    const acc = await acceptance(run, host, "after");
    await runAudit(run, host, "upgrade.acceptance", acc.passed ? "ok" : "error", acc.text);
    const after = await triage(run, host, "after");
    row.on = after.version;
    const fresh = after.failing.filter((f) => !before.failing.includes(f));
    await runAudit(
      run,
      host,
      "upgrade.compare",
      fresh.length ? "error" : "ok",
      fresh.length ? `new failing findings: ${fresh.join(", ")}` : "no new failing finding",
    );
    let reason: string | null = null;
    if (!acc.passed) reason = `the acceptance failed (${acc.text})`;
    else if (after.version !== target) reason = `the gateway reports ${after.version ?? "no version"}, not ${target}`;
    else if (fresh.length) reason = `new failing finding${fresh.length === 1 ? "" : "s"}: ${fresh.join(", ")}`;
    if (!reason) {
      await step("upgraded", `acceptance ${acc.text}; no new failing finding`);
      await lift(run, host, freeze.placed);
      return { ok: true };
    }
    await step("rolling-back", `${reason}; switching back to ${from}`);
    const rollback = await rollbackApproval(run, host, decision.by, decision.rollback);
    const back = rollback
      ? await switchTo(run, host, rollback, from, false, "rollback")
      : { ok: false, reverted: null, text: "no rollback approval came with the press" };
    await runAudit(run, host, "upgrade.rollback", back.ok ? "ok" : "error", `→ ${from}: ${back.text}`, decision.by);
    if (!back.ok) {
      // A previous version may refuse the state the target migrated (OpenClaw 2026.9.5 on 2026.9.6's
      // schema 18): the agent then put the target back, which serves; a person decides from here.
      row.on = (await versionOf(run, host)) ?? null;
      const where = back.reverted === "ok" ? `the agent put ${target} back and it serves` : "the gateway may be down";
      await step("failed", `${reason}; the rollback to ${from} failed: ${back.text}; ${where}. The host stays frozen`);
      return {
        ok: false,
        why: `${reason}, and the rollback to ${from} failed (${back.text}); ${where}. The host stays frozen for a person.`,
      };
    }
    const putBack = back.text.includes("was put back")
      ? "the state from before the switch put back (what was written since is set aside as `*.clawops-newer`)"
      : null;
    return settleRolledBack(run, row, putBack ? `${reason}; ${putBack}` : reason, from, null);
  }
}

/**
 * The approval the automatic rollback carries. The press approved the switch and, in the same
 * words, the switch back; its second approval was signed then and lives 10 minutes (the most an
 * approval may, contract/approval.ts). An install on a slow link (up to 5 minutes), the restart,
 * the acceptance and the triage can outlast that, and a rollback must never wait for a second
 * press while the host serves a failing version: so the switch back is signed now, on that
 * press's authority (its approver, this host, `gateway.switch`, this run), living APPROVAL_TTL_MS,
 * enough to reach the agent. Without a signing key (it cannot be: start.ts refuses a run
 * without one), the press's own.
 */
async function rollbackApproval(
  run: RunCtx,
  host: string,
  approver: string,
  pressed: string | undefined,
): Promise<string | undefined> {
  const key = run.deps.recovery.approvalKey;
  if (!key) return pressed;
  const now = run.deps.clock.now();
  return signApproval(key, {
    v: 1,
    host,
    step: "gateway.switch",
    approver,
    job: run.input.runId,
    nonce: randomToken(18),
    iat: now,
    exp: now + APPROVAL_TTL_MS,
  });
}

/** After a switch back to `from` (by the agent or the rollback): the acceptance on it, the row, the freeze lifted when it serves. */
async function settleRolledBack(
  run: RunCtx,
  row: HostRunRow,
  reason: string,
  from: string,
  trouble: string | null,
): Promise<HostEnd> {
  const host = row.host;
  const acc = await acceptance(run, host, "rollback");
  row.on = (await versionOf(run, host)) ?? null;
  await runAudit(run, host, "upgrade.acceptance", acc.passed ? "ok" : "error", `back on ${row.on ?? "?"}: ${acc.text}`);
  const serving = acc.passed && row.on === from && trouble === null;
  row.state = serving ? "rolled-back" : "failed";
  row.detail = `${reason}; back on ${row.on ?? "?"}${trouble ? ` (${trouble})` : ""}, acceptance ${acc.text}${serving ? "" : ". The host stays frozen"}`;
  await run.show();
  if (serving) {
    const freeze = (await run.deps.recovery.store.getFreeze(host)) ?? null;
    if (freeze?.owner === run.input.actor.user && freeze.reason.includes(run.input.runId))
      await lift(run, host, freeze);
  }
  return {
    ok: false,
    why: `${reason}; ${serving ? `rolled back to ${from}` : `not serving as ${from}; the host stays frozen`}.`,
  };
}

/** The run's freeze on the host: its owner's own (kept), or a new one; someone else's refuses. */
async function freezeFor(run: RunCtx, host: string): Promise<{ placed: FreezeRecord | null } | { refused: string }> {
  const { deps, input } = run;
  const now = deps.clock.now();
  const covering = await freezesCovering(deps.recovery.store, host, now);
  const other = covering.find((f) => f.owner !== input.actor.user);
  if (other) return { refused: `frozen by ${other.owner} (${other.reason.slice(0, 120)}): not upgraded` };
  if (covering.some((f) => f.target === host)) return { placed: null };
  const placed: FreezeRecord = {
    target: host,
    owner: input.actor.user,
    reason: runFreezeReason(input.runId, run.view.target),
    source: input.actor.source,
    createdAt: now,
    expiresAt: now + FREEZE_MS,
    channel: input.actor.channel,
    notices: [],
  };
  await deps.recovery.store.putFreeze(placed);
  await announceFreeze(deps, placed);
  await runAudit(run, host, "freeze", "ok", placed.reason);
  return { placed };
}

async function lift(run: RunCtx, host: string, placed: FreezeRecord | null): Promise<void> {
  if (!placed) return;
  await run.deps.recovery.store.removeFreeze(host, placed.createdAt);
  await runAudit(run, host, "unfreeze", "ok", `upgrade run ${run.input.runId} done with ${host}`);
}

async function dispatch(
  run: RunCtx,
  host: string,
  suffix: string,
  steps: StepRequest[],
  deadlineMs: number,
): Promise<StepResult[]> {
  const { deps, input } = run;
  let results: StepResult[] = [];
  let rejected: string | null = null;
  await deps.jobs.inTurn(host, async () => {
    const outcome = await deps.transport.dispatch(
      host,
      { jobId: `${input.runId}-${host}-${suffix}`, steps, deadlineMs },
      () => {},
    );
    if (outcome.status === "rejected") rejected = `${outcome.error.code}: ${outcome.error.message}`;
    else results = outcome.results;
  });
  if (rejected) throw new Error(`the agent refused the job: ${rejected}`);
  return results;
}

async function triage(run: RunCtx, host: string, when: string): Promise<{ version: string | null; failing: string[] }> {
  const results = await dispatch(run, host, `triage-${when}`, TRIAGE_STEPS, TRIAGE_DEADLINE_MS);
  const c12n = classifyResults(results, TRIAGE_STEP_NAMES);
  const v = results.find((r) => r.step === "versions");
  const version = v?.step === "versions" ? (v.data?.openclaw ?? null) : null;
  return { version, failing: c12n.findings.filter((f) => f.severity === "fail").map((f) => f.id) };
}

async function versionOf(run: RunCtx, host: string): Promise<string | null> {
  const [v] = await dispatch(run, host, "version", [{ step: "versions", args: {} }], 20_000);
  return v?.step === "versions" ? (v.data?.openclaw ?? null) : null;
}

async function acceptance(run: RunCtx, host: string, when: string): Promise<{ passed: boolean; text: string }> {
  const [r] = await dispatch(run, host, `acceptance-${when}`, [{ step: "gateway.acceptance", args: {} }], 20_000);
  const a = r?.step === "gateway.acceptance" ? r.data : undefined;
  if (!a) return { passed: false, text: r?.error?.message ?? "no answer" };
  const text = `read \`${a.read?.method ?? "status"}\` ${a.read?.ok ? "ok" : "failed"}, write \`${a.write?.method ?? "sessions.create"}\` ${a.write?.ok ? "ok" : "failed"}${a.error ? ` (${a.error.slice(0, 200)})` : ""}`;
  return { passed: a.passed, text };
}

async function switchTo(
  run: RunCtx,
  host: string,
  approval: string,
  version: string,
  install: boolean,
  suffix: string,
): Promise<{ ok: boolean; reverted: "ok" | "failed" | null; text: string }> {
  const [r] = await dispatch(
    run,
    host,
    suffix,
    [{ step: "gateway.switch", args: { approval, version, install } }],
    DEFAULT_STEP_DEADLINE_MS["gateway.switch"] + 5_000,
  );
  const d = r?.step === "gateway.switch" ? r.data : undefined;
  if (!d) return { ok: false, reverted: null, text: r?.error?.message ?? "no answer from the agent" };
  if (d.refused) return { ok: false, reverted: null, text: `refused: ${d.refused}` };
  const installed = d.install?.ran ? `installed in ${Math.round((d.install.ms ?? 0) / 1000)} s, ` : "";
  const back = d.reverted ? (d.reverted.restart.performed && !d.reverted.restart.error ? "ok" : "failed") : null;
  if (d.error) return { ok: false, reverted: back, text: `${installed}${d.error}` };
  const rs = d.restart;
  const backedUp = d.stateBackup ? `state backed up (${d.stateBackup.databases} database(s)), ` : "";
  const plugins = d.plugins?.moved.length
    ? `official plugins ${d.plugins.putBack ? "put back" : "moved in lockstep"}: ${d.plugins.moved
        .slice(0, 6)
        .map((m) => `${m.name} ${m.from ?? "?"} → ${m.to}`)
        .join(", ")}${d.plugins.moved.length > 6 ? ` +${d.plugins.moved.length - 6} more` : ""}, `
    : "";
  const restored = d.stateRestored
    ? `; it refused the state the newer version left, so the state from before the switch (${iso(d.stateRestored.takenAt)}, ${d.stateRestored.databases} database(s)${d.stateRestored.config ? " and openclaw.json" : ""}) was put back with the gateway stopped: what was written since is not in use, kept beside each file as \`*.clawops-newer\``
    : "";
  return {
    ok: d.performed,
    reverted: null,
    text: `${installed}${backedUp}${plugins}\`current\` → ${version}, ${rs?.supervisor ?? "?"} restart: pid ${rs?.oldPid ?? "?"} → ${rs?.newPid ?? "?"}${restored}`,
  };
}

async function runAudit(
  run: RunCtx,
  host: string | null,
  action: string,
  outcome: AuditOutcome,
  detail: string,
  actor = run.input.actor.user,
): Promise<void> {
  await audit(run.deps, {
    at: run.deps.clock.now(),
    actor,
    source: run.input.actor.source,
    action,
    host,
    outcome,
    detail: detail.slice(0, 500),
    ref: run.input.runId,
  });
}
