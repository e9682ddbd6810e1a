import { z } from "zod";
import type { StepDefinition } from "./step.ts";
import { agentUpgrade } from "./steps/agent.ts";
import { bundleCollect } from "./steps/bundle.ts";
import { doctorLint, gatewayStatus, modelsStatus } from "./steps/cli.ts";
import { gatewayVitals, stateLocks } from "./steps/field.ts";
import { gatewayHttp, gatewayWs } from "./steps/gateway.ts";
import { config, portListeners, tokens, versions } from "./steps/host.ts";
import { HOST_STATE_STEPS, HOST_STATE_TRIAGE } from "./steps/host-state.ts";
import { logsSignatures, serviceState } from "./steps/logs.ts";
import { doctorFix, gatewayAcceptance, gatewayInflight, gatewayRestart } from "./steps/runbook.ts";
import { gatewayTls } from "./steps/tls.ts";
import { gatewaySwitch } from "./steps/upgrade.ts";

/**
 * The fixed probe catalog. A job names steps from here with typed arguments; the agent runs
 * nothing else (never a shell string). Each step is one `defineStep` in ./steps/ (name,
 * arguments, result data, deadline, flags); this module lists them and derives the rest: the
 * names, the wire unions, the deadline table, the slow and mutating sets, the triage plan.
 *
 * Objects are non-strict on purpose: a newer agent may add fields, an older control
 * plane ignores them.
 */

export * from "./step.ts";
export * from "./steps/agent.ts";
export * from "./steps/bundle.ts";
export * from "./steps/cli.ts";
export * from "./steps/field.ts";
export * from "./steps/gateway.ts";
export * from "./steps/host.ts";
export * from "./steps/host-state.ts";
export * from "./steps/logs.ts";
export * from "./steps/runbook.ts";
export * from "./steps/tls.ts";
export * from "./steps/upgrade.ts";

/**
 * Every step, in catalog order. The order is on the wire: a refused step name is answered with
 * this list (`Invalid discriminator value. Expected 'versions' | …`).
 */
const STEPS = [
  versions,
  gatewayWs,
  gatewayHttp,
  portListeners,
  config,
  tokens,
  gatewayStatus,
  doctorLint,
  modelsStatus,
  logsSignatures,
  serviceState,
  ...HOST_STATE_STEPS,
  bundleCollect,
  // Recovery runbook (src/core/recovery): read what is in flight; one read + one write.
  gatewayInflight,
  gatewayAcceptance,
  // Mutating: runs only with a signed approval and the host's own policy (src/agent/policy.ts).
  gatewayRestart,
  doctorFix,
  // The agent's own upgrade in place (not a gateway step: no approval; the host's policy.json may refuse it).
  agentUpgrade,
  // Issue 30's field failures: memory and responsiveness over the watch's samples; stale locks.
  gatewayVitals,
  stateLocks,
  // Issue 42: the gateway's TLS certificate for the expiry calendar (read-only, never the PEM).
  gatewayTls,
  // Issue 42: the gateway's upgrade (install side by side, atomic switch, supervised restart); mutating.
  gatewaySwitch,
] as const;

type Steps = typeof STEPS;
type AnyStep = Steps[number];
/** The catalog's names and wire schemas position by position: tuples stay tuples, for z.enum and the unions. */
type NamesOf<T extends readonly StepDefinition[]> = { [I in keyof T]: T[I]["name"] };
type RequestsOf<T extends readonly StepDefinition[]> = { [I in keyof T]: T[I]["wire"]["request"] };
type ResultsOf<T extends readonly StepDefinition[]> = { [I in keyof T]: T[I]["wire"]["result"] };
type StepFlag = "slow" | "mutating";
type FlaggedStep<F extends StepFlag> = Extract<AnyStep, { readonly [K in F]: true }>["name"];

const each = <T>(pick: (step: StepDefinition) => T): T[] => STEPS.map((s: StepDefinition) => pick(s));

export const STEP_NAMES = each((s) => s.name) as unknown as NamesOf<Steps>;
export const StepName = z.enum(STEP_NAMES);
export type StepName = z.infer<typeof StepName>;

