import { DurableObject } from "cloudflare:workers";
import { SqlRecoveryStore } from "../adapters/sql/recovery-store.ts";
import type { StepResult } from "../contract/catalog.ts";
import { nextRadarMoment, sweepExpiries } from "../core/expiries/radar.ts";
import { expireFreezes } from "../core/freezes/freezes.ts";
import { DEFAULT_FREEZE_WARN_MS, nextScheduledMoment, sweepScheduledFreezes } from "../core/freezes/schedule.ts";
import { HEADER_EDIT_EVERY_MS, refreshStaleHeaders } from "../core/incidents/header.ts";
import { drainOutbox } from "../core/incidents/outbox.ts";
import { lastDigestMoment, postWeeklyDigest } from "../core/incidents/report.ts";
import type {
  Incident,
  IncidentAction,
  IncidentCounts,
  IncidentEvent,
  IncidentPatch,
  IncidentPhase,
  IncidentState,
  OutboxItem,
  OutboxPatch,
  OutboxState,
  SignalFate,
  Snooze,
} from "../core/ports/incident-book.ts";
import type {
  AuditQuery,
  AutoFreeze,
  ConfirmationRecord,
  FreezeRecord,
  MutedCounts,
  NewAuditEntry,
  NoticeRef,
  ScheduledFreeze,
  ScheduledFreezeStage,
} from "../core/ports/recovery.ts";
import type { HostRecord, IncidentThread, JobPatch, JobRecord, JobStatus } from "../core/ports/store.ts";
import type { NewTeamMessage } from "../core/ports/team-messages.ts";
import type { IncidentTicket, TicketLinkKind, TicketPatch, TicketSystem } from "../core/ports/ticket-book.ts";
import { DurableObjectSqlStore, durableObjectSqlDriver } from "./do-sql-store.ts";
import { parseWorkerConfig, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";
import type { DirectoryRpc } from "./rpc.ts";
import { freezeSweepDeps } from "./wiring.ts";

const logger = createConsoleLogger("clawops-directory");

/**
 * The Workers runtime's state (hosts, enrollment codes, incidents, jobs) in one Durable
 * Object's SQLite. One object, not one per host: listing hosts, the request-key idempotency
 * of jobs and one-time enrollment codes each need a single place that answers atomically,
 * and a chat-driven control plane writes a few rows per command, far below one object's
 * throughput. Agent sockets, which are many and long-lived, live in per-host objects
 * (src/worker/host-agent.ts) and call in here for state.
 */
export class ClawopsDirectory extends DurableObject<WorkerEnv> implements DirectoryRpc {
  private readonly store: DurableObjectSqlStore;
  /** Freezes, confirmations and the append-only audit log: the Node runtime's tables and queries. */
  private readonly recovery: SqlRecoveryStore;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    // Each store applies its numbered migrations here (src/adapters/sql/migrations.ts); a store
    // newer than this code throws, and the object answers nothing until that code is deployed.
    this.store = new DurableObjectSqlStore(ctx.storage);
    this.recovery = new SqlRecoveryStore(durableObjectSqlDriver(ctx.storage, "the directory object's SQLite"));
    // The weekly digest and the expiry radar need this object's alarm even when nothing else does (no freeze, no
    // page due): set once the object wakes (any command or agent wakes it) if none is set.
    void ctx.blockConcurrencyWhile(() => this.wakeForDigest());
  }

  /** The weekly digest's and the expiry radar's next moment is this object's alarm when none is set. */
  private async wakeForDigest(): Promise<void> {
    const parsed = parseWorkerConfig(this.env);
    if (!parsed.ok || (await this.ctx.storage.getAlarm()) !== null) return;
    const { digest, expiries } = parsed.config;
    const next = [
      digest ? lastDigestMoment(digest, Date.now()) + 7 * 86_400_000 : null,
      nextRadarMoment(expiries, Date.now()),
    ].filter((t): t is number => t !== null);
    if (next.length > 0) await this.ctx.storage.setAlarm(Math.min(...next));
  }

  insertConfirmation(c: ConfirmationRecord) {
    return this.recovery.insertConfirmation(c);
  }
  getConfirmation(id: string) {
    return this.recovery.getConfirmation(id);
  }
  setConfirmationMessage(id: string, messageTs: string) {
    return this.recovery.setConfirmationMessage(id, messageTs);
  }
  decideConfirmation(id: string, d: { at: number; by: string; decision: "approve" | "cancel" }) {
    return this.recovery.decideConfirmation(id, d);
  }
  async putFreeze(freeze: FreezeRecord) {
    await this.recovery.putFreeze(freeze);
    await this.scheduleFreezeExpiry();
  }
  async putAutoFreeze(freeze: FreezeRecord & { auto: AutoFreeze }, now: number) {
    const written = await this.recovery.putAutoFreeze(freeze, now);
    if (written) await this.scheduleFreezeExpiry();
    return written;
  }
  getFreeze(target: string) {
    return this.recovery.getFreeze(target);
  }
  listFreezes() {
    return this.recovery.listFreezes();
  }
  countMuted(target: string, createdAt: number, kind: keyof MutedCounts, n: number) {
    return this.recovery.countMuted(target, createdAt, kind, n);
  }
  setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]) {
    return this.recovery.setFreezeNotices(target, createdAt, notices);
  }
  removeFreeze(target: string, createdAt?: number) {
    return this.recovery.removeFreeze(target, createdAt);
  }
  async putScheduledFreeze(s: ScheduledFreeze) {
    await this.recovery.putScheduledFreeze(s);
    await this.scheduleFreezeExpiry();
  }
  listScheduledFreezes() {
    return this.recovery.listScheduledFreezes();
  }
  advanceScheduledFreeze(id: string, from: ScheduledFreezeStage[], to: ScheduledFreezeStage | null) {
    return this.recovery.advanceScheduledFreeze(id, from, to);
  }
  appendAudit(entry: NewAuditEntry) {
    return this.recovery.appendAudit(entry);
  }
  listAudit(query: AuditQuery) {
    return this.recovery.listAudit(query);
  }

  /**
   * The next freeze expiry, scheduled-freeze moment, held header edit, outbox delivery or weekly
   * digest is this object's alarm: no timer runs while none is due.
   */
  private async scheduleFreezeExpiry(): Promise<void> {
    const [expiry] = (await this.recovery.listFreezes()).map((f) => f.expiresAt).sort((a, b) => a - b);
    const parsed = parseWorkerConfig(this.env);
    const moment = nextScheduledMoment(
      await this.recovery.listScheduledFreezes(),
      (parsed.ok ? parsed.config.freezeWarnMs : undefined) ?? DEFAULT_FREEZE_WARN_MS,
    );
    const digest = parsed.ok ? parsed.config.digest : undefined;
    const digestAt = digest ? lastDigestMoment(digest, Date.now()) + 7 * 86_400_000 : undefined;
    // A page or post the outbox retries keeps its wake: lifting the last freeze must not drop it.
    const [outboxAt] = (await this.store.listOutbox({ state: "pending", limit: 500 }))
      .map((i) => i.nextAt)
      .sort((a, b) => a - b);
    const radarAt = parsed.ok ? (nextRadarMoment(parsed.config.expiries, Date.now()) ?? undefined) : undefined;
    const next = [expiry, moment ?? undefined, await this.nextHeaderEdit(), digestAt, outboxAt, radarAt].filter(
      (t): t is number => t !== undefined,
    );
    if (next.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...next));
  }

  /** When the first held-back incident header edit is due (incidents/header.ts), if any. */
  private async nextHeaderEdit(): Promise<number | undefined> {
    const [first] = await this.store.staleHeaders(Number.MAX_SAFE_INTEGER);
    return first ? (first.headerAt ?? 0) + HEADER_EDIT_EVERY_MS : undefined;
  }

  /** A page queued or due again: this object's alarm delivers it (no sooner alarm is moved). */
  private async wakeForOutbox(due: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  /** A header edit held back: this object's alarm catches it up (no sooner alarm is moved). */
  private async wakeForHeader(incident: Incident): Promise<void> {
    const due = (incident.headerAt ?? 0) + HEADER_EDIT_EVERY_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }

  /**
   * Expired freezes leave, each with its audit entry and an expiry notice where it was
   * announced (the same `expireFreezes` the Node control plane sweeps with every 5 s).
   */
  override async alarm(): Promise<void> {
    const parsed = parseWorkerConfig(this.env);
    if (!parsed.ok) {
      logger.error("freeze expiry skipped: worker not configured", { problems: parsed.problems.join(" ") });
      return;
    }
    const deps = freezeSweepDeps({ env: this.env, config: parsed.config, logger, store: this.store }, this.recovery);
    // Scheduled moments first, so a maintenance freeze ends with its own notice, not an expiry.
    const { nextAt } = await sweepScheduledFreezes(deps, Date.now());
    const { nextExpiryAt } = await expireFreezes(deps, Date.now());
    await refreshStaleHeaders(deps);
    // The outbox (pages) is delivered from this alarm, after the record was written.
    const outbox = await drainOutbox(deps).catch((err: unknown) => {
      logger.error("outbox not drained", { err: String(err) });
      return { nextAt: Date.now() + 30_000 };
    });
    // The weekly digest, when configured: posted once at its moment, the next one this alarm's too.
    const digestAt = await postWeeklyDigest(deps, deps.digest);
    const radarAt = await sweepExpiries(deps, deps.expiries);
    const next = [nextAt, nextExpiryAt, (await this.nextHeaderEdit()) ?? null, outbox.nextAt, digestAt, radarAt].filter(
      (t): t is number => t !== null,
    );
    if (next.length > 0) await this.ctx.storage.setAlarm(Math.min(...next));
  }

  getHost(name: string) {
    return this.store.getHost(name);
  }
  listHosts() {
    return this.store.listHosts();
  }
  insertHost(host: HostRecord) {
    return this.store.insertHost(host);
  }
  recordHostSeen(name: string, seen: { at: number; agentVersion?: string | null; gatewayVersion?: string | null }) {
    return this.store.recordHostSeen(name, seen);
  }
  setHostTags(name: string, tags: string[]) {
    return this.store.setHostTags(name, tags);
  }
  revokeHost(name: string, at: number) {
    return this.store.revokeHost(name, at);
  }
  insertEnrollmentCode(code: { codeHash: string; host: string; expiresAt: number; createdAt: number }) {
    return this.store.insertEnrollmentCode(code);
  }
  consumeEnrollmentCode(codeHash: string, now: number) {
    return this.store.consumeEnrollmentCode(codeHash, now);
  }
  claim(key: string, now: number, until: number) {
    return this.store.claim(key, now, until);
  }
  release(key: string, until: number) {
    return this.store.release(key, until);
  }
  findIncident(channel: string, host: string) {
    return this.store.findIncident(channel, host);
  }
  insertIncident(incident: IncidentThread) {
    return this.store.insertIncident(incident);
  }
  openIncident(incident: Incident, key: string) {
    return this.store.openIncident(incident, key);
  }
  findOpenIncident(key: string) {
    return this.store.findOpenIncident(key);
  }
  getIncident(id: string) {
    return this.store.getIncident(id);
  }
  listIncidents(filter: { open?: boolean; limit?: number }) {
    return this.store.listIncidents(filter);
  }
  async updateIncident(id: string, from: readonly IncidentState[], patch: IncidentPatch, inPhase?: IncidentPhase) {
    const updated = await this.store.updateIncident(id, from, patch, inPhase);
    if (updated?.headerStale) await this.wakeForHeader(updated);
    return updated;
  }
  appendIncidentEvent(event: Omit<IncidentEvent, "seq">) {
    return this.store.appendIncidentEvent(event);
  }
  incidentTimeline(id: string) {
    return this.store.incidentTimeline(id);
  }
  async enqueueOutbox(item: Omit<OutboxItem, "state" | "attempts" | "lastError" | "told" | "doneAt">) {
    const queued = await this.store.enqueueOutbox(item);
    // Delivered from this object's alarm (the outbox's drain on Workers).
    if (queued) await this.wakeForOutbox(item.nextAt);
    return queued;
  }
  claimOutbox(now: number, leaseUntil: number, limit: number) {
    return this.store.claimOutbox(now, leaseUntil, limit);
  }
  async settleOutbox(id: string, patch: OutboxPatch) {
    await this.store.settleOutbox(id, patch);
    if (patch.state === "pending" && patch.nextAt !== undefined) await this.wakeForOutbox(patch.nextAt);
  }
  listOutbox(filter: { incidentId?: string; state?: OutboxState; limit?: number }) {
    return this.store.listOutbox(filter);
  }
  recordSignal(signal: Omit<SignalFate, "seq">) {
    return this.store.recordSignal(signal);
  }
  listSignals(filter: { incidentId?: string; host?: string; limit?: number }) {
    return this.store.listSignals(filter);
  }
  countIncident(id: string, delta: Partial<IncidentCounts>, at: number) {
    return this.store.countIncident(id, delta, at);
  }
  joinIncident(id: string, host: string) {
    return this.store.joinIncident(id, host);
  }
  staleHeaders(editedBefore: number) {
    return this.store.staleHeaders(editedBefore);
  }
  putSnooze(snooze: Snooze) {
    return this.store.putSnooze(snooze);
  }
  listSnoozes() {
    return this.store.listSnoozes();
  }
  removeSnooze(host: string, finding: string) {
    return this.store.removeSnooze(host, finding);
  }
  countSnoozed(host: string, finding: string, n: number) {
    return this.store.countSnoozed(host, finding, n);
  }
  forgetIncidentThread(channel: string, host: string, threadTs: string) {
    return this.store.forgetIncidentThread(channel, host, threadTs);
  }
  insertTicket(ticket: IncidentTicket) {
    return this.store.insertTicket(ticket);
  }
  getTicket(id: string) {
    return this.store.getTicket(id);
  }
  findOpenTicket(host: string, finding: string) {
    return this.store.findOpenTicket(host, finding);
  }
  ticketsByKey(system: TicketSystem, key: string) {
    return this.store.ticketsByKey(system, key);
  }
  ticketIncidents(ticketId: string) {
    return this.store.ticketIncidents(ticketId);
  }
  incidentTickets(incidentId: string) {
    return this.store.incidentTickets(incidentId);
  }
  linkTicket(incidentId: string, ticketId: string, kind: TicketLinkKind, at: number) {
    return this.store.linkTicket(incidentId, ticketId, kind, at);
  }
  updateTicket(id: string, patch: TicketPatch) {
    return this.store.updateTicket(id, patch);
  }
  incidentByThread(channel: string, threadTs: string) {
    return this.store.incidentByThread(channel, threadTs);
  }
  incidentByOwnChannel(channel: string) {
    return this.store.incidentByOwnChannel(channel);
  }
  recordTeamMessage(message: NewTeamMessage) {
    return this.store.recordTeamMessage(message);
  }
  teamMessage(channel: string, ts: string) {
    return this.store.teamMessage(channel, ts);
  }
  editTeamMessage(channel: string, ts: string, text: string, at: number) {
    return this.store.editTeamMessage(channel, ts, text, at);
  }
  deleteTeamMessage(channel: string, ts: string, at: number) {
    return this.store.deleteTeamMessage(channel, ts, at);
  }
  pinTeamMessage(channel: string, ts: string, delta: 1 | -1, by: string, at: number) {
    return this.store.pinTeamMessage(channel, ts, delta, by, at);
  }
  teamMessages(incidentId: string) {
    return this.store.teamMessages(incidentId);
  }
  addIncidentAction(action: Omit<IncidentAction, "n" | "state" | "doneAt" | "doneBy">) {
    return this.store.addIncidentAction(action);
  }
  listIncidentActions(filter: { incidentId?: string; open?: boolean; limit?: number }) {
    return this.store.listIncidentActions(filter);
  }
  closeIncidentAction(incidentId: string, n: number, by: string, at: number) {
    return this.store.closeIncidentAction(incidentId, n, by, at);
  }
  recordMirrorThread(incidentId: string, channel: string, ts: string, at: number) {
    return this.store.recordMirrorThread(incidentId, channel, ts, at);
  }
  giveUpMirror(incidentId: string, channel: string, error: string, at: number) {
    return this.store.giveUpMirror(incidentId, channel, error, at);
  }
  incidentMirrors(incidentId: string) {
    return this.store.incidentMirrors(incidentId);
  }
  createJob(job: JobRecord) {
    return this.store.createJob(job);
  }
  getJob(id: string) {
    return this.store.getJob(id);
  }
  updateJob(id: string, patch: JobPatch) {
    return this.store.updateJob(id, patch);
  }
  appendJobResult(id: string, result: StepResult) {
    return this.store.appendJobResult(id, result);
  }
  listJobs(filter: { status?: JobStatus; host?: string; limit?: number }) {
    return this.store.listJobs(filter);
  }
}
