import { homedir } from "node:os";
import { join } from "node:path";
import type { GatewayMemory, GatewayResponsiveness } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { httpFetch } from "../http-client.ts";
import { compareCodeUnits, isoMillis } from "../icu-free.ts";
import { monotonicMs } from "../monotonic.ts";
import { fingerprintedCredentials } from "./channel-secrets.ts";
import type { ProbeContext } from "./context.ts";
import { resolveGatewayTarget } from "./gateway-target.ts";
import type { GatewayProcess } from "./host/gateway-processes.ts";
import { readText } from "./host/proc-processes.ts";
import { attributeLog } from "./log-attribution.ts";
import { parseLogLine } from "./log-signatures.ts";
import { firstLogFile, logCandidates } from "./logs.ts";
import type { ConfigReading } from "./openclaw-config.ts";
import { budget, type Probe, type ProbeRun } from "./probe.ts";
import { readTail } from "./read-tail.ts";
import { heapTrend, hoursUntil, median, memoryOutlook, noteLatency, noteMemory } from "./vital-samples.ts";

/**
 * `gateway.vitals` (issue 30): the gateway's memory against its limits and its answer time
 * against the gateway's own event-loop verdict, each over the agent's samples (one per watch
 * probe), and the chat credentials its config names, by fingerprint. procfs, cgroupfs, the
 * config and `/readyz`: no CLI, no RPC.
 */
export const probeGatewayVitals: Probe<"gateway.vitals"> = async (ctx, _args, run) => {
  const notes: string[] = [];
  const [own, config] = await Promise.all([run.readings.ownGateways().catch(() => []), run.readings.config()]);
  const gateway = own[0];
  const target = await resolveGatewayTarget(ctx, run.readings);
  const [memory, responsiveness, channelCredentials, cooldowns] = await Promise.all([
    gateway ? readMemory(ctx, gateway).catch((err) => note(notes, "memory", err)) : null,
    readResponsiveness(target.httpUrl, gateway?.pid ?? null, budget(run, 1_500), run.signal, target.tls?.sha256),
    run.readings.channelSecrets().then(fingerprintedCredentials),
    recentCooldowns(ctx, config, run).catch(() => []),
  ]);
  return {
    pid: gateway?.pid ?? null,
    memory,
    responsiveness,
    channelCredentials,
    providersInCooldown: cooldowns,
    ...(notes.length > 0 ? { notes } : {}),
  };
};

function note(notes: string[], what: string, err: unknown): null {
  notes.push(`${what}: ${errorMessage(err)}`.slice(0, 200));
  return null;
}

// ---------------------------------------------------------------------------------------------
// Memory

const MIB = 1024 * 1024;
/** cgroup v1 writes "no limit" as a page-rounded 2^63-1; anything past 2^62 bytes is none. */
const NO_LIMIT = 2 ** 62;

async function readMemory(ctx: ProbeContext, g: GatewayProcess): Promise<GatewayMemory> {
  const pids = [g.pid, ...g.workers.map((w) => w.pid)];
  const rss = (await Promise.all(pids.map((pid) => vmRssBytes(ctx.procRoot, pid)))).reduce<number>(
    (sum, b) => sum + (b ?? 0),
    0,
  );
  const limit = await cgroupMemoryLimit(ctx.procRoot, ctx.cgroupRoot ?? "/sys/fs/cgroup", g.pid);
  const maxOldSpaceMb = maxOldSpace(g.env?.NODE_OPTIONS);
  const now = Date.now();
  const rssTrend = noteMemory(g.pid, now, rss);
  const heap = heapTrend(g.pid, now);
  const rssHours = hoursUntil(limit?.bytes ?? null, rss, rssTrend.slopeBytesPerHour);
  const heapHours =
    maxOldSpaceMb !== null && heap.lastBytes !== null
      ? hoursUntil(maxOldSpaceMb * MIB, heap.lastBytes, heap.slopeBytesPerHour)
      : null;
  const nearer =
    rssHours === null && heapHours === null
      ? null
      : heapHours === null || (rssHours !== null && rssHours <= heapHours)
        ? "cgroup"
        : "heap";
  const hoursLeft = nearer === "cgroup" ? rssHours : nearer === "heap" ? heapHours : null;
  const slopeKnown =
    (limit !== null && rssTrend.slopeBytesPerHour !== null) ||
    (maxOldSpaceMb !== null && heap.slopeBytesPerHour !== null);
  return {
    rssBytes: rss,
    limitBytes: limit?.bytes ?? null,
    limitSource: limit?.source ?? null,
    maxOldSpaceMb,
    heapUsedBytes: heap.lastBytes,
    samples: rssTrend.samples,
    spanMs: rssTrend.spanMs,
    slopeBytesPerHour: round(rssTrend.slopeBytesPerHour),
    heapSlopeBytesPerHour: round(heap.slopeBytesPerHour),
    hoursLeft: hoursLeft === null ? null : Math.round(hoursLeft * 10) / 10,
    hoursLeftTo: nearer,
    outlook: memoryOutlook(hoursLeft, slopeKnown),
  };
}

const round = (n: number | null) => (n === null ? null : Math.round(n));

