import { z } from "zod";
import { defineStep, NoArgs, Supervisor, TimeoutArgs } from "../step.ts";

/**
 * What breaks gateways after their first week (issue 30, classes 10–18): the state on disk (free
 * space and its forecast, the SQLite headers, logs, transcripts, configs the gateway restored),
 * the service definition a restart would run, the environment the gateway got, and the gateway's
 * own inventory of plugins and nodes. All read-only and cheap: files, statfs, procfs, and the
 * gateway's RPCs with the agent's operator.read scope. The live SQLite databases are never opened:
 * only their first 100 bytes are read, as any file.
 */

const Bytes = z.number().int().min(0);

/** A filesystem that holds the gateway's state or its log, as statfs sees it. */
export const StorageVolume = z.object({
  /** What lives there: `state` (the state dir), `logs` (the file log's folder). */
  holds: z.array(z.string()),
  /** The folder statfs was asked about. */
  path: z.string(),
  totalBytes: Bytes,
  /** Bytes an unprivileged writer (the gateway) can still use (f_bavail). */
  freeBytes: Bytes,
  /** `critical`: under 2 % or 512 MiB free; `low`: under 10 % or 2 GiB; else `ok`. */
  level: z.enum(["ok", "low", "critical"]),
  /**
   * Free space's trend from the agent's own samples (the watch takes one every probe): null
   * `daysUntilFull` when it is not shrinking. Absent until there are enough samples.
   */
  forecast: z
    .object({
      daysUntilFull: z.number().nullable(),
      /** Least-squares slope of used space, bytes per day (negative: space was freed). */
      bytesPerDay: z.number(),
      sampleCount: z.number().int(),
      sampleSpanMs: z.number(),
      /** `day` (full within a day), `week`, `month`, or `none`: what the watch compares. */
      horizon: z.enum(["none", "month", "week", "day"]),
    })
    .optional(),
  error: z.string().optional(),
});
export type StorageVolume = z.infer<typeof StorageVolume>;

/** One of the gateway's SQLite files, judged from its first 100 bytes (never opened as a database). */
export const StateDatabase = z.object({
  path: z.string(),
  /** `state` (state/openclaw.sqlite) or `agent` (agents/<id>/agent/openclaw-agent.sqlite). */
  role: z.enum(["state", "agent"]),
  sizeBytes: Bytes,
  /** `sqlite`: the "SQLite format 3" magic; `not-sqlite`: other bytes; `empty`/`short`: no full header. */
  header: z.enum(["sqlite", "not-sqlite", "empty", "short", "unreadable"]),
  /** Page size × page count from the header against the file's size: pages the header promises but the file lacks. */
  truncated: z.boolean().optional(),
  walBytes: Bytes.optional(),
  error: z.string().optional(),
});
export type StateDatabase = z.infer<typeof StateDatabase>;

const SizedFile = z.object({ path: z.string(), sizeBytes: Bytes });

