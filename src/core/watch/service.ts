import type { WatchDigestFrame, WatchStateFrame } from "../../contract/agent-wire.ts";
import { errorMessage } from "../../contract/errors.ts";
import { logTally } from "../audit/log-tally.ts";
import { applyFreezePolicy, EMPTY_FREEZE_POLICY, type FreezePolicy, type FreezeTransition } from "../freezes/policy.ts";
import { watchObservation } from "../hosts/watch-observation.ts";
import {
  confirm,
  DEFAULT_WATCH_SETTINGS,
  type FlapSummary,
  markStale,
  observe,
  sweep,
  type WatchSettings,
  type WatchTransition,
} from "../hosts/watch-state.ts";
import { findHostIncident, noteIncident, raiseIncident, recordFate } from "../incidents/pipeline.ts";
import { InProcessTurns } from "../jobs/turns.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentPhase } from "../ports/incident-book.ts";
import type { IncidentThread } from "../ports/store.ts";
import type { WatchRecord } from "../ports/watch-record.ts";
import {
  renderAgentBack,
  renderAgentLost,
  renderWatchFailing,
  renderWatchFlaps,
  renderWatchRecovered,
  WATCH_ACTOR,
} from "./render.ts";

/**
 * The control plane's side of the watch (docs/watch.md), for either runtime: it reads a host's
 * watch frames, keeps the host's state in the store, and acts on a held transition: a failure
 * raises the host's incident (incidents/pipeline.ts: its thread in its incident channel, a full
 * triage), a recovery is said in that thread, a flap window's changes are summed up once; then
 * the freeze policy (freezes/policy.ts) acts on it. Frames of one host are handled one at a
 * time, in order.
 */
export class WatchService {
  private readonly deps: CoreDeps;
  readonly settings: WatchSettings;
  /** Each host's frames, one at a time, in order. */
  private readonly turns = new InProcessTurns();
  /** Work started and not awaited by the frame (triage jobs): `idle()` waits for it. */
  private readonly laterWork = new Set<Promise<void>>();
  /**
   * What `sweep` needs of each host (last report, open flap window, stale), kept as states are
   * written so a sweep over 10,000 hosts reads no store; loaded from the store on the first sweep.
   */
  private index: Map<
    string,
    { reportedAt: number; flapStart: number | null; stale: boolean; staleAt: number; lost: boolean }
  > | null = null;

  /**
   * When this service started: an agent that has not come back within `lostAfterMs` of a
   * control-plane start is lost; one that merely had no chance to report yet is not.
   */
  private readonly startedAt: number;

  /** Every host's stored watch state (Workers: the watch shards; Node: the store). */
  private readonly fleetWatch: () => Promise<WatchRecord[]>;

  /** Which held transitions freeze a host by themselves (CLAWOPS_FREEZE_POLICY). */
  private readonly freezePolicy: FreezePolicy;

  constructor(
    deps: CoreDeps,
    opts: {
      settings?: Partial<WatchSettings>;
      freezePolicy?: FreezePolicy;
      /** Every host's watch state, where the store holds only this host's (a Workers host object). */
      fleetWatch?: () => Promise<WatchRecord[]>;
    } = {},
  ) {
    this.deps = deps;
    this.settings = { ...DEFAULT_WATCH_SETTINGS, ...opts.settings };
    this.freezePolicy = opts.freezePolicy ?? EMPTY_FREEZE_POLICY;
    this.startedAt = deps.clock.now();
    this.fleetWatch = opts.fleetWatch ?? (async () => (await deps.store.listWatch?.()) ?? []);
  }

  /** Whether the store keeps watch states at all. */
  get enabled(): boolean {
    return Boolean(this.deps.store.getWatch && this.deps.store.putWatch);
  }

  /** A `watch.state` or `watch.digest` frame from `host`'s welcomed agent. */
  receive(host: string, frame: WatchStateFrame | WatchDigestFrame): Promise<void> {
    return this.inTurn(host, async () => {
      const { store, clock } = this.deps;
      if (!store.getWatch || !store.putWatch) return;
      const prev = await store.getWatch(host);
      const now = clock.now();
      let step: { record: WatchRecord; transition: WatchTransition | null };
      if (frame.type === "watch.state") {
        const obs = watchObservation(frame.results, { at: now, seq: frame.seq, hash: frame.hash });
        step = observe(prev, host, obs, now, this.settings);
      } else {
        if (!prev) return; // a digest for a state never stored: the next state frame brings it
        step = confirm(prev, frame, now, this.settings);
      }
      await this.save(step.record);
      // A lost agent is back: said where its loss was told.
      if (prev?.lost && !step.record.lost) await this.agentBack(host, prev);
      if (step.transition) await this.act(step.transition, step.record);
      else await this.reshaped(prev, step.record);
    });
  }