async function vmRssBytes(procRoot: string, pid: number): Promise<number | null> {
  const status = (await readText(join(procRoot, String(pid), "status"))) ?? "";
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

/**
 * The tightest memory limit on the gateway: cgroup v2 `memory.max` or v1
 * `memory.limit_in_bytes`, of its cgroup and every parent (a container sees its own cgroup as
 * the root of the mount, so a path that does not exist there falls back to the mount's root).
 */
export async function cgroupMemoryLimit(
  procRoot: string,
  cgroupRoot: string,
  pid: number,
): Promise<{ bytes: number; source: string } | null> {
  const text = (await readText(join(procRoot, String(pid), "cgroup"))) ?? "";
  const found: { bytes: number; source: string }[] = [];
  for (const line of text.split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (path === undefined) continue;
    const v2 = controllers === "";
    if (!v2 && !controllers?.split(",").includes("memory")) continue;
    const mount = v2 ? cgroupRoot : join(cgroupRoot, "memory");
    const file = v2 ? "memory.max" : "memory.limit_in_bytes";
    for (const dir of ancestors(path)) {
      const source = join(mount, dir, file);
      const raw = (await readText(source))?.trim();
      if (raw === undefined || raw === "max") continue;
      const bytes = Number(raw);
      if (Number.isFinite(bytes) && bytes > 0 && bytes < NO_LIMIT) found.push({ bytes, source });
    }
  }
  return found.sort((a, b) => a.bytes - b.bytes)[0] ?? null;
}

function ancestors(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, parts.length - i).join("/")}`).concat("/");
}

export function maxOldSpace(nodeOptions: string | undefined): number | null {
  const m = /--max[-_]old[-_]space[-_]size[= ](\d+)/.exec(nodeOptions ?? "");
  return m?.[1] ? Number(m[1]) : null;
}

// ---------------------------------------------------------------------------------------------
// Providers in cooldown (the watch's only log read: 64 KB, one pattern)

const COOLDOWN_TAIL_BYTES = 64 * 1024;
const COOLDOWN_WINDOW_MS = 30 * 60 * 1000;
const COOLDOWN = /\bProvider (\S+) is in cooldown/g;
const COOLDOWN_TEXT = "is in cooldown";

/**
 * Providers named `Provider <p> is in cooldown` (dist model-fallback-runner) within 30 min of the
 * newest line of this gateway's log. The default log is shared by every gateway on the host: one
 * whose newest start is another gateway's is not read (log-attribution.ts).
 */
async function recentCooldowns(ctx: ProbeContext, config: ConfigReading, run: ProbeRun): Promise<string[]> {
  const path = await firstLogFile(logCandidates(config.logFile, ctx.env.HOME ?? homedir(), new Date()));
  if (!path) return [];
  const { text } = await readTail(path, COOLDOWN_TAIL_BYTES);
  // Nearly always none: then no line is parsed (64 KB of JSON lines, every watch interval).
  if (!text.includes(COOLDOWN_TEXT)) return [];
  if (!config.logFile) {
    const whose = await attributeLog(text, false, config.path, ctx.procRoot, run.readings);
    if (whose.verdict === "other-gateway") return [];
  }
  const lines = text.split("\n").map(parseLogLine);
  const newest = lines.reduce<number>((t, l) => Math.max(t, l?.time ? isoMillis(l.time) || 0 : 0), 0);
  const providers = new Set<string>();
  for (const line of lines) {
    if (!line?.text.includes(COOLDOWN_TEXT)) continue;
    const at = line.time ? isoMillis(line.time) : Number.NaN;
    if (Number.isFinite(at) && newest - at > COOLDOWN_WINDOW_MS) continue;
    for (const m of line.text.matchAll(COOLDOWN)) if (m[1]) providers.add(m[1].slice(0, 60));
  }
  return [...providers].sort(compareCodeUnits).slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Responsiveness

const READYZ_SAMPLES = 3;
const READYZ_SPACING_MS = 100;
const MAX_BODY_BYTES = 16 * 1024;

async function readResponsiveness(
  baseUrl: string,
  pid: number | null,
  budgetMs: number,
  signal: AbortSignal,
  tlsPinSha256?: string | null,
): Promise<GatewayResponsiveness | null> {
  const deadline = monotonicMs() + budgetMs;
  const times: number[] = [];
  let body: unknown;
  for (let i = 0; i < READYZ_SAMPLES && !signal.aborted; i++) {
    const left = deadline - monotonicMs();
    if (left < 50) break;
    const started = monotonicMs();
    try {
      const res = await httpFetch(`${baseUrl}/readyz`, {
        headers: { Accept: "application/json" },
        maxBodyBytes: MAX_BODY_BYTES,
        signal: AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(left))]),
        ...(tlsPinSha256 ? { tlsPinSha256 } : {}),
      });
      times.push(monotonicMs() - started);
      body ??= parseJson(res.body.toString("utf8"));
    } catch {
      // Too slow for the budget: the first request's wait is a lower bound of its round trip; a
      // later one cut short by what the first ones used says nothing. Refused: no sample.
      const waited = monotonicMs() - started;
      if (times.length === 0 && waited >= left - 5) times.push(waited);
      break;
    }
    if (i < READYZ_SAMPLES - 1) await sleep(READYZ_SPACING_MS, signal);
  }
  if (times.length === 0 && pid === null) return null;
  const lastMs = times.length > 0 ? Math.round(median(times)) : null;
  const trend = pid === null ? { baselineMs: null, samples: 0, slowStreak: 0 } : noteLatency(pid, lastMs);
  const loop = record(record(body).eventLoop);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    lastMs,
    baselineMs: trend.baselineMs === null ? null : Math.round(trend.baselineMs),
    samples: trend.samples,
    slowStreak: trend.slowStreak,
    gatewayDegraded: typeof loop.degraded === "boolean" ? loop.degraded : null,
    gatewayReasons: Array.isArray(loop.reasons)
      ? loop.reasons.filter((r): r is string => typeof r === "string").slice(0, 5)
      : [],
    ...(Object.keys(loop).length > 0
      ? {
          eventLoop: {
            delayP99Ms: num(loop.delayP99Ms),
            delayMaxMs: num(loop.delayMaxMs),
            utilization: num(loop.utilization),
          },
        }
      : {}),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
