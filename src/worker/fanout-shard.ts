import { DurableObject } from "cloudflare:workers";
import { probeHosts } from "../core/fleet/fleet.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { FleetFanout, FleetRow, ProbeTarget } from "../core/ports/fleet.ts";
import { DurableObjectHostTransport } from "./do-transport.ts";
import { type WorkerEnv, workerVar } from "./env.ts";
import type { FanoutShardRpc } from "./rpc.ts";

/**
 * Hosts one fan-out object quick-probes in a live `status`: the subrequests (calls to host
 * objects) one invocation of it makes. The Worker request itself makes one call per group.
 * `CLAWOPS_FANOUT_GROUP` changes it (1 to `MAX_FANOUT_GROUP`).
 */
export const DEFAULT_FANOUT_GROUP = 200;
export const MAX_FANOUT_GROUP = 1_000;
/**
 * How long past the deadline the Worker waits for a fan-out object's rows before it gives up on
 * them. The object answers at the deadline with what it has; this covers an object that is slow
 * to get them back (a busy runtime), so its hosts' answers are not thrown away with it.
 */
const FANOUT_GRACE_MS = 2_000;

export function fanoutGroup(env: WorkerEnv): number {
  return workerVar(env, "CLAWOPS_FANOUT_GROUP") ?? DEFAULT_FANOUT_GROUP;
}

/**
 * One object of the live fleet fan-out, named `fanout-<n>` (docs/workers.md): given up to a
 * group of hosts, it sends each host's object the quick probe at once (one call per host,
 * `progress: false`: the agent's one result frame; an offline host answers from its own
 * object) and answers with one compact row per host (classified here, not the agents' step
 * results). It keeps nothing: any object of the class can take any group.
 */
export class FanoutShard extends DurableObject<WorkerEnv> implements FanoutShardRpc {
  async probe(hosts: ProbeTarget[], deadlineMs: number, deadlineAt: number): Promise<FleetRow[]> {
    // Job ids as wiring.ts makes them (imported from there, this module would close a cycle).
    const ids = { id: (prefix: string) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}` };
    // The caller's deadline, not a new one from now: this call may have started late.
    const waitMs = deadlineAt - Date.now();
    return probeHosts({ transport: new DurableObjectHostTransport(this.env.HOSTS), ids }, hosts, deadlineMs, {
      waitMs,
    });
  }

  /** Each host's object asked at once whether its agent is connected; one that fails counts as not. */
  async online(hosts: string[]): Promise<boolean[]> {
    const ns = this.env.HOSTS;
    return Promise.all(
      hosts.map((h) =>
        ns
          .get(ns.idFromName(h))
          .isOnline()
          .catch(() => false),
      ),
    );
  }
}

/**
 * The Worker's side of the live fan-out: the hosts cut into groups of `group`, each group sent
 * to its own fan-out object (`fanout-0`, `fanout-1`, …) at once, with the deadline's end. A
 * group whose object fails, or has not answered 2 s past the deadline, comes back as
 * `no-answer` rows saying so; the other groups' rows are kept.
 */
export class ShardedFanout implements FleetFanout {
  private readonly shards: DurableObjectNamespace<FanoutShardRpc>;
  private readonly group: number;
  private readonly logger: Logger;

  constructor(shards: DurableObjectNamespace<FanoutShardRpc>, opts: { group: number; logger: Logger }) {
    this.shards = shards;
    this.group = opts.group;
    this.logger = opts.logger;
  }

  async probe(hosts: readonly ProbeTarget[], deadlineMs: number): Promise<FleetRow[]> {
    const deadlineAt = Date.now() + deadlineMs;
    const answers = await Promise.all(this.groups(hosts).map((g, i) => this.probeGroup(i, g, deadlineMs, deadlineAt)));
    return answers.flat();
  }

  async online(hosts: readonly string[]): Promise<boolean[]> {
    const answers = await Promise.all(
      this.groups(hosts).map((g, i) =>
        (this.stub(i).online(g) as Promise<boolean[]>).catch((err: unknown) => {
          this.logger.warn("fleet fan-out object failed", { object: `fanout-${i}`, error: String(err) });
          return g.map(() => false);
        }),
      ),
    );
    return answers.flat();
  }

  private groups<T>(items: readonly T[]): T[][] {
    const groups: T[][] = [];
    for (let at = 0; at < items.length; at += this.group) groups.push(items.slice(at, at + this.group));
    return groups;
  }

  private stub(i: number) {
    return this.shards.get(this.shards.idFromName(`fanout-${i}`));
  }

  private async probeGroup(
    i: number,
    hosts: ProbeTarget[],
    deadlineMs: number,
    deadlineAt: number,
  ): Promise<FleetRow[]> {
    const name = `fanout-${i}`;
    const waitMs = deadlineMs + FANOUT_GRACE_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const rows = await Promise.race([
        this.stub(i).probe(hosts, deadlineMs, deadlineAt) as Promise<FleetRow[]>,
        new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), waitMs);
        }),
      ]);
      if (rows !== "late") return rows;
      return failedGroup(hosts, `its fan-out object (${name}) did not answer within ${(waitMs / 1000).toFixed(1)} s`);
    } catch (err) {
      this.logger.warn("fleet fan-out object failed", { object: name, hosts: hosts.length, error: String(err) });
      return failedGroup(hosts, `its fan-out object (${name}) failed: ${String(err)}`);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

function failedGroup(hosts: readonly ProbeTarget[], reason: string): FleetRow[] {
  return hosts.map((h) => ({ host: h.name, state: "no-answer", layers: {}, reason }));
}
