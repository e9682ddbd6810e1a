import { z } from "zod";

/**
 * One catalog step, defined once: its name, arguments, result data, deadline and the flags the
 * control plane plans with. The catalog (catalog.ts) lists the definitions and derives every
 * union, table and set from them; nothing else names a step's schema.
 */

/** Refuses a step's arguments outside 100 ms–2 min. */
export const Timeout = z.number().int().min(100).max(120_000);

/** Arguments of a step that takes none. Shared: one schema for all of them, built once. */
export const NoArgs = z.object({}).strict();
/** Arguments of a step whose only knob is its own deadline. */
export const TimeoutArgs = z.object({ timeoutMs: Timeout.optional() }).strict();

/** The service managers the agent can read and drive. */
export const Supervisor = z.enum(["systemd", "launchd", "container", "manual", "unknown"]);
export type Supervisor = z.infer<typeof Supervisor>;

export const StepStatus = z.enum(["ok", "error", "timeout"]);
export type StepStatus = z.infer<typeof StepStatus>;

/** Why a step has no data: a stable code (probe_timeout, probe_failed, invalid_result, …) and a message. */
const StepError = z.object({ code: z.string(), message: z.string() });
const OptionalStepError = StepError.optional();

export interface StepSpec {
  /** The step's name on the wire (`job.run` steps, results). */
  name: string;
  /** Arguments; `.strict()`: unknown keys are refused, a job is an instruction, not a hint. */
  args: z.ZodObject;
  /** The `data` of an `ok` result: the contract between the agent (fills it) and the classifier (reads it). */
  result: z.ZodType;
  /** Hard deadline the agent enforces when the job does not say otherwise (`timeoutMs`), ms. */
  deadlineMs: number;
  /**
   * Runs a slow CLI command (seconds, GATEWAY-FACTS §3): triage posts its first answer without
   * it and updates it later; the SSM transport sends it as a command of its own.
   */
  slow?: true;
  /**
   * Changes the host: runs only with a signed approval (approval.ts) and the host's own policy
   * (src/agent/policy.ts). Its arguments carry the approval.
   */
  mutating?: true;
}

type Literal<S extends StepSpec> = z.ZodLiteral<S["name"]>;

/** `{ step, args }` in a `job.run` frame. */
export type StepRequestSchema<S extends StepSpec> = z.ZodObject<{ step: Literal<S>; args: S["args"] }>;

/** One step's result, as the agent reports it (`job.progress`, `job.result`). */
export type StepResultSchema<S extends StepSpec> = z.ZodObject<{
  step: Literal<S>;
  /** `ok` means the probe ran, not that the gateway is healthy; the classifier judges that. */
  status: typeof StepStatus;
  durationMs: z.ZodNumber;
  data: z.ZodOptional<S["result"]>;
  error: typeof OptionalStepError;
}>;

export type StepDefinition<S extends StepSpec = StepSpec> = S & {
  /** The step's members of the wire unions, built once here. */
  wire: { request: StepRequestSchema<S>; result: StepResultSchema<S> };
};

export function defineStep<const S extends StepSpec>(spec: S): StepDefinition<S> {
  const step = z.literal(spec.name) as Literal<S>;
  return {
    ...spec,
    wire: {
      request: z.object({ step, args: spec.args }),
      result: z.object({
        step,
        status: StepStatus,
        durationMs: z.number(),
        data: spec.result.optional() as z.ZodOptional<S["result"]>,
        error: OptionalStepError,
      }),
    },
  };
}
