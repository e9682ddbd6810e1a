import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { ownGatewayProcesses } from "./gateway-processes.ts";
import { lastReadyLine, newerThan, quoteSignature } from "./log-evidence.ts";

/**
 * The gateway process over time (issue 30, classes 6–9): lock files a dead process left, memory
 * growing toward a limit, an event loop that answers late. Sources, OpenClaw 2026.9.6: dist
 * gateway-lock-*.mjs (the lock's owner judged dead → reclaimed at start; any other verdict → the
 * start waits 5 s and fails `gateway already running (pid N); lock timeout after 5000ms`),
 * @openclaw/fs-safe's sidecar locks (`file lock timeout for <path>`, `file lock stale for <path>`),
 * diagnostic-*.mjs (event loop degraded at a delay ≥ 1 s, utilization ≥ 0.95 or CPU ≥ 0.9;
 * `liveness warning: reasons=…`; `memory pressure: level=…`), and the agent's own samples
 * (`gateway.vitals`).
 */

const GIB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;

/** This config's gateway does not serve now (no running gateway process of it). */
function noGatewayServing(e: Evidence): boolean {
  const pl = e["port.listeners"];
  return pl !== undefined && ownGatewayProcesses(pl).length === 0;
}

type Lock = NonNullable<Evidence["state.locks"]>["gatewayLocks"][number];

function lockLine(l: Lock): string {
  const owner =
    l.owner === "dead"
      ? l.ownerCommand
        ? `pid ${l.pid} is now \`${l.ownerCommand}\`, not the process that wrote it`
        : `pid ${l.pid} is not running`
      : l.owner === "unknown"
        ? `pid ${l.pid ?? "?"} cannot be judged (its command line and start time are unreadable)`
        : `pid ${l.pid} runs \`${l.ownerCommand ?? "?"}\`${l.heldOpen ? "" : " and does not hold the lock open"}`;
  return `gateway lock ${l.path}${l.createdAt ? ` (written ${l.createdAt})` : ""}: ${owner}`;
}

/**
 * Locks a start would wait on: an owner OpenClaw cannot call dead, with no gateway of this config
 * serving, and no gateway process holding the lock open (one that does is a gateway, not a leftover).
 */
function blockingLocks(e: Evidence): Lock[] {
  if (!noGatewayServing(e)) return [];
  return (e["state.locks"]?.gatewayLocks ?? []).filter((l) => l.owner !== "dead" && !l.heldOpen && !l.parseError);
}

