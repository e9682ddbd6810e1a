import type { StepName, StepResultOf } from "../../../../contract/catalog.ts";
import { slowestDeadlineMs, stepPlan } from "../../../../contract/catalog.ts";
import { type Classification, classifyResults } from "../../../classify/classify.ts";
import type { Layer } from "../../../vocabulary/layers.ts";
import type { RunbookContext } from "../context.ts";
import type { RunbookStep } from "../step.ts";

const SNAPSHOT_PLAN = [
  "versions",
  "gateway.status",
  "tokens",
  "config",
  "models.status",
  "doctor.lint",
  // What a restart would start (step 5 stops before it when that is something else).
  "service.definition",
] as const satisfies readonly StepName[];

/** Steps 2–4 read one snapshot: how many lines, from this step's, show it running. */
const SNAPSHOT_READERS = 3;

/**
 * 2. State snapshot: the triage probes, read-only, in one job whose answers also serve steps 3
 * (workspace and model routing) and 4 (doctor), so all three show running while it runs.
 */
export const takeSnapshot: RunbookStep = async (ctx, at) => {
  for (let i = at.index; i < at.index + SNAPSHOT_READERS; i++) await ctx.set(i, "running", "");
  const { results } = await ctx.dispatch("snapshot", stepPlan(SNAPSHOT_PLAN), slowestDeadlineMs(SNAPSHOT_PLAN) + 3_000);
  const c12n = classifyResults(results, SNAPSHOT_PLAN);
  ctx.facts.snapshot = { results, c12n };
  const versions = results.find((r): r is StepResultOf<"versions"> => r.step === "versions");
  const tokens = results.find((r): r is StepResultOf<"tokens"> => r.step === "tokens");
  const detail = [
    versions?.data?.openclaw ? `openclaw ${versions.data.openclaw}` : "openclaw version unknown",
    tokens?.status === "ok" ? "token sources read" : "token sources unreadable",
    findingTitles(c12n, ["auth", "config"]),
  ]
    .filter(Boolean)
    .join(" · ");
  await at.set(versions?.status === "ok" ? (c12n.matrix.auth.status === "fail" ? "warn" : "ok") : "warn", detail);
  return "next";
};

/** The snapshot step 2 took (a later step run without it is a bug in the runbook table). */
export function snapshotOf(ctx: RunbookContext): NonNullable<RunbookContext["facts"]["snapshot"]> {
  const { snapshot } = ctx.facts;
  if (!snapshot) throw new Error("the runbook read the snapshot before taking it");
  return snapshot;
}

/** The titles of the two highest-ranked findings in these layers. */
export function findingTitles(c12n: Classification, layers: Layer[]): string {
  return c12n.findings
    .filter((f) => layers.includes(f.layer))
    .slice(0, 2)
    .map((f) => f.title)
    .join("; ");
}
