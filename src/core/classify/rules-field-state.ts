import type { StateFilesData, StorageVolume } from "../../contract/catalog.ts";
import type { Evidence } from "./evidence.ts";
import { healthzGreen, joinGreens } from "./false-greens.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, logProven, logSignature, newerThan, quoteSignature, timeOf } from "./log-evidence.ts";

/**
 * The gateway's state on disk (issue 30, classes 10, 11, 13), from `state.files` (the agent reads
 * files and statfs, never the live SQLite) and the gateway's own log lines. Wording measured on
 * OpenClaw 2026.9.6: a state database whose header is overwritten keeps serving (the gateway
 * works from what it holds open) while its next start is refused with exit 78 and "Doctor cannot
 * repair this state: shared state database is unreadable at <path>: file is not a database".
 */

const GiB = 1024 ** 3;

export function bytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

/** The gateway answers: its HTTP checks and the agent's session. */
const serving = (e: Evidence) => e["gateway.ws"]?.outcome === "hello-ok" || e["gateway.http"]?.healthz.status === 200;

const readyzGreen = (e: Evidence) => (e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null);

/** The SQLite files whose first bytes are not SQLite's header (an empty or missing file is not judged). */
function unreadableDatabases(sf: StateFilesData | undefined): StateFilesData["databases"] {
  return (sf?.databases ?? []).filter((d) => d.header === "not-sqlite" || d.header === "short");
}

function volumeLine(v: StorageVolume): string {
  const pct = v.totalBytes > 0 ? ` (${((v.freeBytes / v.totalBytes) * 100).toFixed(1)} %)` : "";
  return `filesystem of ${v.path} (holds ${v.holds.join(" and ")}): ${bytes(v.freeBytes)} free of ${bytes(v.totalBytes)}${pct}`;
}

function forecastLine(v: StorageVolume): string[] {
  const f = v.forecast;
  if (!f) return [];
  const hours = (f.sampleSpanMs / 3_600_000).toFixed(1);
  if (f.daysUntilFull === null)
    return [`free space on ${v.path} is not shrinking over the last ${hours} h (${f.sampleCount} samples)`];
  return [
    `free space on ${v.path} shrinks ${bytes(f.bytesPerDay)}/day over the last ${hours} h (${f.sampleCount} samples of the watch): full in about ${f.daysUntilFull < 1 ? `${(f.daysUntilFull * 24).toFixed(1)} h` : `${f.daysUntilFull.toFixed(1)} days`}`,
  ];
}

/** What uses the space: the log folder, the session databases and archives, the state database's WAL. */
function usageLines(e: Evidence): string[] {
  const sf = e["state.files"];
  if (!sf) return [];
  const lines: string[] = [];
  if (sf.logs && sf.logs.files > 0)
    lines.push(
      `gateway log folder ${sf.logs.dir}: ${sf.logs.files} file(s), ${bytes(sf.logs.totalBytes)}${sf.logs.largest ? `, largest ${sf.logs.largest.path} ${bytes(sf.logs.largest.sizeBytes)}` : ""}`,
    );
  if (sf.transcripts && sf.transcripts.files > 0)
    lines.push(
      `sessions and transcripts: ${sf.transcripts.files} file(s)${sf.transcripts.truncated ? " or more" : ""}, ${bytes(sf.transcripts.totalBytes)}${sf.transcripts.largest ? `, largest ${sf.transcripts.largest.path} ${bytes(sf.transcripts.largest.sizeBytes)}` : ""}`,
    );
  for (const d of sf.databases.filter((x) => x.role === "state"))
    lines.push(`${d.path}: ${bytes(d.sizeBytes)}${d.walBytes !== undefined ? `, WAL ${bytes(d.walBytes)}` : ""}`);
  return lines;
}

/** Volumes that are full or will be within a day. */
function fullVolumes(e: Evidence): StorageVolume[] {
  return (e["state.files"]?.volumes ?? []).filter(
    (v) => !v.error && (v.level === "critical" || v.forecast?.horizon === "day"),
  );
}