export const StateFilesData = z.object({
  stateDir: z.string(),
  volumes: z.array(StorageVolume),
  databases: z.array(StateDatabase),
  /** Only a full reading (not the watch's quick one) has the fields below. */
  quick: z.boolean(),
  /** SQLite files (and -wal/-shm) the gateway still maps after they were deleted (`(deleted)` in /proc/<pid>/maps). */
  mappedDeleted: z.array(z.object({ pid: z.number(), path: z.string() })).optional(),
  /** The gateway's file log folder: its total and largest file. */
  logs: z
    .object({ dir: z.string(), files: z.number().int(), totalBytes: Bytes, largest: SizedFile.nullable() })
    .optional(),
  /** Archived transcripts (agents/<id>/sessions/) and the agents' session databases with their WAL. */
  transcripts: z
    .object({
      files: z.number().int(),
      totalBytes: Bytes,
      largest: SizedFile.nullable(),
      /** The walk stopped at its bound: the totals are at least these. */
      truncated: z.boolean(),
    })
    .optional(),
  /**
   * `openclaw.json.clobbered.<time>`: a config the gateway (or its CLI) replaced by a backup.
   * Newest first, at most 3; `changedKeys` are dotted key names that differ from the current
   * file (names only, never values).
   */
  clobbered: z
    .array(
      z.object({
        path: z.string(),
        modifiedAt: z.string(),
        changedKeys: z.array(z.string()),
        error: z.string().optional(),
      }),
    )
    .optional(),
  /**
   * Plugins OpenClaw installed from npm into the state folder (`npm/package.json` and
   * `npm/projects/<project>/package.json`, each package's own package.json): name and version only.
   * The watch re-reads them only when one of those manifests changed (issue 42, version drift).
   */
  plugins: z
    .object({
      packages: z.array(z.object({ name: z.string(), version: z.string().nullable() })),
      /** The reading stopped at its bound (projects or packages). */
      truncated: z.boolean().optional(),
      error: z.string().optional(),
    })
    .optional(),
});
export type StateFilesData = z.infer<typeof StateFilesData>;

export const stateFiles = defineStep({
  name: "state.files",
  args: z.object({ quick: z.boolean().optional() }).strict(),
  result: StateFilesData,
  // statfs and a few small reads; a full reading walks at most a few thousand directory entries.
  deadlineMs: 3_000,
});

/** One variable's presence in one place, by name; proxies also by what they point at (no credentials). */
export const EnvPresence = z.object({
  name: z.string(),
  /** For proxy variables: `scheme://host:port` with any user:password removed. */
  target: z.string().optional(),
  /** `sha256:` + 12 hex chars of the value, so two places can be compared without showing it. */
  fingerprint: z.string().optional(),
});
export type EnvPresence = z.infer<typeof EnvPresence>;

/** The service manager's definition of the gateway: what a restart would run. */
export const ServiceDefinitionData = z.object({
  supervisor: Supervisor,
  /** The unit file or plist read, or null when none was found. */
  path: z.string().nullable(),
  unit: z.string().optional(),
  /** The start command after drop-ins, redacted (`--token ***`). */
  execStart: z.array(z.string()).optional(),
  /** Paths of the start command that do not exist (the runtime, the OpenClaw entry point). */
  missingPaths: z.array(z.string()).optional(),
  /** The OpenClaw package the start command runs: its folder and package.json version. */
  openclaw: z.object({ root: z.string(), version: z.string().nullable() }).optional(),
  dropIns: z
    .array(
      z.object({
        path: z.string(),
        modifiedAt: z.string(),
        /** Directives it sets that change what runs (ExecStart, Environment, EnvironmentFile, WorkingDirectory, User). */
        overrides: z.array(z.string()),
      }),
    )
    .optional(),
  /** When the unit file was last written (drop-ins older than it may pin what it replaced). */
  modifiedAt: z.string().optional(),
  /** Units named *openclaw* enabled per scope (`system`, `user`): a `.wants/` link each. */
  enabled: z.array(z.object({ scope: z.enum(["system", "user"]), unit: z.string(), link: z.string() })).optional(),
  /** Variables the definition sets (Environment=, EnvironmentFile= contents, plist EnvironmentVariables). */
  environment: z.array(EnvPresence).optional(),
  error: z.string().optional(),
});
export type ServiceDefinitionData = z.infer<typeof ServiceDefinitionData>;

export const serviceDefinition = defineStep({
  name: "service.definition",
  args: NoArgs,
  result: ServiceDefinitionData,
  deadlineMs: 3_000,
});

/** A variable the config reads: `${VAR}` in a string, or a SecretRef `{ source: "env", id }`. */
export const EnvReference = z.object({
  name: z.string(),
  /** Dotted config key where it is used (at most 3). */
  at: z.array(z.string()),
  /** Where OpenClaw would find it: the running gateway's environment, a .env it loads, the config's env block. */
  foundIn: z.array(z.enum(["process", "state-dotenv", "cwd-dotenv", "config-env", "agent-env"])),
});
export type EnvReference = z.infer<typeof EnvReference>;

