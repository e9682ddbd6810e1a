import type { WatchDigestFrame, WatchStateFrame } from "../../contract/agent-wire.ts";
import { errorMessage } from "../../contract/errors.ts";
import type { CoreDeps } from "../deps.ts";
import { incidentChannelFor } from "../incidents/routing.ts";
import type { HostTransition } from "../incidents/transition.ts";
import { openIncidentThread } from "../jobs/incident-thread.ts";
import type { IncidentRecord } from "../ports.ts";
import { createTriageJob } from "../triage/triage.ts";
import { watchObservation } from "./classify.ts";
import { renderWatchFailing, renderWatchFlaps, renderWatchRecovered, WATCH_ACTOR } from "./render.ts";
import {
  confirm,
  DEFAULT_WATCH_SETTINGS,
  type FlapSummary,
  markStale,
  observe,
  sweep,
  type WatchRecord,
  type WatchSettings,
  type WatchTransition,
} from "./state.ts";

/**
 * The control plane's side of the watch (docs/watch.md), for either runtime: it reads a host's
 * watch frames, keeps the host's state in the store, and acts on a held transition: a failure
 * opens (or reuses) the host's incident thread in its incident channel with a full triage, a
 * recovery is said in that thread, a flap window's changes are summed up once; then
 * `deps.onHostTransition` (the automatic freeze policy) is told. Frames of one host are handled
 * one at a time, in order.
 */
export class WatchService {
  private readonly deps: CoreDeps;
  readonly settings: WatchSettings;
  private readonly chains = new Map<string, Promise<void>>();
  /** Work started and not awaited by the frame (triage jobs): `idle()` waits for it. */
  private readonly background = new Set<Promise<void>>();
  /**
   * What `sweep` needs of each host (last report, open flap window, stale), kept as states are
   * written so a sweep over 10,000 hosts reads no store; loaded from the store on the first sweep.
   */
  private index: Map<string, { reportedAt: number; flapStart: number | null; stale: boolean }> | null = null;

  constructor(deps: CoreDeps, settings: Partial<WatchSettings> = {}) {
    this.deps = deps;
    this.settings = { ...DEFAULT_WATCH_SETTINGS, ...settings };
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
      if (step.transition) await this.act(step.transition, step.record);
    });
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
    for (const [host, due] of this.index) {
      const flapEnded = due.flapStart !== null && now - due.flapStart >= this.settings.flapWindowMs;
      const silent = !due.stale && now - due.reportedAt > silentAfter;
      if (!flapEnded && !silent) continue;
      await this.inTurn(host, async () => {
        // Read in the host's turn: a frame may have changed it since.
        const fresh = await store.getWatch?.(host);
        if (!fresh) return;
        const step = sweep(fresh, clock.now(), this.settings);
        if (!step.changed) return;
        await this.save(step.record);
        if (step.record.stale && !fresh.stale) {
          this.deps.logger.warn("watch: agent silent past its digest period; state stale", { host });
        }
        if (step.summary) await this.postFlaps(step.summary);
      });
    }
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
    });
  }

  /** Resolves when every frame handled so far and the work it started have finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0 || this.background.size > 0) {
      await Promise.allSettled([...this.chains.values(), ...this.background]);
    }
  }

  private inTurn(host: string, task: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(host) ?? Promise.resolve();
    const next = prev.then(task).catch((err: unknown) => {
      this.deps.logger.error("watch: frame not handled", { host, err: errorMessage(err) });
    });
    this.chains.set(host, next);
    void next.finally(() => {
      if (this.chains.get(host) === next) this.chains.delete(host);
    });
    return next;
  }

  private async channelFor(host: string): Promise<string | undefined> {
    const record = await this.deps.store.getHost(host);
    return incidentChannelFor(this.deps.incidents, record ?? { name: host });
  }

  private async act(t: WatchTransition, record: WatchRecord): Promise<void> {
    const { logger, store } = this.deps;
    logger.info("watch transition", {
      host: t.host,
      healthy: t.healthy,
      since: t.since,
      action: t.action,
      findings: t.findingIds.join(","),
    });
    const channel = await this.channelFor(t.host);
    let thread: IncidentRecord | null = null;
    if (!channel) {
      logger.warn(
        "watch: no incident channel for this host; nothing posted (set CLAWOPS_INCIDENT_CHANNEL or CLAWOPS_HOST_CHANNELS)",
        {
          host: t.host,
          healthy: t.healthy,
        },
      );
    } else if (t.action === "suppressed") {
      thread = await store.findIncident(channel, t.host);
    } else if (!t.healthy) {
      thread = await this.openWithTriage(channel, t, record);
    } else {
      thread = await store.findIncident(channel, t.host);
      if (thread) await this.post(thread, renderWatchRecovered(t));
      else logger.info("watch: recovered, and no incident thread to say it in", { host: t.host, channel });
    }
    await this.handOn(t, thread);
  }

  private async openWithTriage(
    channel: string,
    t: WatchTransition,
    record: WatchRecord,
  ): Promise<IncidentRecord | null> {
    const deps = this.deps;
    let thread: IncidentRecord;
    try {
      thread = await openIncidentThread(deps, channel, t.host, WATCH_ACTOR);
      await this.post(thread, renderWatchFailing(t, record.run.count));
    } catch (err) {
      deps.logger.error("watch: incident thread not opened", { host: t.host, channel, err: errorMessage(err) });
      return null;
    }
    // One triage per failure: the key is the host and when the failure began.
    const job = await createTriageJob(deps, {
      host: t.host,
      channel,
      user: WATCH_ACTOR,
      requestKey: `watch:${t.host}:${t.since}`,
    });
    if (job) {
      const run = deps.jobs
        .start(deps, { kind: "triage", job })
        .catch((err: unknown) => deps.logger.error("watch: triage failed", { host: t.host, err: errorMessage(err) }));
      this.background.add(run);
      void run.finally(() => this.background.delete(run));
    }
    return thread;
  }

  private async postFlaps(summary: FlapSummary): Promise<void> {
    const channel = await this.channelFor(summary.host);
    if (!channel) return;
    const thread = await this.deps.store.findIncident(channel, summary.host);
    if (thread) await this.post(thread, renderWatchFlaps(summary));
  }

  private async post(thread: IncidentRecord, message: ReturnType<typeof renderWatchFlaps>): Promise<void> {
    try {
      await this.deps.chat.postMessage({ channel: thread.channel, threadTs: thread.threadTs, ...message });
    } catch (err) {
      this.deps.logger.error("watch: message not posted", { host: thread.host, err: errorMessage(err) });
    }
  }

  private async handOn(t: WatchTransition, thread: IncidentRecord | null): Promise<void> {
    const hook = this.deps.onHostTransition;
    if (!hook) return;
    const transition: HostTransition = {
      host: t.host,
      at: t.at,
      since: t.since,
      healthy: t.healthy,
      findingIds: t.findingIds,
      ...(thread ? { thread: { channel: thread.channel, threadTs: thread.threadTs } } : {}),
    };
    try {
      await hook(this.deps, transition);
    } catch (err) {
      this.deps.logger.error("watch: transition hook failed", { host: t.host, err: errorMessage(err) });
    }
  }
}
