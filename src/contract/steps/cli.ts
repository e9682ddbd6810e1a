import { z } from "zod";
import { defineStep, TimeoutArgs } from "../step.ts";

/** What the `openclaw` CLI says: `gateway status`, `doctor --lint`, `models status` (each --json, each seconds). */

export const GatewayStatusData = z.object({
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  /** Fields of `openclaw gateway status --json` the classifier uses; the rest is dropped on the host. */
  json: z
    .object({
      serviceLabel: z.string().optional(),
      serviceLoaded: z.boolean().optional(),
      runtimeStatus: z.string().optional(),
      portStatus: z.string().optional(),
      rpcOk: z.boolean().optional(),
      rpcCapability: z.string().optional(),
      connectFailureKind: z.string().optional(),
      connectFailureDetailCode: z.string().optional(),
      rpcError: z.string().optional(),
      configCliPath: z.string().optional(),
      configServicePath: z.string().optional(),
      gatewayVersion: z.string().optional(),
      extraServices: z.number().optional(),
    })
    .optional(),
  parseError: z.string().optional(),
  stderrTail: z.string().optional(),
});
export type GatewayStatusData = z.infer<typeof GatewayStatusData>;

export const gatewayStatus = defineStep({
  name: "gateway.status",
  args: TimeoutArgs,
  result: GatewayStatusData,
  // `gateway status --json` takes 2.8–8.2 s alone on this class of machine (GATEWAY-FACTS §3); beside
  // doctor and `models status` on a busy 2-core host it passed 10 s. It is off the first answer's path.
  deadlineMs: 15_000,
  slow: true,
});

/** One `doctor --lint --json` finding; long strings are cut on the host. */
export const DoctorLintFinding = z.object({
  checkId: z.string(),
  /** `error` or `warning` today; kept as a string so a future level is data, not a parse failure. */
  severity: z.string(),
  message: z.string(),
  path: z.string().optional(),
});
export const DoctorLintData = z.object({
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  /** Set when stdout held no document this agent understands (empty, truncated, another shape). */
  parseError: z.string().optional(),
  schemaVersion: z.number().optional(),
  ok: z.boolean().optional(),
  checksRun: z.number().optional(),
  findings: z.array(DoctorLintFinding).optional(),
  stderrTail: z.string().optional(),
  /**
   * Where the result came from (agents since issue 17 keep doctor's last result, keyed by what
   * it reads): `cache` = an earlier run, `ageMs` old when the step answered; `run` = doctor ran
   * for this job (or a run already under way was joined), `reason` says why. Absent from older
   * agents, which run doctor every time.
   */
  cache: z
    .object({
      source: z.enum(["cache", "run"]),
      ageMs: z.number(),
      reason: z.string().optional(),
    })
    .optional(),
});
export type DoctorLintData = z.infer<typeof DoctorLintData>;

export const doctorLint = defineStep({
  name: "doctor.lint",
  args: TimeoutArgs,
  result: DoctorLintData,
  // `doctor --lint --json` takes 8.0–9.3 s alone, whether or not the gateway runs (GATEWAY-FACTS §3);
  // beside the other probes on 2 cores it took 10.5–15.4 s in the gateway tests, and passed 20 s
  // while a control plane and an agent were starting beside it. Off the first answer's path.
  deadlineMs: 30_000,
  slow: true,
});

export const ModelRoute = z.object({
  /** A model ref such as `claude-cli/opus` or a provider name. */
  ref: z.string(),
  /** Where it was seen: `config agents.defaults.model`, `models status defaultModel`, … */
  source: z.string(),
});
export const ModelsStatusData = z.object({
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  parseError: z.string().optional(),
  /** Fields of `openclaw models status --json` the classifier reads. */
  json: z
    .object({
      defaultModel: z.string().nullable().optional(),
      resolvedDefault: z.string().nullable().optional(),
      fallbacks: z.array(z.string()).optional(),
      missingProvidersInUse: z.array(z.string()).optional(),
      /** Each issue summarised to one line. */
      modelRouteIssues: z.array(z.string()).optional(),
      runtimeAuthRoutes: z
        .array(
          z.object({
            provider: z.string().optional(),
            runtime: z.string().optional(),
            status: z.string().optional(),
            runtimeReason: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /** Model refs read from the config file itself, so they are known even when the CLI fails. */
  configModelRefs: z.array(ModelRoute),
  /** Routes whose provider ends in `-cli` (`claude-cli/…`): these disable file-class tools (seeds). */
  cliOnlyRoutes: z.array(ModelRoute),
  stderrTail: z.string().optional(),
});
export type ModelsStatusData = z.infer<typeof ModelsStatusData>;

export const modelsStatus = defineStep({
  name: "models.status",
  args: TimeoutArgs,
  result: ModelsStatusData,
  // `models status --json` takes 1.6–2.7 s alone and needs no gateway (GATEWAY-FACTS §3); beside
  // doctor and `gateway status` on 2 cores it took over 6 s in the fault tests.
  deadlineMs: 10_000,
  slow: true,
});