/** What environment the running gateway got, against what its config reads and what the agent's shell has. */
export const GatewayEnvData = z.object({
  /** This config's running gateway, or null when none runs. */
  pid: z.number().nullable(),
  /** Its environment could not be read (another user's process): presence in `process` is unknown. */
  processUnreadable: z.string().optional(),
  references: z.array(EnvReference),
  /** `env.shellEnv.enabled` / OPENCLAW_LOAD_SHELL_ENV: missing names may be imported from a login shell. */
  shellImport: z.boolean(),
  /** Proxy variables (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY, either case) per place. */
  proxies: z.object({ process: z.array(EnvPresence), agent: z.array(EnvPresence) }),
});
export type GatewayEnvData = z.infer<typeof GatewayEnvData>;

export const gatewayEnv = defineStep({
  name: "gateway.env",
  args: NoArgs,
  result: GatewayEnvData,
  deadlineMs: 3_000,
});

/** The gateway's own inventory over one more session (operator.read): plugins, nodes, config warnings. */
export const GatewayInventoryData = z.object({
  reachable: z.boolean(),
  error: z.string().optional(),
  /** `health` → plugins: loaded ids, load errors, unavailable ones. */
  plugins: z
    .object({
      loaded: z.array(z.string()),
      errors: z.array(z.string()),
      unavailable: z.array(z.string()),
    })
    .optional(),
  /** `node.list`: paired companion devices and whether each is connected now. */
  nodes: z
    .array(
      z.object({
        id: z.string(),
        name: z.string().optional(),
        paired: z.boolean().optional(),
        connected: z.boolean().optional(),
        lastSeenAtMs: z.number().optional(),
      }),
    )
    .optional(),
  /** `config.get` → warnings (`path: message`, the gateway's own words, redacted), at most 10. */
  configWarnings: z.array(z.string()).optional(),
});
export type GatewayInventoryData = z.infer<typeof GatewayInventoryData>;

export const gatewayInventory = defineStep({
  name: "gateway.inventory",
  args: TimeoutArgs,
  result: GatewayInventoryData,
  // A handshake (auth penalty up to 5 s when refused) and three reads.
  deadlineMs: 9_000,
});

/**
 * Fields of `state.files` that move on every reading of a steady host (bytes free and used, the
 * forecast's figures): the watch compares `level` and the forecast's `horizon` instead.
 */
export const STORAGE_VOLATILE_KEYS = [
  "freeBytes",
  "sizeBytes",
  "walBytes",
  "daysUntilFull",
  "bytesPerDay",
  "sampleCount",
  "sampleSpanMs",
] as const;

/**
 * What the agent's watch adds to the quick probe (not the fleet's live fan-out, which older agents
 * answer too): free space where the state lives, sampled every probe for the forecast.
 */
export const WATCH_STORAGE_STEPS = [{ step: "state.files", args: { quick: true } }] as const;

/** The steps above, in catalog order. */
export const HOST_STATE_STEPS = [stateFiles, serviceDefinition, gatewayEnv, gatewayInventory] as const;
/** All of them run in a triage. */
export const HOST_STATE_TRIAGE = ["state.files", "service.definition", "gateway.env", "gateway.inventory"] as const;

/** Gateway log lines of these classes (patterns: src/agent/probes/gateway-log-patterns-host-state.ts). */
export const HOST_STATE_LOG_KINDS = [
  "state-db-corrupt",
  "state-db-busy",
  "state-db-full",
  "config-auto-restored",
  "secret-unavailable",
  "plugin-load-failed",
  "provider-egress-failed",
  "proxy-shaped-traffic",
  "device-token-mismatch",
  "pairing-requested",
  "exec-approvals-unavailable",
  "restart-pending",
] as const;
