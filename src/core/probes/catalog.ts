import { z } from "zod";

/**
 * The fixed, read-only probe catalog. A job names steps from here with typed arguments;
 * the agent runs nothing else (never a shell string). Each step's `data` schema is the
 * contract between the agent (which fills it) and the classifier (which reads it).
 *
 * Objects are non-strict on purpose: a newer agent may add fields, an older control
 * plane ignores them.
 */

export const STEP_NAMES = [
  "versions",
  "gateway.ws",
  "gateway.http",
  "port.listeners",
  "config",
  "tokens",
  "gateway.status",
  "doctor.lint",
  "models.status",
  "logs.signatures",
  "service.state",
  "bundle.collect",
  // Recovery runbook (src/core/recovery/steps.ts): read what is in flight; one read + one write.
  "gateway.inflight",
  "gateway.acceptance",
  // Mutating: runs only with a signed approval and the host's own policy (src/agent/policy.ts).
  "gateway.restart",
  "doctor.fix",
] as const;
export const StepName = z.enum(STEP_NAMES);
export type StepName = z.infer<typeof StepName>;

const Timeout = z.number().int().min(100).max(120_000);

/**
 * A bundle's files travel in one `job.progress` and one `job.result` frame, each capped at
 * 1 MiB by both ends (agent-hub.ts, connection.ts); this leaves room for the other steps.
 */
export const BUNDLE_MAX_WIRE_BYTES = 640 * 1024;

/** Arguments per step. Unknown keys are refused: a job is an instruction, not a hint. */
export const StepArgs = {
  versions: z.object({}).strict(),
  "gateway.ws": z.object({ timeoutMs: Timeout.optional() }).strict(),
  "gateway.http": z.object({ timeoutMs: Timeout.optional() }).strict(),
  "port.listeners": z.object({}).strict(),
  config: z.object({}).strict(),
  tokens: z.object({ verifyAgainstGateway: z.boolean().optional() }).strict(),
  "gateway.status": z.object({ timeoutMs: Timeout.optional() }).strict(),
  "doctor.lint": z.object({ timeoutMs: Timeout.optional() }).strict(),
  "models.status": z.object({ timeoutMs: Timeout.optional() }).strict(),
  "logs.signatures": z.object({ maxBytes: z.number().int().min(1_024).max(4_194_304).optional() }).strict(),
  "service.state": z.object({}).strict(),
  "bundle.collect": z
    .object({
      timeoutMs: Timeout.optional(),
      /** Cap on the redacted file contents, bytes of JSON; the wire frame is at most 1 MiB. */
      maxBytes: z.number().int().min(4_096).max(BUNDLE_MAX_WIRE_BYTES).optional(),
      /** Lines kept before and after each anchor (last gateway start, last disconnect). */
      contextLines: z.number().int().min(10).max(1_000).optional(),
    })
    .strict(),
  "gateway.inflight": z
    .object({ timeoutMs: Timeout.optional(), dueWithinMs: z.number().int().min(0).max(86_400_000).optional() })
    .strict(),
  "gateway.acceptance": z.object({ timeoutMs: Timeout.optional() }).strict(),
  /** `approval`: the control plane's signed approval token (src/core/recovery/approval.ts). */
  "gateway.restart": z.object({ approval: z.string().min(20).max(4_000) }).strict(),
  /** `openclaw doctor --repair --non-interactive`, with the same kind of approval. */
  "doctor.fix": z.object({ approval: z.string().min(20).max(4_000) }).strict(),
} satisfies Record<StepName, z.ZodType>;

export const StepRequest = z.discriminatedUnion("step", [
  z.object({ step: z.literal("versions"), args: StepArgs.versions }),
  z.object({ step: z.literal("gateway.ws"), args: StepArgs["gateway.ws"] }),
  z.object({ step: z.literal("gateway.http"), args: StepArgs["gateway.http"] }),
  z.object({ step: z.literal("port.listeners"), args: StepArgs["port.listeners"] }),
  z.object({ step: z.literal("config"), args: StepArgs.config }),
  z.object({ step: z.literal("tokens"), args: StepArgs.tokens }),
  z.object({ step: z.literal("gateway.status"), args: StepArgs["gateway.status"] }),
  z.object({ step: z.literal("doctor.lint"), args: StepArgs["doctor.lint"] }),
  z.object({ step: z.literal("models.status"), args: StepArgs["models.status"] }),
  z.object({ step: z.literal("logs.signatures"), args: StepArgs["logs.signatures"] }),
  z.object({ step: z.literal("service.state"), args: StepArgs["service.state"] }),
  z.object({ step: z.literal("bundle.collect"), args: StepArgs["bundle.collect"] }),
  z.object({ step: z.literal("gateway.inflight"), args: StepArgs["gateway.inflight"] }),
  z.object({ step: z.literal("gateway.acceptance"), args: StepArgs["gateway.acceptance"] }),
  z.object({ step: z.literal("gateway.restart"), args: StepArgs["gateway.restart"] }),
  z.object({ step: z.literal("doctor.fix"), args: StepArgs["doctor.fix"] }),
]);
export type StepRequest = z.infer<typeof StepRequest>;