  /**
   * A failure held since its transition whose findings changed shape: the freeze policy reads the
   * new ones too. A gateway caught while it stops names no finding in its first reports (nothing
   * listens yet its process is there), `gateway-down` in the next ones; a rule for that must not
   * miss it for having come a probe late. The policy freezes once: a host already frozen, or
   * findings no rule names, change nothing.
   */
  private async reshaped(prev: WatchRecord | null, record: WatchRecord): Promise<void> {
    const before = prev?.held;
    const held = record.held;
    if (!before || !held || before.healthy || held.healthy || before.since !== held.since) return;
    if (before.findingIds.join(",") === held.findingIds.join(",")) return;
    const { deps } = this;
    deps.logger.info("watch: held failure changed shape", { host: record.host, findings: held.findingIds.join(",") });
    const t = {
      host: record.host,
      at: deps.clock.now(),
      since: held.since,
      healthy: false,
      findingIds: held.findingIds,
    };
    await this.freeze(t, () => findHostIncident(deps, record.host));
  }

  /** The freeze policy (CLAWOPS_FREEZE_POLICY) on a held health, with the thread the host's incident has. */
  private async freeze(t: FreezeTransition, thread: () => Promise<IncidentThread | null>): Promise<void> {
    try {
      await applyFreezePolicy(this.deps, this.freezePolicy, t, await thread());
    } catch (err) {
      this.deps.logger.error("watch: freeze policy failed", { host: t.host, err: errorMessage(err) });
    }
  }

  /** The agent's connection ended: its state is stale until it reports again. */
  gone(host: string, reason: string): Promise<void> {
    return this.inTurn(host, async () => {
      const { store, clock } = this.deps;
      const prev = await store.getWatch?.(host);
      if (!prev || prev.stale) return;
      await this.save(markStale(prev, reason, clock.now()));
    });
  }

  /** Time passes: silent agents turn stale, ended flap windows post their one summary. */
  async sweep(): Promise<void> {
    const { store, clock } = this.deps;
    if (!store.listWatch || !store.getWatch || !store.putWatch) return;
    if (!this.index) {
      this.index = new Map();
      for (const rec of await store.listWatch()) this.note(rec);
    }
    const now = clock.now();
    const silentAfter = this.settings.digestMs + 2 * this.settings.intervalMs;
    const lostJudged = now >= this.startedAt + this.settings.lostAfterMs;
    for (const [host, due] of this.index) {
      const flapEnded = due.flapStart !== null && now - due.flapStart >= this.settings.flapWindowMs;
      const silent = !due.stale && now - due.reportedAt > silentAfter;
      const lost = lostJudged && due.stale && !due.lost && now >= due.staleAt + this.settings.lostAfterMs;
      if (!flapEnded && !silent && !lost) continue;
      await this.inTurn(host, async () => {
        // Read in the host's turn: a frame may have changed it since.
        const fresh = await store.getWatch?.(host);
        if (!fresh) return;
        const step = sweep(fresh, clock.now(), this.settings);
        if (step.lost && lostJudged && (await this.agentLost(step.record))) {
          step.record = { ...step.record, lost: { at: clock.now() } };
          step.changed = true;
        }
        if (!step.changed) return;
        await this.save(step.record);
        if (step.record.stale && !fresh.stale) {
          this.deps.logger.warn("watch: agent silent past its digest period; state stale", { host });
        }
        if (step.summary) await this.postFlaps(step.summary, step.record);
      });
    }
  }