export const FIELD_PROCESS_RULES: readonly Rule[] = [
  {
    id: "gateway-lock-blocks-start",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "A leftover gateway lock stops the gateway from starting",
    explanation:
      "No gateway of this config runs, and its gateway lock names an owner OpenClaw will not take the lock from: at " +
      "start it reclaims a lock whose owner is dead (no such pid, a different start time, or a command line that is not " +
      "a gateway's), and waits on any other for 5 s, then fails 'gateway already running (pid N)'. That happens when " +
      "the pid now belongs to a process it cannot read (another user's, another pid namespace) or to something whose " +
      "command line looks like a gateway (any `openclaw … gateway …` command) and the lock records no start time.",
    nextCommands: [
      "cat <lock path>; ps -o pid,lstart,args -p <pid>   # who the pid is now",
      "stop that process if it is a stray gateway; else remove the lock file (the gateway is not running)",
      "openclaw gateway restart",
    ],
    match(e) {
      const blocking = blockingLocks(e);
      const refused = newerThan(e, "gateway-lock-timeout", ["gateway-ready"]);
      if (blocking.length === 0 && !refused) return null;
      return [...quoteSignature(e, "gateway-lock-timeout", 2), ...blocking.map(lockLine), ...lastReadyLine(e)];
    },
  },
  {
    id: "gateway-lock-stale",
    layer: "process",
    severity: "warn",
    confidence: "high",
    title: "The last gateway did not stop cleanly: its lock is still there",
    explanation:
      "No gateway of this config runs, and its gateway lock still names the process that last held it, which has " +
      "exited: it was killed (SIGKILL, the OOM killer) or crashed, since a clean stop removes the lock. OpenClaw " +
      "2026.9.6 reclaims such a lock at the next start, so it does not block one by itself; it says how the gateway went down.",
    nextCommands: [
      "journalctl -k -n 50 | grep -i -e oom -e killed   # or the service manager's journal",
      "openclaw gateway restart",
    ],
    match(e) {
      if (!noGatewayServing(e)) return null;
      const dead = (e["state.locks"]?.gatewayLocks ?? []).filter((l) => l.owner === "dead");
      return dead.length > 0 ? dead.map(lockLine) : null;
    },
  },
  {
    id: "stale-write-lock",
    layer: "workspace",
    severity: "warn",
    confidence: "medium",
    title: "A write lock in the gateway's state is held by a process that is gone (or stuck)",
    explanation:
      "A `.lock` file beside a file the gateway writes (a session transcript, the auth profiles, the config) names an " +
      "owner that has exited, or one that has held it for more than 10 minutes (a write takes milliseconds). OpenClaw " +
      "2026.9.6 takes most of its own locks back once their owner is gone; a lock it keeps fail-closed makes the next " +
      "writer fail with 'file lock stale for <path>', and one whose owner still runs makes it wait and fail with " +
      "'file lock timeout for <path>'. Either error surfaces elsewhere: a turn that fails, a model fallback chain that " +
      "fails on every model, a refresh that cannot be saved. `*.jsonl.lock` transcript locks are written by OpenClaw " +
      "versions that keep sessions as JSONL files (2026.9.6 keeps them in SQLite and writes none), which wait on them.",
    nextCommands: [
      "cat <stateDir>/<lock path>; ps -o pid,lstart,args -p <pid>",
      "remove the lock file once its owner is gone (never one a live process holds)",
      "openclaw logs --limit 200 --plain | grep 'file lock'",
    ],
    match(e) {
      const locks = e["state.locks"]?.writeLocks ?? [];
      const lines = locks
        .slice(0, 5)
        .map(
          (l) =>
            `${l.path}: ${l.owner === "dead" ? `owner pid ${l.pid ?? "?"} is gone` : l.owner === "unknown" ? "owner cannot be read" : `held by pid ${l.pid} for ${Math.round(l.ageMs / 60_000)} min`}${l.sessionTranscript ? " (session transcript lock)" : ""}, written ${l.createdAt ?? `${Math.round(l.ageMs / 60_000)} min ago`}`,
        );
      if (lines.length === 0) return null;
      return [...lines, ...quoteSignature(e, "file-lock-stuck", 2)];
    },
  },
  {
    id: "memory-limit-imminent",
    layer: "process",
    severity: "fail",
    confidence: "medium",
    title: "The gateway's memory will reach its limit within hours: an OOM kill is coming",
    explanation:
      "Over the agent's samples (one per watch probe), the gateway's resident memory or V8 heap grows steadily, and at " +
      "that rate it reaches its limit (the cgroup's memory limit: the OOM killer; or --max-old-space-size: 'JavaScript " +
      "heap out of memory') within 6 hours. Nothing fails yet: health checks stay green until the kill, which drops " +
      "every client. A restart in a quiet moment resets the growth; the growth itself is the bug to report.",
    nextCommands: [
      "openclaw gateway stability --json   # what it was doing",
      "openclaw logs --limit 300 --plain | grep -i 'memory pressure'",
      "openclaw gateway restart   # in a quiet moment, before the kill",
    ],
    falseGreen: (e) =>
      e["gateway.http"]?.healthz.status === 200 ? "/healthz 200 (it answers until the moment it is killed)" : null,
    match(e) {
      const m = e["gateway.vitals"]?.memory;
      return m?.outlook === "limit-within-6h" ? memoryLines(e) : null;
    },
  },
  {
    id: "memory-growing-to-limit",
    layer: "process",
    severity: "warn",
    confidence: "medium",
    title: "The gateway's memory grows toward its limit",
    explanation:
      "Over the agent's samples (one per watch probe), the gateway's resident memory or V8 heap grows steadily, and at " +
      "that rate it reaches its limit within 72 hours (the cgroup's memory limit, or --max-old-space-size). Found now, " +
      "before the kill: plan a restart, and report the growth.",
    nextCommands: [
      "openclaw gateway stability --json",
      "openclaw logs --limit 300 --plain | grep -i 'memory pressure'",
    ],
    match(e) {
      const o = e["gateway.vitals"]?.memory?.outlook;
      return o === "limit-within-24h" || o === "limit-within-72h" ? memoryLines(e) : null;
    },
  },
  {
    id: "event-loop-starved",
    layer: "transport",
    severity: "fail",
    confidence: "medium",
    title: "The gateway is ready but answers late: its event loop is starved",
    explanation:
      "clawops' own round trips to the gateway's /readyz took a second or more, and at least 5 times this gateway's " +
      "usual, probe after probe. Its HTTP server shares the event loop with every client's WebSocket, so clients wait " +
      "too, and time out. The gateway's own event-loop verdict is quoted beside it; when it says not degraded, it " +
      "missed the stall (it judges delays of 1 s and more, between its own samples) or the process is starved from " +
      "outside: CPU throttled by its cgroup, stopped and resumed, swapping.",
    nextCommands: [
      "openclaw gateway stability --json   # the phases that took long",
      "top -p <gateway pid>; cat /sys/fs/cgroup/<its cgroup>/cpu.stat   # throttling",
      "openclaw logs --limit 300 --plain | grep 'liveness warning'",
    ],
    falseGreen: (e) => {
      const r = e["gateway.vitals"]?.responsiveness;
      const verdict =
        r?.gatewayDegraded === false ? "/readyz eventLoop.degraded false (the gateway's own event-loop verdict)" : null;
      const ready = e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null;
      return [verdict, ready].filter(Boolean).join("; ") || null;
    },
    match(e) {
      const r = e["gateway.vitals"]?.responsiveness;
      if (!r || r.slowStreak < 2) return null;
      return [
        `clawops → /readyz: ${r.lastMs ?? "no answer"} ms now, ${r.slowStreak} probes in a row slow; usual ${r.baselineMs ?? "?"} ms (median of ${r.samples})`,
        gatewayVerdict(r),
        ...quoteSignature(e, "liveness-warning", 1),
      ];
    },
  },
  {
    id: "event-loop-degraded",
    layer: "transport",
    severity: "warn",
    confidence: "medium",
    title: "The gateway reports its own event loop degraded",
    explanation:
      "The gateway's own monitor says its event loop is degraded (a delay of 1 s or more, utilization ≥ 0.95, or CPU " +
      "≥ 0.9 of a core) and logged a liveness warning since it started. clawops' round trips are quoted beside it: " +
      "when they are still fast, the gateway is busy rather than starved, and its answer times are the next thing to watch.",
    nextCommands: ["openclaw gateway stability --json", "openclaw logs --limit 300 --plain | grep 'liveness warning'"],
    match(e) {
      const r = e["gateway.vitals"]?.responsiveness;
      if (!r?.gatewayDegraded || r.slowStreak >= 2 || !newerThan(e, "liveness-warning", ["gateway-ready"])) return null;
      return [
        gatewayVerdict(r),
        `clawops → /readyz: ${r.lastMs ?? "no answer"} ms now; usual ${r.baselineMs ?? "not known yet"}${r.baselineMs === null ? "" : " ms"}`,
        ...quoteSignature(e, "liveness-warning", 1),
      ];
    },
  },
];

