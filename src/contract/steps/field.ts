import { z } from "zod";
import { defineStep, NoArgs } from "../step.ts";

/**
 * What breaks gateways in real fleets after the first week (issue 30): the gateway's memory and
 * responsiveness over the watch's samples, the chat credentials hosts share, and the lock files
 * a dead process leaves behind. Read on the host from procfs, the gateway's own files and its
 * `/readyz`; never its live SQLite, never the `openclaw` CLI.
 */

/**
 * Where the gateway's memory is heading, from the agent's own samples of its resident size (one
 * per watch probe and per job). The figures change on every probe; the watch compares `outlook`.
 */
export const MemoryOutlook = z.enum([
  /** No limit known (none set, or none readable), or too few samples for a slope. */
  "unknown",
  /** Not growing, or growing too slowly to reach the limit within 72 h. */
  "steady",
  "limit-within-72h",
  "limit-within-24h",
  "limit-within-6h",
]);
export type MemoryOutlook = z.infer<typeof MemoryOutlook>;

export const GatewayMemory = z.object({
  /** Resident memory of the gateway and its worker children (VmRSS), bytes. */
  rssBytes: z.number(),
  /** The tightest memory limit over the gateway's cgroup and its parents, bytes; null: none set. */
  limitBytes: z.number().nullable(),
  /** Which file gave the limit (`/sys/fs/cgroup/…/memory.max`, `memory.limit_in_bytes`). */
  limitSource: z.string().nullable(),
  /** `--max-old-space-size` in the gateway's NODE_OPTIONS, MiB: V8's heap limit (the gateway dies with "JavaScript heap out of memory" there). */
  maxOldSpaceMb: z.number().nullable(),
  /** The gateway's V8 heap in use, from its own `status` RPC (an earlier probe's), bytes. */
  heapUsedBytes: z.number().nullable(),
  /** Samples behind the resident slope, and the time they span. */
  samples: z.number(),
  spanMs: z.number(),
  /** Least-squares slopes over the samples (up to 6 h), bytes per hour. */
  slopeBytesPerHour: z.number().nullable(),
  heapSlopeBytesPerHour: z.number().nullable(),
  /** Hours until the nearer limit at its slope (`hoursLeftTo` says which); null without a limit or growth. */
  hoursLeft: z.number().nullable(),
  hoursLeftTo: z.enum(["cgroup", "heap"]).nullable(),
  outlook: MemoryOutlook,
});
export type GatewayMemory = z.infer<typeof GatewayMemory>;

/**
 * clawops' own round trip to the gateway's `/readyz` (its HTTP server runs on the event loop
 * that serves every client) beside the gateway's own event-loop verdict in the same answer.
 */
export const GatewayResponsiveness = z.object({
  /** This probe's round trip, the median of three, ms; null when /readyz did not answer. */
  lastMs: z.number().nullable(),
  /** The median round trip of the earlier samples (up to 20), ms; null until there are 3. */
  baselineMs: z.number().nullable(),
  samples: z.number(),
  /** Probes in a row (up to 5) whose round trip was slow: at least 1 s and 5× the baseline. */
  slowStreak: z.number(),
  /** `/readyz` → `eventLoop.degraded`: the gateway's own verdict (delay ≥ 1 s, utilization ≥ 0.95, CPU ≥ 0.9). */
  gatewayDegraded: z.boolean().nullable(),
  gatewayReasons: z.array(z.string()),
  /** The gateway's figures behind its verdict (they change on every probe). */
  eventLoop: z
    .object({
      delayP99Ms: z.number().nullable(),
      delayMaxMs: z.number().nullable(),
      utilization: z.number().nullable(),
    })
    .optional(),
});
export type GatewayResponsiveness = z.infer<typeof GatewayResponsiveness>;

/** A chat credential the config names, by fingerprint only: two hosts polling one bot token see each other's 409. */
export const ChannelCredential = z.object({
  channel: z.string(),
  accountId: z.string(),
  /**
   * Which setting held it (`botToken`, `tokenFile`, `TELEGRAM_BOT_TOKEN`, `appToken`, `token`).
   * Not named `key`: the agent's redaction takes the value of any field whose name ends in key or token.
   */
  setting: z.string(),
  /** `sha256:` + 12 hex chars of the credential. */
  fingerprint: z.string(),
});
export type ChannelCredential = z.infer<typeof ChannelCredential>;

export const GatewayVitalsData = z.object({
  /** The pid of this config's running gateway (the one holding its gateway lock or port), or null. */
  pid: z.number().nullable(),
  memory: GatewayMemory.nullable(),
  responsiveness: GatewayResponsiveness.nullable(),
  channelCredentials: z.array(ChannelCredential),
  /**
   * Model providers the gateway's log put in cooldown in the 30 minutes before its newest line
   * (`Provider <p> is in cooldown`), from the last 64 KB of this gateway's log: a rate limit or an
   * outage many hosts share shows here on each of them. Absent from agents before issue 30.
   */
  providersInCooldown: z.array(z.string()).optional(),
  /** Why a part could not be read (procfs, cgroup, config), when one could not. */
  notes: z.array(z.string()).optional(),
});
export type GatewayVitalsData = z.infer<typeof GatewayVitalsData>;

export const gatewayVitals = defineStep({
  name: "gateway.vitals",
  args: NoArgs,
  result: GatewayVitalsData,
  // A few procfs and cgroup reads, the config, three GETs of /readyz: well under a second.
  deadlineMs: 2_000,
});