/** One step's definition by name. */
export type StepDefinitionOf<N extends StepName> = Extract<AnyStep, { name: N }>;

/** Arguments per step. Unknown keys are refused: a job is an instruction, not a hint. */
export const StepArgs = Object.fromEntries(each((s) => [s.name, s.args])) as {
  [S in AnyStep as S["name"]]: S["args"];
};
export type StepArgsOf<N extends StepName> = z.infer<StepDefinitionOf<N>["args"]>;

export const StepRequest = z.discriminatedUnion("step", each((s) => s.wire.request) as unknown as RequestsOf<Steps>);
export type StepRequest = z.infer<typeof StepRequest>;

export const StepResult = z.discriminatedUnion("step", each((s) => s.wire.result) as unknown as ResultsOf<Steps>);
export type StepResult = z.infer<typeof StepResult>;
export type StepResultOf<N extends StepName> = Extract<StepResult, { step: N }>;
export type StepDataOf<N extends StepName> = NonNullable<StepResultOf<N>["data"]>;

/** Per-step hard deadline the agent enforces when the job does not say otherwise. */
export const DEFAULT_STEP_DEADLINE_MS = Object.fromEntries(each((s) => [s.name, s.deadlineMs])) as Record<
  StepName,
  number
>;

const flagged = <F extends StepFlag>(flag: F) =>
  each((s) => (s[flag] ? s.name : null)).filter((n) => n !== null) as FlaggedStep<F>[];

/** Steps that run a slow CLI command (`slow` in their definition): see StepSpec.slow. */
export type SlowStep = FlaggedStep<"slow">;
export const SLOW_STEPS: ReadonlySet<StepName> = new Set<StepName>(flagged("slow"));

/** Steps that change the host (`mutating` in their definition): approval claims name only these. */
export type MutatingStep = FlaggedStep<"mutating">;
export const MUTATING_STEPS: readonly MutatingStep[] = flagged("mutating");
/** Does this step change the host (one of MUTATING_STEPS)? */
export function isMutatingStep(step: string): step is MutatingStep {
  return (MUTATING_STEPS as readonly string[]).includes(step);
}

/** Steps a plan may name without arguments (every step but the mutating ones, whose args carry an approval). */
export type PlainStep = {
  [N in StepName]: Record<never, never> extends z.input<StepDefinitionOf<N>["args"]> ? N : never;
}[StepName];

/** A plan's requests: each named step with its default arguments, in the plan's order. */
export function stepPlan<N extends PlainStep>(names: readonly N[]): StepRequest[] {
  return names.map((step) => ({ step, args: {} }) as StepRequest);
}

/** The slowest default deadline among a plan's steps: a job's deadline is this plus its round trip. */
export function slowestDeadlineMs(steps: readonly (StepName | StepRequest)[]): number {
  return Math.max(...steps.map((s) => DEFAULT_STEP_DEADLINE_MS[typeof s === "string" ? s : s.step]));
}

/**
 * The steps a triage expects, in the order its progress message lists them: every read-only
 * probe, run concurrently on the host. A step missing from its results is reported as missing.
 */
const TRIAGE_PLAN = [
  "versions",
  "gateway.ws",
  "gateway.http",
  "port.listeners",
  "config",
  "tokens",
  "logs.signatures",
  "service.state",
  ...HOST_STATE_TRIAGE,
  "gateway.vitals",
  "state.locks",
  // With gateway.tls on: the served certificate against its file, the pin, a CA's verdict and the
  // days left (issue 46); one config read otherwise.
  "gateway.tls",
  // Answered from the agent's cache when nothing doctor reads changed; else 5–10 s, and the first
  // answer is posted without it (SLOW_STEPS). `gateway status` and `models status` (CLI, seconds
  // each) are not in the triage: the gateway's session and the fast probes say what they said
  // (issue 17); they stay in the catalog and in the bundle.
  "doctor.lint",
] as const satisfies readonly PlainStep[];
export const TRIAGE_STEP_NAMES: readonly StepName[] = TRIAGE_PLAN;

/** The triage job. */
export const TRIAGE_STEPS: StepRequest[] = stepPlan(TRIAGE_PLAN);