  /**
   * An agent stale past `lostAfterMs` (disconnected, or silent past its digest period): "agent
   * lost" is an incident for its host (the host down, the agent dead, or the network between),
   * raised through the pipeline, so that many lost at once are one fleet incident. Only while
   * other agents report: when none does, the control plane itself is the one cut off, and that
   * is one log line, not an incident per host. True when it was told.
   */
  private async agentLost(record: WatchRecord): Promise<boolean> {
    const { deps } = this;
    const now = deps.clock.now();
    const silentAfter = this.settings.digestMs + 2 * this.settings.intervalMs;
    const others = (await this.fleetWatch()).filter((r) => r.host !== record.host);
    const reporting = others.filter((r) => !r.stale && now - r.reportedAt <= silentAfter);
    if (others.length > 0 && reporting.length === 0) {
      logTally(deps).add(
        "error",
        "watch: every agent silent",
        "watch: no agent reports; the control plane's own network or hub is the likelier cause",
        {
          silent: others.length + 1,
        },
      );
      return false;
    }
    try {
      const raised = await raiseIncident(deps, {
        source: "silence",
        host: record.host,
        actor: WATCH_ACTOR,
        causes: ["silence"],
        announce: () => renderAgentLost(record, now),
        audit: () => ({
          action: "watch.agent-lost",
          outcome: "info",
          detail: `agent of ${record.host} lost: ${record.stale?.reason ?? "silent"} since ${new Date(record.stale?.at ?? record.reportedAt).toISOString()}`,
        }),
      });
      if (raised.status === "unrouted") {
        deps.logger.warn("watch: agent lost, and no incident channel for this host", { host: record.host });
      }
      return true;
    } catch (err) {
      deps.logger.error("watch: agent lost not told", { host: record.host, err: errorMessage(err) });
      return false;
    }
  }

  /** A lost agent reports again: said in its incident (the record's phase: recovered). */
  private async agentBack(host: string, prev: WatchRecord): Promise<void> {
    await this.say(host, renderAgentBack(host, prev, this.deps.clock.now()), "recovered");
  }

  private async save(record: WatchRecord): Promise<void> {
    await this.deps.store.putWatch?.(record);
    this.note(record);
  }

  private note(record: WatchRecord): void {
    this.index?.set(record.host, {
      reportedAt: record.reportedAt,
      flapStart: record.flap?.start ?? null,
      stale: record.stale !== null,
      staleAt: record.stale?.at ?? record.reportedAt,
      lost: Boolean(record.lost),
    });
  }

  /** Resolves when every frame handled so far and the work it started have finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.turns.busy || this.laterWork.size > 0) {
      await Promise.allSettled([this.turns.idle(), ...this.laterWork]);
    }
  }

  /** A host's frames and sweeps in its turn; a failed one is logged, and the next still runs. */
  private inTurn(host: string, task: () => Promise<void>): Promise<void> {
    return this.turns.inTurn(host, task).catch((err: unknown) => {
      this.deps.logger.error("watch: frame not handled", { host, err: errorMessage(err) });
    });
  }

  private async act(t: WatchTransition, record: WatchRecord): Promise<void> {
    const { logger } = this.deps;
    logger.info("watch transition", {
      host: t.host,
      healthy: t.healthy,
      since: t.since,
      action: t.action,
      findings: t.findingIds.join(","),
    });
    const thread = await this.incident(t, record);
    // Then the freeze policy acts on it, with the thread the incident has.
    await this.freeze(t, async () => thread);
  }

  /**
   * The incident side of a held transition: a failure raises the host's incident (its thread,
   * the watch's line, a triage); a recovery is said in the thread the failure opened; a change
   * inside a flap window is only counted. The host's thread, when it has one.
   */
  private async incident(t: WatchTransition, record: WatchRecord): Promise<IncidentThread | null> {
    const { deps } = this;
    if (t.action === "suppressed") {
      // A flap window folds flips only inside an open incident: a failure held on a host with
      // none (every incident resolved since the window opened, a window carried across a
      // restart) is a new incident, and its window starts again now.
      if (t.healthy || (await this.hasOpenIncident(t.host)) !== false) {
        const why = "inside a flap window of an open incident";
        deps.logger.info("watch: transition folded into the flap window", {
          host: t.host,
          healthy: t.healthy,
          fate: "suppressed",
          why,
        });
        const open = await deps.store.findOpenIncident(t.host).catch(() => null);
        await recordFate(
          deps,
          { source: "watch", host: t.host, summary: flipSummary(t) },
          "suppressed",
          open?.id ?? null,
          why,
        );
        return findHostIncident(deps, t.host);
      }
      await this.save({ ...record, flap: { start: deps.clock.now(), recovered: false, suppressed: 0, moments: [] } });
      return this.raiseFailure({ ...t, action: "post" }, record);
    }
    if (t.healthy) {
      const thread = await this.say(t.host, renderWatchRecovered(t), "recovered");
      if (!thread) deps.logger.info("watch: recovered, and no incident thread to say it in", { host: t.host });
      return thread;
    }
    return this.raiseFailure(t, record);
  }