/** How OpenClaw would judge a lock's owner: it reclaims `dead` at the next start and waits on the rest. */
export const LockOwner = z.enum([
  /** The pid runs and is what the lock says (the same start time, or a gateway command line). */
  "alive",
  /** No such pid, or another process now (a different start time, or not a gateway command line). */
  "dead",
  /** Neither could be read (another user's process under hidepid, a pid from another namespace). */
  "unknown",
]);
export type LockOwner = z.infer<typeof LockOwner>;

export const GatewayLockFile = z.object({
  path: z.string(),
  /** `gateway.<sha256(configPath)[0..8]>.lock` of this host's config, or `gateway.state.lock` of its state dir. */
  kind: z.enum(["config", "state"]),
  pid: z.number().nullable(),
  createdAt: z.string().nullable(),
  port: z.number().nullable(),
  role: z.string().nullable(),
  owner: LockOwner,
  /** What the pid is now: its command name, when it runs. */
  ownerCommand: z.string().nullable(),
  /** A running process holds the lock file open (the live gateway does, for as long as it runs). */
  heldOpen: z.boolean(),
  parseError: z.string().optional(),
});
export type GatewayLockFile = z.infer<typeof GatewayLockFile>;

export const WriteLockFile = z.object({
  /** Relative to the state dir. */
  path: z.string(),
  pid: z.number().nullable(),
  createdAt: z.string().nullable(),
  /** Age from `createdAt` (else the file's mtime), ms. */
  ageMs: z.number(),
  owner: LockOwner,
  /** A session transcript lock (`agents/<id>/sessions/*.jsonl.lock`): only OpenClaw before SQLite sessions wrote them. */
  sessionTranscript: z.boolean(),
});
export type WriteLockFile = z.infer<typeof WriteLockFile>;

export const StateLocksData = z.object({
  stateDir: z.string(),
  /** `<stateDir>/tmp/openclaw-<uid>`, where the gateway keeps its locks. */
  lockDir: z.string(),
  gatewayLocks: z.array(GatewayLockFile),
  /** Write locks (`*.lock` sidecars: JSON `{pid, createdAt, starttime?}`) whose owner is dead or unknown, or older than 10 min; at most 20. */
  writeLocks: z.array(WriteLockFile),
  /** Lock files looked at, and whether the scan stopped at its bound. */
  scanned: z.number(),
  truncated: z.boolean(),
  error: z.string().optional(),
});
export type StateLocksData = z.infer<typeof StateLocksData>;

export const stateLocks = defineStep({
  name: "state.locks",
  args: NoArgs,
  result: StateLocksData,
  // A bounded directory walk of the state dir's lock folders and session folders.
  deadlineMs: 3_000,
});

/**
 * Log signatures of issue 30's field failures, each from the 2026.9.6 package's own strings
 * (dist/): chat channels restarting and polling twice, model credentials, locks, the event loop.
 */
export const FIELD_LOG_SIGNATURE_KINDS = [
  "telegram-getupdates-conflict",
  "polling-stall",
  "channel-exited",
  "channel-auto-restart",
  "channel-gave-up",
  "health-monitor-restart",
  "health-monitor-limit",
  "oauth-refresh-failed",
  "model-cooldown",
  "all-models-failed",
  "gateway-lock-timeout",
  "file-lock-stuck",
  "liveness-warning",
  "memory-pressure",
] as const;

/**
 * Whose log this is. OpenClaw's default file log (`/tmp/openclaw/openclaw-<date>.log`) is shared by
 * every gateway and CLI of the host; each start logs `spawn broker ready pid=<n>`, the pid of a
 * worker the gateway forks, so the newest such line names the gateway that last started here.
 */
export const LogAttribution = z.object({
  verdict: z.enum([
    /** The newest start in the file forked a worker of this config's running gateway. */
    "this-gateway",
    /** It forked a worker of a gateway that serves another config: nothing in it is this gateway's. */
    "other-gateway",
    /** The file is this config's own `logging.file`. */
    "configured",
    /** Nothing proves whose it is (the default shared log, and no running gateway of this config to match). */
    "unproven",
  ]),
  /** How it was decided, in one line a person can check. */
  how: z.string(),
});
export type LogAttribution = z.infer<typeof LogAttribution>;

/**
 * A chat account's traffic as the gateway's runtime reports it in `channels.status`: its
 * lifecycle, restarts, and how long since its transport (a long poll, a socket) and its last
 * inbound message showed life, in minutes by the gateway's own clock (`ts` of the answer).
 * `transportIdleMin` is cut to steps (0, 2, 5, 10, 30, 60, 180, 720, 1440) so a steady account
 * does not change what the watch compares; `inboundIdleMin` is exact and left out of it.
 */
export const ChannelAccountActivity = z.object({
  lifecycle: z.string().optional(),
  mode: z.string().optional(),
  restartPending: z.boolean().optional(),
  reconnectAttempts: z.number().optional(),
  transportIdleMin: z.number().optional(),
  inboundIdleMin: z.number().optional(),
  /** The account has received no inbound message since the gateway started it. */
  noInboundYet: z.boolean().optional(),
});

/** `models.authStatus`: when a provider's and each profile's credential expires (never the credential). */
export const ModelAuthExpiry = z.object({
  /** The soonest expiry among the provider's refreshable profiles (ms since epoch). */
  expiresAt: z.number().optional(),
  profiles: z
    .array(
      z.object({
        /** `<provider>:<name>`; an e-mail address in it is replaced by `<email>`. */
        profileId: z.string(),
        /** `oauth` (OpenClaw refreshes it), `token` (it cannot), `api_key`. */
        type: z.string(),
        status: z.string(),
        expiresAt: z.number().optional(),
        reasonCode: z.string().optional(),
      }),
    )
    .optional(),
});
