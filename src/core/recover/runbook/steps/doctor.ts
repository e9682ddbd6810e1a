import type { StepResultOf } from "../../../../contract/catalog.ts";
import { DEFAULT_STEP_DEADLINE_MS } from "../../../../contract/catalog.ts";
import { CONFIRMATION_TTL_MS } from "../../../confirmations/confirm.ts";
import { clip, escapeMrkdwn } from "../../../messages/build.ts";
import { mention } from "../../../messages/format.ts";
import type { RunbookContext, StepHandle } from "../context.ts";
import { freezeLostWhy, runFreeze } from "../freeze-state.ts";
import type { RunbookStep } from "../step.ts";
import { findingTitles, snapshotOf } from "./snapshot.ts";

type LintFinding = NonNullable<NonNullable<StepResultOf<"doctor.lint">["data"]>["findings"]>[number];
type FixData = NonNullable<StepResultOf<"doctor.fix">["data"]>;

/**
 * 4. Doctor / config validate: the config layer and `doctor --lint` from the snapshot. Lint
 * errors offer `doctor --repair`, a mutating step (a confirmation, an approval, the agent's
 * policy); whatever comes of it, the run goes on to the restart, unless the freeze it needs was
 * lifted while it waited.
 */
export const checkDoctor: RunbookStep = async (ctx, at) => {
  const { results, c12n } = snapshotOf(ctx);
  const cfg = c12n.matrix.config.status;
  const titles = findingTitles(c12n, ["config"]);
  const cfgDetail = `config ${cfg}${titles ? ` · ${titles}` : ""}`;
  const lint = results.find((r): r is StepResultOf<"doctor.lint"> => r.step === "doctor.lint");
  const lintErrors = (lint?.data?.findings ?? []).filter((f) => f.severity === "error");
  if (lintErrors.length === 0) {
    await at.set(cfg === "fail" ? "warn" : "ok", cfgDetail);
    return "next";
  }
  await at.set("running", `doctor --lint: ${lintErrors.length} error(s); waiting for confirmation of doctor --repair`);
  const askId = await ctx.ask("doctor.fix", repairSummary(ctx.host, lintErrors));
  const decision = await ctx.fx.decision("decision doctor.fix", askId, CONFIRMATION_TTL_MS);
  if (decision.decision === "timeout") await ctx.expireAsk("doctor.fix", askId);
  if (decision.decision !== "approve") {
    // Without its freeze the run stops here rather than ask for a restart it could not make.
    const held = await runFreeze(ctx, "freeze after doctor.fix's answer");
    if (held.kind !== "held")
      return { fail: "its freeze was lifted", why: freezeLostWhy(held, ctx.host, "`doctor --repair`") };
    const why = decision.decision === "cancel" ? `cancelled by ${mention(decision.by)}` : "no confirmation in time";
    await at.set("warn", `${cfgDetail} · doctor --repair skipped (${why})`);
    return "next";
  }
  // `doctor --repair` needs the freeze too; a run whose freeze went stops here (issue 33, item 5).
  const freeze = await runFreeze(ctx, "freeze before doctor.fix");
  if (freeze.kind !== "held")
    return { fail: "its freeze was lifted", why: freezeLostWhy(freeze, ctx.host, "`doctor --repair`") };
  await runRepair(ctx, at, decision);
  return "next";
};

function repairSummary(host: string, lintErrors: LintFinding[]): string {
  const listed = lintErrors
    .slice(0, 3)
    .map((f) => `\`${escapeMrkdwn(f.checkId)}\` ${escapeMrkdwn(clip(f.message, 160))}`)
    .join("; ");
  return `\`openclaw doctor --lint\` reports ${lintErrors.length} error(s): ${listed}.\nApprove runs \`openclaw doctor --repair --non-interactive\` on ${host} (it rewrites the config and keeps \`openclaw.json.bak\`). Cancel skips it; the run goes on to the restart either way.`;
}

async function runRepair(ctx: RunbookContext, at: StepHandle, decision: { by: string; approval: string }) {
  await at.set("running", `approved by ${mention(decision.by)}; running doctor --repair`);
  const {
    results: [fixed],
  } = await ctx.dispatch(
    "doctor-fix",
    [{ step: "doctor.fix", args: { approval: decision.approval } }],
    DEFAULT_STEP_DEADLINE_MS["doctor.fix"] + 5_000,
  );
  const f = fixed?.step === "doctor.fix" ? fixed.data : undefined;
  if (!f?.performed) {
    const why = f?.refused ?? fixed?.error?.message ?? "no answer from the agent";
    await at.set("warn", `doctor --repair not run: ${escapeMrkdwn(why)}`);
    return;
  }
  const left = (f.lintAfter?.findings ?? []).filter((x) => x.severity === "error").length;
  await at.set(f.error || left > 0 ? "warn" : "ok", describeRepair(f, left));
}

function describeRepair(f: FixData, errorsLeft: number): string {
  const changes = f.changes ?? [];
  const listed = changes
    .slice(0, 3)
    .map((c) => escapeMrkdwn(clip(c, 80)))
    .join("; ");
  return [
    `doctor --repair: ${changes.length} change(s)${changes.length ? ` (${listed}${changes.length > 3 ? "; …" : ""})` : ""}`,
    f.configHashBefore !== f.configHashAfter
      ? `config rewritten${f.configUpdated?.backup ? `, backup ${escapeMrkdwn(f.configUpdated.backup)}` : ""}`
      : "config unchanged",
    f.error ? escapeMrkdwn(f.error) : `doctor --lint after: ${errorsLeft} error(s)`,
  ].join(" · ");
}
