import type { StepRequest } from "../../contract/catalog.ts";
import { QUICK_PROBE_DEADLINE_MS, quickProbeSteps } from "../../contract/watch.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FleetHostState, FleetRow, ProbeTarget } from "../ports/fleet.ts";
import type { HostRecord } from "../ports/store.ts";
import type { JobOutcome } from "../ports/transport.ts";
import type { FleetSelector } from "../requests/command.ts";
import { globMatches } from "../vocabulary/hosts.ts";
import { LAYERS, type Layer } from "../vocabulary/layers.ts";
import { rowFor } from "./row.ts";
import type { VersionDrift } from "./versions.ts";

/**
 * `/openclaw status <selector>`: one quick probe per matching host, all at once, under ONE
 * deadline; then one fleet matrix. Only the fast steps run (no CLI call: those take seconds,
 * GATEWAY-FACTS §3), so a healthy fleet answers well inside the deadline.
 */
export const FLEET_DEADLINE_MS = QUICK_PROBE_DEADLINE_MS;

/** Hosts sent their probe in one turn of the event loop (see probeFleet). */
const SEND_SLICE = 250;

/**
 * The fast probes: socket, HTTP, listeners, config file, vitals, TLS. Each bounded below the
 * fleet deadline. The same steps the agents' watch runs (contract/watch.ts).
 */
export function quickSteps(deadlineMs: number): StepRequest[] {
  return quickProbeSteps(deadlineMs);
}

/** Rows per state; `stale` and `unwatched` only from the watch. */
export type FleetCounts = Record<Exclude<FleetHostState, "stale" | "unwatched">, number> & {
  stale?: number;
  unwatched?: number;
};

export interface FleetReport {
  selector: FleetSelector;
  rows: FleetRow[];
  counts: FleetCounts;
  /** Layers that at least one answering host had an opinion on (the matrix columns). */
  columns: Layer[];
  deadlineMs: number;
  elapsedMs: number;
  /** `watch`: read from the stored watch state (no probe ran); absent: the live fan-out. */
  source?: "watch";
  /** Core and plugin versions, lockstep and known issues by version (absent: nothing to say). */
  versions?: VersionDrift;
}

/** Worst first: broken, then silent, then offline, then degraded, then fine. */
const STATE_RANK: Record<FleetHostState, number> = {
  fail: 4,
  "no-answer": 3,
  stale: 3,
  offline: 2,
  unwatched: 2,
  warn: 1,
  ok: 0,
};

export function emptyCounts(): FleetCounts {
  return { ok: 0, warn: 0, fail: 0, "no-answer": 0, offline: 0 };
}

export function countRows(rows: readonly FleetRow[]): FleetCounts {
  const counts = emptyCounts();
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}

/** Worst first, then by failing layers, then by name. */
export function sortRows(rows: FleetRow[]): void {
  rows.sort((a, b) => STATE_RANK[b.state] - STATE_RANK[a.state] || failCount(b) - failCount(a) || cmp(a.host, b.host));
}

export function selectHosts(hosts: readonly HostRecord[], selector: FleetSelector): HostRecord[] {
  const live = hosts.filter((h) => h.revokedAt === null);
  switch (selector.kind) {
    case "all":
      return live;
    case "pattern":
      return live.filter((h) => globMatches(selector.glob, h.name));
    case "tag":
      return live.filter((h) => h.tags?.includes(selector.tag));
  }
}

export function describeSelector(s: FleetSelector): string {
  return s.kind === "all" ? "all hosts" : s.kind === "pattern" ? `hosts matching ${s.glob}` : `hosts tagged ${s.tag}`;
}

/**
 * Fans the quick probe out and waits at most `deadlineMs` in total: through the runtime's
 * `fleetFanout` when it has one (Workers: fan-out objects, each calling a few hundred hosts),
 * else from here (`probeHosts`). Then one report, worst first.
 */