  /**
   * Whether `host` has an open incident: true or false from the incident book, null when it
   * could not say (then the watch keeps its old judgement).
   */
  private async hasOpenIncident(host: string): Promise<boolean | null> {
    try {
      return (await this.deps.store.findOpenIncident(host)) !== null;
    } catch (err) {
      this.deps.logger.error("watch: open incident not read", { host, err: errorMessage(err) });
      return null;
    }
  }

  /** A held failure raises the host's incident: its thread, the watch's line, a triage. */
  private async raiseFailure(
    t: WatchTransition,
    record: WatchRecord,
    announce: Message = renderWatchFailing(t, record.run.count),
  ): Promise<IncidentThread | null> {
    const { deps } = this;
    let raised: Awaited<ReturnType<typeof raiseIncident>>;
    try {
      raised = await raiseIncident(deps, {
        source: "watch",
        host: t.host,
        actor: WATCH_ACTOR,
        // One triage per failure: the key is the host and when the failure began.
        triage: { requestKey: `watch:${t.host}:${t.since}` },
        // Hosts failing together with the same top finding are one fleet incident.
        causes: t.findingIds.slice(0, 1).map((id) => `finding:${id}`),
        announce: () => announce,
      });
    } catch (err) {
      deps.logger.error("watch: incident thread not opened", { host: t.host, err: errorMessage(err) });
      return null;
    }
    if (raised.status === "unrouted") {
      deps.logger.warn(
        "watch: no incident channel for this host; nothing posted (set CLAWOPS_INCIDENT_CHANNEL or CLAWOPS_HOST_CHANNELS)",
        { host: t.host, healthy: t.healthy },
      );
      return null;
    }
    // Counted on the host's open incident (its header edited): the thread is the one it has.
    if (raised.status === "counted") return findHostIncident(deps, t.host);
    if (raised.status === "muted") {
      deps.logger.info("watch: failure muted", { host: t.host, by: raised.by });
      return findHostIncident(deps, t.host);
    }
    if (raised.later) {
      const run = raised
        .later()
        .catch((err: unknown) => deps.logger.error("watch: triage failed", { host: t.host, err: errorMessage(err) }));
      this.laterWork.add(run);
      void run.finally(() => this.laterWork.delete(run));
    }
    return raised.thread;
  }

  /**
   * A flap window's one summary, said in the host's open incident. With none open, it does not
   * vanish: a window that ends with the host failing opens (or joins) its incident with the
   * summary as the watch's line; one that ends healthy is logged with its fate.
   */
  private async postFlaps(summary: FlapSummary, record: WatchRecord): Promise<void> {
    const open = await this.hasOpenIncident(summary.host);
    if (open !== false) {
      await this.say(summary.host, renderWatchFlaps(summary));
      return;
    }
    const held = summary.now;
    if (held && !held.healthy) {
      const t: WatchTransition = {
        host: summary.host,
        healthy: false,
        since: held.since,
        at: summary.end,
        findingIds: held.findingIds,
        reason: held.reason,
        falseGreen: record.last.falseGreen,
        failingSince: null,
        action: "post",
      };
      await this.raiseFailure(t, record, renderWatchFlaps(summary));
      return;
    }
    const why = "no open incident, and the host ended the window healthy";
    this.deps.logger.info("watch: flap summary not posted", {
      host: summary.host,
      fate: "dropped",
      why,
      flips: summary.window.suppressed,
    });
    await recordFate(
      this.deps,
      { source: "watch", host: summary.host, summary: renderWatchFlaps(summary).text },
      "dropped",
      null,
      why,
    );
  }

  /** Said in the host's open incident thread, if any; a failed post is logged, not thrown. */
  private async say(host: string, message: Message, phase?: IncidentPhase): Promise<IncidentThread | null> {
    try {
      return await noteIncident(this.deps, { host }, message, {
        actor: WATCH_ACTOR,
        kind: "watch",
        ...(phase ? { phase } : {}),
      });
    } catch (err) {
      this.deps.logger.error("watch: message not posted", { host, err: errorMessage(err) });
      return null;
    }
  }
}

/** One line for a folded flip, as its stored fate names it. */
function flipSummary(t: WatchTransition): string {
  return t.healthy ? `Watch: ${t.host} healthy again (folded)` : `Watch: ${t.host} failing: ${t.reason}`;
}