/** Per-step hard deadline the agent enforces when the job does not say otherwise. */
export const DEFAULT_STEP_DEADLINE_MS: Record<StepName, number> = {
  versions: 5_000,
  // The gateway delays failed shared-secret auth up to 5 s on loopback (GATEWAY-FACTS §4.3).
  "gateway.ws": 9_000,
  "gateway.http": 3_000,
  "port.listeners": 3_000,
  config: 2_000,
  // Trying a second token costs another auth penalty; give it room.
  tokens: 12_000,
  // `gateway status --json` takes 2.8–8.2 s alone on this class of machine (GATEWAY-FACTS §3); beside
  // doctor and `models status` on a busy 2-core host it passed 10 s. It is off the first answer's path.
  "gateway.status": 15_000,
  // `doctor --lint --json` takes 8.0–9.3 s alone, whether or not the gateway runs (GATEWAY-FACTS §3);
  // beside the other probes on 2 cores it took 10.5–15.4 s in the gateway tests, and passed 20 s
  // while a control plane and an agent were starting beside it. Off the first answer's path.
  "doctor.lint": 30_000,
  // `models status --json` takes 1.6–2.7 s alone and needs no gateway (GATEWAY-FACTS §3); beside
  // doctor and `gateway status` on 2 cores it took over 6 s in the fault tests.
  "models.status": 10_000,
  // A file read of at most a few hundred KB.
  "logs.signatures": 3_000,
  // `systemctl show` and `journalctl -n 300` (or `docker inspect` + `docker logs --tail`): well under a second each.
  "service.state": 6_000,
  // Three CLI commands (doctor --lint alone takes 8–14 s) plus bounded file reads.
  "bundle.collect": 30_000,
  // A handshake (auth penalty up to 5 s when refused) plus three small list RPCs.
  "gateway.inflight": 12_000,
  // A handshake plus `status`, `sessions.create` and `sessions.delete`.
  "gateway.acceptance": 15_000,
  // SIGTERM exits in 0.4–2.9 s, a cold start takes 12.9–17.9 s to ready (GATEWAY-FACTS §2); on a
  // loaded 2-core box twice that.
  "gateway.restart": 90_000,
  // `doctor --repair` took 14 s on an idle lab (GATEWAY-FACTS §3: doctor 8–12 s, 76 s when it waits
  // for a gateway that is down), then `doctor --lint --json` again (8–10 s).
  "doctor.fix": 120_000,
};

// ---------------------------------------------------------------------------------------
// Step data

export const VersionsData = z.object({
  agent: z.string(),
  /** `OpenClaw 2026.9.6 (eb377ac)` parsed to `2026.9.6`, or null when the CLI is absent/failed. */
  openclaw: z.string().nullable(),
  openclawRaw: z.string().optional(),
  openclawError: z.string().optional(),
  os: z.string(),
  node: z.string(),
});
export type VersionsData = z.infer<typeof VersionsData>;

export const WsError = z.object({
  /** Top-level `error.code` of the failed `res`, e.g. INVALID_REQUEST, NOT_PAIRED, FORBIDDEN. */
  code: z.string().optional(),
  message: z.string(),
  /** `error.details.code`, e.g. AUTH_TOKEN_MISMATCH, PROTOCOL_MISMATCH, MISSING_SCOPE. */
  detailCode: z.string().optional(),
  missingScope: z.string().optional(),
});
export type WsError = z.infer<typeof WsError>;

export const WsOutcome = z.enum([
  "hello-ok", // handshake completed
  "rejected", // gateway answered connect with ok:false
  "closed", // socket closed before any answer to connect
  "refused", // TCP connection refused (nothing listening)
  "upgrade-refused", // something answered HTTP but refused the WebSocket upgrade
  "timeout", // no answer within the deadline
  "error", // any other socket error
]);
export type WsOutcome = z.infer<typeof WsOutcome>;