export const FIELD_STATE_RULES: readonly Rule[] = [
  {
    id: "state-db-corrupt",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "A gateway state database is not a readable SQLite file: the next start will be refused",
    explanation:
      "The gateway keeps devices, pairing, tokens, cron and exec approvals in state/openclaw.sqlite and each agent's " +
      "sessions in agents/<id>/agent/openclaw-agent.sqlite. One of them no longer begins with SQLite's header, or the " +
      "gateway logged that it is malformed or not a database. A gateway that is running keeps answering from what it " +
      "holds open, so /healthz and /readyz stay 200, but its next start is refused (exit 78, 'Doctor cannot repair this " +
      "state: shared state database is unreadable', seen on OpenClaw 2026.9.6). The gateway's own advice is to stop " +
      "OpenClaw and restore the file from a verified backup; it says doctor cannot repair it. Do not restart before a " +
      "backup is at hand.",
    nextCommands: [
      "head -c 16 <the database> | od -c   # a healthy file begins 'SQLite format 3'",
      "ls -l <state dir>/state/   # openclaw.sqlite and its -wal/-shm",
      "stop the gateway and every openclaw process using this state, then restore the file from a verified backup",
      "openclaw gateway start   # after the restore",
    ],
    falseGreen: (e) => (serving(e) ? joinGreens(healthzGreen(e), readyzGreen(e)) : null),
    match(e) {
      const bad = unreadableDatabases(e["state.files"]).map(
        (d) =>
          `${d.path} (${d.role} database, ${bytes(d.sizeBytes)}): ${d.header === "short" ? "shorter than a SQLite header" : "does not begin with the SQLite header"}`,
      );
      // Another gateway's "file is not a database" in the shared default log is not this one's.
      const logged =
        logProven(e) && newerThan(e, "state-db-corrupt", ["gateway-ready"])
          ? quoteSignature(e, "state-db-corrupt", 2)
          : [];
      if (bad.length === 0 && logged.length === 0) return null;
      return [...bad, ...logged, ...lastReadyLine(e)];
    },
  },
  {
    id: "state-db-sidecar-deleted",
    layer: "process",
    severity: "fail",
    confidence: "medium",
    title: "The gateway still maps a SQLite file that was deleted (a -shm or -wal removed under it)",
    explanation:
      "/proc/<pid>/maps shows the gateway holding a SQLite file (usually openclaw.sqlite-shm, the WAL index) that was " +
      "deleted while it ran, by a cleanup script, a backup tool or a person. The gateway keeps using its copy; the next " +
      "process that opens the same database (the gateway's own read-only worker, the openclaw CLI, doctor) creates a new " +
      "one, and two processes with different WAL indexes can read stale pages or corrupt the database. Nothing in the " +
      "gateway's health checks notices. A restart lets SQLite rebuild the index from the WAL.",
    nextCommands: [
      "grep -e '.sqlite' /proc/<gateway pid>/maps | grep deleted",
      "openclaw gateway restart   # soon, and before running other openclaw commands against this state",
    ],
    falseGreen: (e) => (serving(e) ? joinGreens(healthzGreen(e), readyzGreen(e)) : null),
    match(e) {
      const mapped = e["state.files"]?.mappedDeleted ?? [];
      if (mapped.length === 0) return null;
      return mapped.slice(0, 4).map((m) => `gateway pid ${m.pid} maps ${m.path} (deleted)`);
    },
  },
  {
    id: "disk-full-soon",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "The disk holding the gateway's state or log is full, or will be within a day",
    explanation:
      "The filesystem where the gateway keeps its state (or writes its log) has almost no free space left, or the " +
      "watch's samples show it filling within a day. SQLite writes then fail with 'database or disk is full' (OpenClaw " +
      "does not treat it as transient: an unhandled one ends the gateway process), sessions and cron runs stop being " +
      "recorded, and a restart may not come back. The lines below say what uses the space: the log folder, session " +
      "databases and transcripts, the " +
      "state database's write-ahead log.",
    nextCommands: [
      "df -h <state dir> <log folder>",
      "du -sh <state dir>/agents/*/sessions <state dir>/agents/*/agent <log folder>",
      "openclaw config get logging.maxFileBytes   # the file log rotates at this size, five archives kept",
      "free space (old logs, archived transcripts), then: openclaw gateway status",
    ],
    falseGreen: (e) => (serving(e) ? joinGreens(healthzGreen(e), readyzGreen(e)) : null),
    match(e) {
      const full = fullVolumes(e);
      const logged = newerThan(e, "state-db-full", ["gateway-ready"]) ? quoteSignature(e, "state-db-full", 2) : [];
      if (full.length === 0 && logged.length === 0) return null;
      return [...full.flatMap((v) => [volumeLine(v), ...forecastLine(v)]), ...logged, ...usageLines(e)];
    },
  },
  {
    id: "disk-filling",
    layer: "process",
    severity: "warn",
    confidence: "medium",
    title: "Free space where the gateway keeps its state is running low",
    explanation:
      "The filesystem holding the gateway's state or log has under 10 % (or 2 GiB) free, or the watch's samples show it " +
      "filling within a week. Nothing fails yet; when it is full SQLite writes fail and sessions stop being recorded. " +
      "The lines below say what uses the space.",
    nextCommands: [
      "df -h <state dir> <log folder>",
      "du -sh <state dir>/agents/*/sessions <state dir>/agents/*/agent <log folder>",
      "openclaw config get logging.maxFileBytes",
    ],
    match(e) {
      if (fullVolumes(e).length > 0) return null;
      const low = (e["state.files"]?.volumes ?? []).filter(
        (v) => !v.error && (v.level === "low" || v.forecast?.horizon === "week"),
      );
      if (low.length === 0) return null;
      return [...low.flatMap((v) => [volumeLine(v), ...forecastLine(v)]), ...usageLines(e)];
    },
  },
  {
    id: "state-db-busy",
    layer: "process",
    severity: "warn",
    confidence: "medium",
    title: "The gateway's state database was locked by another writer (database is locked)",
    explanation:
      "Since its last start the gateway logged SQLite's 'database is locked' (SQLITE_BUSY) for an operation, not for its " +
      "own housekeeping: a read or write waited for a lock it did not get in time, and the gateway moved on without it. " +
      "OpenClaw treats it as transient; if it repeats, check what else holds the database and the storage. Usual " +
      "causes: another process holding the database open for writing (a backup tool, a sqlite3 shell, a second gateway " +
      "or CLI on the same state folder) or storage too slow for SQLite's locks (a network filesystem). Writes that lost " +
      "the race (a session, a pairing, a cron run) may be missing.",
    nextCommands: [
      "fuser -v <state dir>/state/openclaw.sqlite   # who else has it open",
      "openclaw logs --limit 200 --plain | grep -i 'locked'",
      "openclaw gateway status --deep   # other gateways on this state",
    ],
    match(e) {
      if (!newerThan(e, "state-db-busy", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "state-db-busy", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "config-auto-restored",
    layer: "config",
    severity: "warn",
    confidence: "high",
    title: "OpenClaw replaced openclaw.json with its backup: an edit was set aside",
    explanation:
      "OpenClaw restored openclaw.json from its backup (openclaw.json.bak or .last-good) because the file it read looked " +
      "clobbered (gateway.mode gone, a large size drop, missing metadata) or did not validate, and saved what it replaced " +
      "as openclaw.json.clobbered.<time>. Whatever that edit changed is not in effect, and nothing on the console said " +
      "so. The keys that differ are listed by name (values stay on the host).",
    nextCommands: [
      "ls -l <config dir>/openclaw.json*   # the .clobbered copy and the backups",
      "diff <(jq -S . <config dir>/openclaw.json.clobbered.<time>) <(jq -S . <config dir>/openclaw.json)",
      "re-apply the intended change with openclaw config set, then: openclaw config validate",
    ],
    falseGreen: (e) =>
      serving(e) ? "`openclaw config get` shows the restored values and the gateway reports healthy" : null,
    match(e) {
      const lines: string[] = [];
      const newest = e["state.files"]?.clobbered?.[0];
      const cfgAt = timeOf(e.config?.modifiedAt);
      const at = timeOf(newest?.modifiedAt);
      // The current file is still the one OpenClaw restored (written right after the copy was set aside).
      if (newest && at !== null && (cfgAt === null || cfgAt <= at + 60_000)) {
        lines.push(
          `${newest.path} (${newest.modifiedAt}): set aside by OpenClaw${newest.changedKeys.length ? `; keys that differ from the current file: ${newest.changedKeys.join(", ")}` : newest.error ? ` (${newest.error})` : ""}`,
        );
      }
      // The log line alone: the file has not been edited since that restore.
      const sig = logSignature(e, "config-auto-restored");
      const restoredAt = timeOf(sig?.lastAt);
      if (sig && (cfgAt === null || restoredAt === null || cfgAt <= restoredAt + 60_000))
        lines.push(...quoteSignature(e, "config-auto-restored", 2));
      return lines.length > 0 ? lines : null;
    },
  },
];