export async function probeFleet(
  deps: Pick<CoreDeps, "store" | "transport" | "clock" | "ids" | "logger" | "fleetFanout">,
  selector: FleetSelector,
  opts: { deadlineMs?: number } = {},
): Promise<FleetReport> {
  const deadlineMs = opts.deadlineMs ?? FLEET_DEADLINE_MS;
  const started = deps.clock.now();
  const hosts = selectHosts(await deps.store.listHosts(), selector);
  const rows =
    hosts.length > 0 && deps.fleetFanout
      ? await deps.fleetFanout.probe(
          hosts.map((h) => ({ name: h.name, lastSeenAt: h.lastSeenAt })),
          Math.max(0, deadlineMs - (deps.clock.now() - started)),
        )
      : await probeHosts(deps, hosts, deadlineMs);
  sortRows(rows);
  const counts = countRows(rows);
  const columns = LAYERS.filter((l) => rows.some((r) => r.layers[l] !== undefined && r.layers[l] !== "unknown"));
  const elapsedMs = deps.clock.now() - started;
  deps.logger.info("fleet status", { hosts: rows.length, ...counts, elapsedMs });
  return { selector, rows, counts, columns, deadlineMs, elapsedMs };
}

/**
 * The quick probe to each of `hosts`, waiting at most `deadlineMs` in total; one row per host,
 * in the order given. One transport call per host: the job itself, with `progress: false`, so
 * the agent answers with one result frame; a host with no agent comes back at once as an
 * `offline` outcome (no separate online check, which on Workers is a second call to the host's
 * Durable Object). A host whose call has not ended by the deadline is `no-answer`; a job sent is
 * left to the transport's own deadline.
 */
export async function probeHosts(
  deps: Pick<CoreDeps, "transport" | "ids">,
  hosts: readonly ProbeTarget[],
  deadlineMs: number,
  /** `waitMs`: what is left of the deadline when the caller started it earlier (default all of it). */
  opts: { waitMs?: number } = {},
): Promise<FleetRow[]> {
  const waitMs = Math.max(0, Math.min(deadlineMs, opts.waitMs ?? deadlineMs));
  const steps = quickSteps(deadlineMs);
  const stepNames = steps.map((s) => s.step);
  // One slot per host, filled as answers come; at the deadline the empty ones are `no-answer`.
  // Outcomes are classified after the wait, so reading answers never holds up later sends.
  const outcomes: (JobOutcome | FleetRow | undefined)[] = new Array(hosts.length);
  let left = hosts.length;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired = false;
  await new Promise<void>((resolve) => {
    if (left === 0) return resolve();
    timer = setTimeout(() => {
      expired = true;
      resolve();
    }, waitMs);
    const settle = (i: number, got: JobOutcome | FleetRow) => {
      if (outcomes[i] !== undefined) return;
      outcomes[i] = got;
      if (--left === 0) resolve();
    };
    const noop = () => {};
    const send = (i: number) => {
      const h = hosts[i] as ProbeTarget;
      const job = { jobId: deps.ids.id("fleet"), steps, deadlineMs, progress: false };
      let call: Promise<JobOutcome>;
      try {
        call = deps.transport.dispatch(h.name, job, noop);
      } catch (err) {
        call = Promise.reject(err);
      }
      call.then(
        (outcome) => settle(i, outcome),
        (err: unknown) =>
          settle(i, { host: h.name, state: "no-answer", layers: {}, reason: `probe failed: ${String(err)}` }),
      );
    };
    // Sent a slice at a time, with a turn of the event loop between slices: the answers of the
    // first hosts are read while later ones are still being sent, instead of all the writes
    // first and every read after (reading is kept cheap: classifying waits until the end).
    // Nothing is sent once the deadline has passed.
    void (async () => {
      for (let at = 0; at < hosts.length && !expired; at += SEND_SLICE) {
        if (at > 0) await new Promise((r) => setTimeout(r, 0));
        for (let i = at; i < Math.min(hosts.length, at + SEND_SLICE) && !expired; i++) send(i);
      }
    })();
  });
  if (timer !== undefined) clearTimeout(timer);
  return hosts.map((h, i) => {
    const got = outcomes[i];
    if (got !== undefined && "host" in got) return got;
    return rowFor(h, got ?? "deadline", stepNames, deadlineMs);
  });
}

function failCount(r: FleetRow): number {
  return Object.values(r.layers).filter((s) => s === "fail").length;
}

/** One collator for every sort: `localeCompare` with options builds one per comparison. */
const cmp = new Intl.Collator("en", { numeric: true }).compare;