export const GatewayWsData = z.object({
  url: z.string(),
  outcome: WsOutcome,
  /** Did the server send `connect.challenge` (it speaks first, ~1 ms after open)? */
  challenged: z.boolean(),
  handshakeMs: z.number().optional(),
  /** Which token source was used for `connect` (never the token itself). */
  tokenSource: z.string().nullable(),
  error: WsError.optional(),
  close: z.object({ code: z.number(), reason: z.string() }).optional(),
  upgradeStatus: z.number().optional(),
  server: z
    .object({
      version: z.string().optional(),
      protocol: z.number().optional(),
      uptimeMs: z.number().optional(),
      appliedConfigHash: z.string().optional(),
    })
    .optional(),
  auth: z
    .object({ method: z.string().optional(), role: z.string().optional(), scopes: z.array(z.string()) })
    .optional(),
  /** Result of the `status` RPC (needs operator.read). */
  statusRpc: z.object({ ok: z.boolean(), error: WsError.optional() }).optional(),
  /** Summary of the `health` RPC (needs no scope). */
  healthRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      hotReloadStatus: z.string().optional(),
      channels: z
        .record(z.string(), z.object({ ok: z.boolean().optional(), summary: z.string().optional() }))
        .optional(),
      heartbeatSeconds: z.number().optional(),
      modelRuntimeDegraded: z.boolean().optional(),
    })
    .optional(),
  /** The scheduler, from `cron.status` and `cron.list` (operator.read): is it on, which enabled jobs last failed. */
  cronRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      enabled: z.boolean().optional(),
      jobs: z.number().optional(),
      nextWakeAtMs: z.number().nullable().optional(),
      /** Enabled jobs whose last run ended `error`, newest first, at most 10; errors cut to 300 characters. */
      failing: z
        .array(
          z.object({
            id: z.string(),
            name: z.string(),
            lastRunAtMs: z.number().optional(),
            lastError: z.string().optional(),
            consecutiveErrors: z.number().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /**
   * `channels.status` without live probes (operator.read): each chat account as the gateway's
   * runtime sees it, with its own health verdict (`healthState`: healthy, not-running,
   * disconnected, stuck, busy, blocked, terminal-disconnect, ingress-unavailable, …).
   */
  channelsRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      accounts: z
        .array(
          z.object({
            channel: z.string(),
            accountId: z.string(),
            enabled: z.boolean().optional(),
            configured: z.boolean().optional(),
            running: z.boolean().optional(),
            connected: z.boolean().optional(),
            healthState: z.string().optional(),
            lastError: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /**
   * `config.get` (operator.read): the gateway's own comparison of the config file on disk
   * (`configRevisionHash`, null when the file does not validate) with the config it runs
   * (`appliedConfigHash`), both HMACs under the installation's key, plus the file's validity.
   */
  configRpc: z
    .object({
      ok: z.boolean(),
      error: WsError.optional(),
      fileHash: z.string().nullable().optional(),
      appliedHash: z.string().nullable().optional(),
      valid: z.boolean().optional(),
      /** Validation issues, `path: message`, at most 5, redacted. */
      issues: z.array(z.string()).optional(),
    })
    .optional(),
});
export type GatewayWsData = z.infer<typeof GatewayWsData>;

export const HttpCheck = z.object({
  status: z.number().nullable(),
  /** Connection-level failure (ECONNREFUSED, timeout) when status is null. */
  error: z.string().optional(),
  body: z.unknown().optional(),
});
export const GatewayHttpData = z.object({
  baseUrl: z.string(),
  healthz: HttpCheck,
  readyz: HttpCheck,
});
export type GatewayHttpData = z.infer<typeof GatewayHttpData>;

export const ProcessInfo = z.object({
  pid: z.number().nullable(),
  command: z.string().nullable(),
  /** Command line with secrets redacted on the host. */
  commandLine: z.string().optional(),
  user: z.string().optional(),
  /**
   * False for a gateway that serves another config (its own port, config path or state dir):
   * an intentional second gateway on the host, not a stale copy of this one.
   */
  servesThisConfig: z.boolean().optional(),
  /** Kernel state letter: `T` stopped (SIGSTOP), `Z` zombie (exited, not reaped), `S`/`R` alive. */
  state: z.string().optional(),
});
export const PortListenersData = z.object({
  port: z.number(),
  method: z.string(),
  listeners: z.array(ProcessInfo.extend({ address: z.string() })),
  gatewayProcesses: z.array(ProcessInfo),
});
export type PortListenersData = z.infer<typeof PortListenersData>;

export const ConfigData = z.object({
  path: z.string(),
  exists: z.boolean(),
  /** File mtime (ISO): a reload failure logged before it was about an older version of the file. */
  modifiedAt: z.string().optional(),
  parseError: z.string().optional(),
  mode: z.string().nullable(),
  bind: z.string().nullable(),
  port: z.number().nullable(),
  /** Where the effective port came from: config, env or default (18789). */
  portSource: z.enum(["config", "env", "default", "agent", "process"]),
  /** With portSource `process`: the pid of this config's running gateway whose socket gave the port. */
  portPid: z.number().optional(),
  authMode: z.string().nullable(),
  tokenConfigured: z.boolean(),
  workspace: z
    .object({
      path: z.string(),
      exists: z.boolean(),
      isDirectory: z.boolean(),
      error: z.string().optional(),
      /** Why a missing workspace cannot be created: the nearest existing parent and its errno. */
      blockedBy: z.object({ path: z.string(), code: z.string() }).optional(),
    })
    .nullable(),
});
export type ConfigData = z.infer<typeof ConfigData>;

export const TokenSourceName = z.enum([
  "config",
  "service-env",
  "shell-env",
  "process-env",
  "process-argv",
  /** A `.env` file OpenClaw loads at start: `$OPENCLAW_STATE_DIR/.env` or the gateway's working directory. */
  "dotenv",
  /** The config's own `env` block (`env.OPENCLAW_GATEWAY_TOKEN` / `env.vars.…`). */
  "config-env",
]);
export type TokenSourceName = z.infer<typeof TokenSourceName>;
export const TokensData = z.object({
  sources: z.array(
    z.object({
      source: TokenSourceName,
      /** Where it was read (a file path, `pid 123`), never the value. */
      where: z.string(),
      present: z.boolean(),
      /** `sha256:` + 12 hex chars of the token, or null when absent. */
      fingerprint: z.string().nullable(),
    }),
  ),
  /** Distinct fingerprints among the present sources. */
  distinct: z.number(),
  /** Which fingerprint the running gateway accepted when probed, if it was tested. */
  accepted: z
    .object({
      tested: z.array(
        z.object({
          fingerprint: z.string(),
          result: z.enum(["accepted", "rejected", "error"]),
          detailCode: z.string().optional(),
        }),
      ),
      fingerprint: z.string().nullable(),
    })
    .optional(),
});
export type TokensData = z.infer<typeof TokensData>;

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
});
export type DoctorLintData = z.infer<typeof DoctorLintData>;

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

export const LOG_SIGNATURE_KINDS = [
  "ws-unauthorized",
  "reload-failed",
  "reload-applied",
  "gateway-ready",
  "closed-before-connect",
  "origin-not-allowed",
  "handshake-timeout",
  "parse-error",
  "port-in-use",
  "refusing-to-bind",
  "start-blocked",
  "start-failed",
  "anthropic-429-long-context",
  "cron-disabled",
  "cron-tick-failed",
  "heartbeat-skipped",
  "chrome-cdp-failed",
  "remote-cdp-unreachable",
  "browser-command-unknown",
  "workspace-vanished",
] as const;
export const LogSignatureKind = z.enum(LOG_SIGNATURE_KINDS);
export type LogSignatureKind = z.infer<typeof LogSignatureKind>;

export const LogSignature = z.object({
  /** A kind this agent knows; an older control plane still reads `count`/`examples` of a newer one. */
  kind: z.string(),
  count: z.number(),
  /** Newest timestamp of a line of this kind (ISO), when the line had one. */
  lastAt: z.string().optional(),
  /** `reason=` / `code=` values and how often each was seen. */
  reasons: z.record(z.string(), z.number()).optional(),
  /** The newest ≤5 lines of this kind, redacted and cut to a readable length. */
  examples: z.array(z.string()),
});
export type LogSignature = z.infer<typeof LogSignature>;

export const LogSignaturesData = z.object({
  found: z.boolean(),
  /** The file read, or null when none of the candidates existed. */
  path: z.string().nullable(),
  tried: z.array(z.string()),
  bytesRead: z.number(),
  linesScanned: z.number(),
  /** Lines that were neither JSON nor text we could read (binary, cut in half). */
  linesSkipped: z.number(),
  newestAt: z.string().optional(),
  signatures: z.array(LogSignature),
  error: z.string().optional(),
});
export type LogSignaturesData = z.infer<typeof LogSignaturesData>;

/**
 * What the service manager says about the gateway: its unit (systemd), job (launchd) or container
 * state, restart count and last exit, and the signature lines of its journal / container log.
 */
export const ServiceStateData = z.object({
  supervisor: z.enum(["systemd", "launchd", "container", "manual", "unknown"]),
  /** declared in policy.json, detected from the listening process's cgroup, or the one unit file found. */
  source: z.enum(["declared", "detected", "unit-file", "none"]),
  unit: z.string().optional(),
  /** The pid listening on the gateway port, if any. */
  listenerPid: z.number().nullable(),
  state: z
    .object({
      /** systemd ActiveState / launchd state / container Status, as the manager spells it. */
      active: z.string(),
      sub: z.string().nullable(),
      restarts: z.number().nullable(),
      mainPid: z.number().nullable(),
      /** The main process's last exit: code (78 config refusal, 1 port taken) or signal (SIGKILL = 137). */
      lastExit: z.object({ code: z.number().nullable(), signal: z.string().nullable() }).nullable(),
      /** systemd Result (`exit-code`, `signal`, `oom-kill`, `success`); Docker: `oom-killed` when OOMKilled. */
      result: z.string().nullable(),
    })
    .nullable(),
  /** The command whose output gave `state`, as argv joined (no secrets). */
  command: z.string().optional(),
  error: z.string().optional(),
  journal: z
    .object({
      command: z.string(),
      linesScanned: z.number(),
      signatures: z.array(LogSignature),
      error: z.string().optional(),
    })
    .nullable(),
});
export type ServiceStateData = z.infer<typeof ServiceStateData>;

/** One file of a repro bundle, already redacted on the host. */
export const BundleFile = z.object({
  /** Relative path inside the bundle, e.g. `logs/around-last-start.log`. */
  name: z.string().min(1).max(200),
  content: z.string(),
  /** False when something is missing: cut at a size bound, a command timed out, binary lines dropped. */
  complete: z.boolean(),
  /** Why the file is partial (or a note on how it was made). */
  reason: z.string().optional(),
});
export type BundleFile = z.infer<typeof BundleFile>;

export const BundleRedaction = z.object({
  file: z.string(),
  /** `[REDACTED:<kind>]` kind: known-secret, bearer, slack-token, private-key, … */
  kind: z.string(),
  count: z.number().int().nonnegative(),
});
export type BundleRedaction = z.infer<typeof BundleRedaction>;

export const BundleCollectData = z.object({
  collectedAt: z.string(),
  files: z.array(BundleFile),
  /** What host-side redaction removed, per file and kind (never the values). */
  redactions: z.array(BundleRedaction),
  /** Files the agent meant to collect but could not, with the reason. */
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  /** Set when files were dropped or cut to keep the result under the wire frame size. */
  capped: z.string().optional(),
});
export type BundleCollectData = z.infer<typeof BundleCollectData>;
/** What is still running on a gateway, read from it over WS RPC (sessions.list, tasks.list, cron.list). */
export const GatewayInflightData = z.object({
  reachable: z.boolean(),
  error: z.string().optional(),
  sessions: z.object({ count: z.number() }).nullable(),
  tasks: z.object({ total: z.number(), active: z.number() }).nullable(),
  cron: z
    .object({
      jobs: z.number(),
      /** Enabled jobs whose next run falls within `dueWithinMs`. */
      dueSoon: z.array(z.object({ name: z.string(), nextRunAtMs: z.number() })),
    })
    .nullable(),
});
export type GatewayInflightData = z.infer<typeof GatewayInflightData>;

const RpcCheck = z.object({ method: z.string(), ok: z.boolean(), ms: z.number(), error: z.string().optional() });
/** The runbook's acceptance test: one read-only call and one write call through the gateway. */
export const GatewayAcceptanceData = z.object({
  reachable: z.boolean(),
  error: z.string().optional(),
  read: RpcCheck.nullable(),
  write: RpcCheck.nullable(),
  /** Removing what the write created (a labelled scratch session). */
  cleanup: RpcCheck.nullable(),
  passed: z.boolean(),
});
export type GatewayAcceptanceData = z.infer<typeof GatewayAcceptanceData>;

/** An ordered restart: the old process has exited (and the port is free) before the new one starts. */
export const GatewayRestartData = z.object({
  performed: z.boolean(),
  /** Why the agent did not restart (approval, local policy, supervisor it cannot drive). */
  refused: z.string().optional(),
  supervisor: z.enum(["systemd", "launchd", "container", "manual", "unknown"]),
  /** The unit, launchd label or container the restart went through. */
  unit: z.string().optional(),
  /** Declared in the host's policy.json, or detected from the process's cgroup. */
  supervisorSource: z.enum(["declared", "detected"]).optional(),
  oldPid: z.number().nullable(),
  newPid: z.number().nullable(),
  /** The relaunch command (manual process) or the supervisor's restart command; never secrets. */
  command: z.array(z.string()).optional(),
  exitedAfterMs: z.number().optional(),
  readyAfterMs: z.number().optional(),
  approver: z.string().optional(),
  error: z.string().optional(),
});
export type GatewayRestartData = z.infer<typeof GatewayRestartData>;

/** `openclaw doctor --repair --non-interactive`: what it changed, and what `doctor --lint` says after. */
export const DoctorFixData = z.object({
  performed: z.boolean(),
  refused: z.string().optional(),
  approver: z.string().optional(),
  command: z.array(z.string()).optional(),
  exitCode: z.number().nullable().optional(),
  timedOut: z.boolean().optional(),
  /** Lines of its "Doctor changes" boxes, redacted (e.g. "Tightened permissions on … to 700"). */
  changes: z.array(z.string()).optional(),
  /** "Updated config: <path>" / "Backup: <path>" when it rewrote the config. */
  configUpdated: z.object({ path: z.string(), backup: z.string().nullable() }).nullable().optional(),
  /** The config file's SHA-256 (first 12 hex) before and after, so a change is never silent. */
  configHashBefore: z.string().nullable().optional(),
  configHashAfter: z.string().nullable().optional(),
  /** `doctor --lint --json` after the repair. */
  lintAfter: DoctorLintData.optional(),
  /** The last lines of its output, redacted, when it failed. */
  outputTail: z.string().optional(),
  error: z.string().optional(),
});
export type DoctorFixData = z.infer<typeof DoctorFixData>;

export const StepStatus = z.enum(["ok", "error", "timeout"]);
export type StepStatus = z.infer<typeof StepStatus>;

const stepResult = <N extends StepName, D extends z.ZodType>(step: N, data: D) =>
  z.object({
    step: z.literal(step),
    /** `ok` means the probe ran, not that the gateway is healthy; the classifier judges that. */
    status: StepStatus,
    durationMs: z.number(),
    data: data.optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  });

export const StepResult = z.discriminatedUnion("step", [
  stepResult("versions", VersionsData),
  stepResult("gateway.ws", GatewayWsData),
  stepResult("gateway.http", GatewayHttpData),
  stepResult("port.listeners", PortListenersData),
  stepResult("config", ConfigData),
  stepResult("tokens", TokensData),
  stepResult("gateway.status", GatewayStatusData),
  stepResult("doctor.lint", DoctorLintData),
  stepResult("models.status", ModelsStatusData),
  stepResult("logs.signatures", LogSignaturesData),
  stepResult("service.state", ServiceStateData),
  stepResult("bundle.collect", BundleCollectData),
  stepResult("gateway.inflight", GatewayInflightData),
  stepResult("gateway.acceptance", GatewayAcceptanceData),
  stepResult("gateway.restart", GatewayRestartData),
  stepResult("doctor.fix", DoctorFixData),
]);
export type StepResult = z.infer<typeof StepResult>;
export type StepResultOf<N extends StepName> = Extract<StepResult, { step: N }>;

/** The triage job: every read-only probe, run concurrently on the host. */
export const TRIAGE_STEPS: StepRequest[] = [
  { step: "versions", args: {} },
  { step: "gateway.ws", args: {} },
  { step: "gateway.http", args: {} },
  { step: "port.listeners", args: {} },
  { step: "config", args: {} },
  { step: "tokens", args: {} },
  { step: "gateway.status", args: {} },
  { step: "models.status", args: {} },
  { step: "logs.signatures", args: {} },
  { step: "service.state", args: {} },
  // Slow (8–10 s): the first answer is posted without it (SLOW_STEPS in service/triage.ts).
  { step: "doctor.lint", args: {} },
];

/** The steps a triage expects: a step missing from its results is reported as missing. */
export const TRIAGE_STEP_NAMES: readonly StepName[] = TRIAGE_STEPS.map((s) => s.step);