function gatewayVerdict(r: NonNullable<NonNullable<Evidence["gateway.vitals"]>["responsiveness"]>): string {
  const figures = r.eventLoop
    ? ` (delay p99 ${r.eventLoop.delayP99Ms ?? "?"} ms, max ${r.eventLoop.delayMaxMs ?? "?"} ms, utilization ${r.eventLoop.utilization ?? "?"})`
    : "";
  if (r.gatewayDegraded === null) return "the gateway's own event-loop verdict: not in its /readyz answer";
  return r.gatewayDegraded
    ? `the gateway's own verdict: degraded, reasons ${r.gatewayReasons.join(", ") || "?"}${figures}`
    : `the gateway's own verdict: not degraded${figures}`;
}

function memoryLines(e: Evidence): string[] {
  const m = e["gateway.vitals"]?.memory;
  if (!m) return [];
  const rate = (b: number | null) => (b === null ? "?" : `${(b / 1024 ** 2).toFixed(0)} MiB/h`);
  const limit =
    m.hoursLeftTo === "heap"
      ? `V8 heap ${m.heapUsedBytes === null ? "?" : gib(m.heapUsedBytes)} of --max-old-space-size=${m.maxOldSpaceMb} MiB, growing ${rate(m.heapSlopeBytesPerHour)}`
      : `resident ${gib(m.rssBytes)} of ${m.limitBytes === null ? "?" : gib(m.limitBytes)} (${m.limitSource ?? "?"}), growing ${rate(m.slopeBytesPerHour)}`;
  return [
    `gateway pid ${e["gateway.vitals"]?.pid ?? "?"}: ${limit}; at that rate the limit is reached in about ${m.hoursLeft?.toFixed(1) ?? "?"} h (${m.samples} samples over ${Math.round(m.spanMs / 60_000)} min)`,
    ...quoteSignature(e, "memory-pressure", 1),
  ];
}
