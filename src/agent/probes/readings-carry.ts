import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProbeContext } from "./context.ts";
import { gatewayProcessKeys } from "./host/gateway-processes.ts";
import { hasExited, isStopped, parseStat, processKey, readLinkNow, readStatNow } from "./host/proc-processes.ts";
import { type CarriedReadings, carryContext, JobReadings, type KeptReadings } from "./job-readings.ts";
import { readConfigText } from "./openclaw-config.ts";

/**
 * The host readings of a watch probe that found the gateway healthy, carried into the next
 * probes while cheap checks say the host has not changed under them (docs/watch.md, "What a
 * probe reads"). A quick probe's own work is its HTTP, WebSocket and vitals; the readings that
 * judge it (every process's `stat` to find the gateways, their environments, the gateway's
 * descriptor links, the kernel's socket tables) were about 9–13 ms of its 25–30 ms of CPU, read
 * whole every interval to find, nearly always, the same gateway on the same port
 * (docs/benchmarks.md, "The watch's CPU per probe").
 *
 * Only the readings of a healthy host are carried: every gateway-titled process alive and
 * serving (a lock or a listener: not a CLI command, not a gateway still loading), and the
 * config's port held by gateways alone. Any other state is read in full on every probe: it is
 * the state an incident is judged on.
 *
 * Before each probe the carry checks:
 * - `/proc/loadavg`'s last pid: whether a task (process or thread) has been created on the host
 *   since the full read. A new gateway, a second one, a worker, and an `exec` into Node (which
 *   starts its threads) each create one. When one was, the processes are scanned (every `stat`,
 *   3–4 ms, where the full read is 9–13): the gateway-titled processes and their children must be
 *   the same ones, with the same start time and comm. A busy host (cron, logins) creates tasks
 *   all the time, most of them nothing to the gateway; a new child of the gateway (a worker) is
 *   read in full.
 * - every carried gateway and worker still has the `stat` start time and comm it was read with
 *   (gone, a reused pid, an `exec`); each one's state letter is taken fresh from that read, and a
 *   stopped or exited gateway ends the carry;
 * - every listening socket and lock file the gateways held is still on the same descriptor;
 * - openclaw.json is the same text (its port, its token);
 * - the full read is less than FULL_READ_MS old.
 *
 * What no check sees, and a full read finds within FULL_READ_MS: a process other than a gateway
 * that starts listening on the gateway's port on another address (the gateway holds 127.0.0.1,
 * it takes ::1 or the host's LAN address; while the gateway listens the kernel refuses it
 * 127.0.0.1 and the wildcard address, unless both sockets set SO_REUSEPORT). The rest a probe
 * reports is read every probe: the token sources in files (`.env`, service units) and
 * openclaw.json, which redaction removes, the gateway's memory, its answers.
 */
export class ReadingsCarry {
  private kept: KeptReadings | undefined;
  private readonly now: () => number;
  /**
   * Probes that carried the readings on the checks alone / after a process scan (tasks were
   * created on the host, none of them a gateway's) / that read the host in full.
   */
  readonly counts = { carried: 0, rescanned: 0, full: 0 };
  /** What the last probe did (the watch logs it). */
  last: "carried" | "rescanned" | "full" | undefined;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A probe's readings: the kept ones when every check holds, else a full read that may be kept. */
  async readings(ctx: ProbeContext): Promise<JobReadings> {
    const lastPid = readLastPid(ctx.procRoot);
    const configText = readConfigText(ctx.configPath);
    configText.catch(() => undefined);
    const kept = this.kept;
    this.kept = undefined;
    const held = kept && lastPid !== undefined ? await stillHolds(kept, ctx, lastPid, configText, this.now()) : false;
    if (held) {
      this.kept = held.kept;
      this.counts[held.rescanned ? "rescanned" : "carried"]++;
      this.last = held.rescanned ? "rescanned" : "carried";
      return new JobReadings(ctx, { configText, carried: held.carried });
    }
    this.counts.full++;
    this.last = "full";
    return new JobReadings(ctx, { configText, ...(lastPid !== undefined ? { lastPid } : {}) });
  }

  /**
   * After the probe: keeps a full read's readings when they show a healthy host. Readings still
   * unsettled when the job ends (a /proc read that hangs) are not waited for: nothing is kept.
   */
  async keep(readings: JobReadings): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), KEEP_WAIT_MS);
    });
    const kept = await Promise.race([readings.carryable(), late]);
    clearTimeout(timer);
    if (kept) this.kept = { ...kept, at: this.now() };
  }
}

/** How long `keep` waits for a finished job's readings to settle. */
const KEEP_WAIT_MS = 100;

/** How long a full read is carried at most: the bound on noticing what no check sees (above). */
export const FULL_READ_MS = 5 * 60_000;

async function stillHolds(
  kept: KeptReadings,
  ctx: ProbeContext,
  lastPid: string,
  configText: Promise<string>,
  now: number,
): Promise<{ carried: CarriedReadings; kept: KeptReadings; rescanned: boolean } | false> {
  if (kept.context !== carryContext(ctx) || now - kept.at >= FULL_READ_MS) return false;
  // Tasks were created since: a scan of every process's `stat` (no environment, no descriptor)
  // says whether the gateways and their children are still the ones read, and nothing else
  // became one (a new process, an `exec`).
  const rescanned = kept.lastPid !== lastPid;
  if (rescanned && !sameEntries(await gatewayProcessKeys(ctx.procRoot), kept.keys)) return false;
  const states = new Map<number, string>();
  for (const [pid, key] of kept.keys) {
    const stat = parseStat(readStatNow(join(ctx.procRoot, String(pid), "stat")));
    if (!stat || processKey(stat) !== key) return false;
    states.set(pid, stat.state);
  }
  for (const { pid, fd, link } of kept.links) {
    if (readLinkNow(join(ctx.procRoot, String(pid), "fd", fd)) !== link) return false;
  }
  const processes = kept.processes.processes.map((g) => ({ ...g, state: states.get(g.pid) ?? g.state }));
  if (processes.some((g) => hasExited(g.state) || isStopped(g.state))) return false;
  if ((await configText.catch(() => undefined)) !== kept.configText) return false;
  return {
    carried: {
      processes: { ...kept.processes, processes },
      identities: kept.identities,
      listeners: kept.listeners,
      owners: kept.owners,
      ownersPort: kept.ownersPort,
    },
    // The pid read before the scan: a task created during it is scanned for next time.
    kept: rescanned ? { ...kept, lastPid } : kept,
    rescanned,
  };
}

function sameEntries(a: ReadonlyMap<number, string> | undefined, b: ReadonlyMap<number, string>): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * `/proc/loadavg`'s fifth field, the pid the kernel handed out last (to a process or a thread),
 * in the reader's pid namespace; `undefined` where there is none (a test's procfs tree, no procfs).
 */
export function readLastPid(procRoot: string): string | undefined {
  try {
    const last = readFileSync(join(procRoot, "loadavg"), "latin1").trim().split(/\s+/)[4];
    return last && /^\d+$/.test(last) ? last : undefined;
  } catch {
    return undefined;
  }
}
