import type { StepResult } from "../contract/catalog.ts";
import type {
  Incident,
  IncidentAction,
  IncidentCounts,
  IncidentEvent,
  IncidentMirror,
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
  AuditEntry,
  AuditQuery,
  AutoFreeze,
  ConfirmationRecord,
  FreezeRecord,
  MutedCounts,
  NewAuditEntry,
  NoticeRef,
  RecoveryStore,
  ScheduledFreeze,
  ScheduledFreezeStage,
} from "../core/ports/recovery.ts";
import type { HostRecord, IncidentThread, JobPatch, JobRecord, JobStatus, Store } from "../core/ports/store.ts";
import type { NewTeamMessage, TeamMessage } from "../core/ports/team-messages.ts";
import type { IncidentTicket, TicketLinkKind, TicketPatch, TicketSystem } from "../core/ports/ticket-book.ts";
import type { WatchRecord } from "../core/ports/watch-record.ts";
import type { DirectoryRpc, WatchShardRpc } from "./rpc.ts";
import { listWatchShards } from "./watch-shard.ts";

/** The single directory object's name: all state lives in one SQLite database. */
export const DIRECTORY_NAME = "directory";

/** The Store port for Worker requests and host objects: every call is one RPC to the directory. */
export class DirectoryStore implements Store {
  private readonly stub: DurableObjectStub<DirectoryRpc>;

  constructor(namespace: DurableObjectNamespace<DirectoryRpc>) {
    this.stub = namespace.get(namespace.idFromName(DIRECTORY_NAME));
  }

  async getHost(name: string): Promise<HostRecord | null> {
    return (await this.stub.getHost(name)) as HostRecord | null;
  }
  async listHosts(): Promise<HostRecord[]> {
    return (await this.stub.listHosts()) as HostRecord[];
  }
  insertHost(host: HostRecord): Promise<boolean> {
    return this.stub.insertHost(host);
  }
  async recordHostSeen(
    name: string,
    seen: { at: number; agentVersion?: string | null; gatewayVersion?: string | null },
  ): Promise<void> {
    await this.stub.recordHostSeen(name, seen);
  }
  setHostTags(name: string, tags: string[]): Promise<boolean> {
    return this.stub.setHostTags(name, tags);
  }
  revokeHost(name: string, at: number): Promise<boolean> {
    return this.stub.revokeHost(name, at);
  }
  async insertEnrollmentCode(code: { codeHash: string; host: string; expiresAt: number; createdAt: number }) {
    await this.stub.insertEnrollmentCode(code);
  }
  async consumeEnrollmentCode(codeHash: string, now: number): Promise<{ host: string } | null> {
    return (await this.stub.consumeEnrollmentCode(codeHash, now)) as { host: string } | null;
  }
  claim(key: string, now: number, until: number): Promise<boolean> {
    return this.stub.claim(key, now, until);
  }
  release(key: string, until: number): Promise<void> {
    return this.stub.release(key, until);
  }
  async findIncident(channel: string, host: string): Promise<IncidentThread | null> {
    return (await this.stub.findIncident(channel, host)) as IncidentThread | null;
  }
  async insertIncident(incident: IncidentThread): Promise<void> {
    await this.stub.insertIncident(incident);
  }
  async openIncident(incident: Incident, key: string): Promise<Incident> {
    return (await this.stub.openIncident(incident, key)) as Incident;
  }
  async findOpenIncident(key: string): Promise<Incident | null> {
    return (await this.stub.findOpenIncident(key)) as Incident | null;
  }
  async getIncident(id: string): Promise<Incident | null> {
    return (await this.stub.getIncident(id)) as Incident | null;
  }
  async listIncidents(filter: { open?: boolean; limit?: number }): Promise<Incident[]> {
    return (await this.stub.listIncidents(filter)) as Incident[];
  }
  async updateIncident(
    id: string,
    from: readonly IncidentState[],
    patch: IncidentPatch,
    inPhase?: IncidentPhase,
  ): Promise<Incident | null> {
    return (await this.stub.updateIncident(id, from, patch, inPhase)) as Incident | null;
  }
  appendIncidentEvent(event: Omit<IncidentEvent, "seq">): Promise<number> {
    return this.stub.appendIncidentEvent(event);
  }
  async countIncident(id: string, delta: Partial<IncidentCounts>, at: number): Promise<Incident | null> {
    return (await this.stub.countIncident(id, delta, at)) as Incident | null;
  }
  async joinIncident(id: string, host: string): Promise<Incident | null> {
    return (await this.stub.joinIncident(id, host)) as Incident | null;
  }
  async staleHeaders(editedBefore: number): Promise<Incident[]> {
    return (await this.stub.staleHeaders(editedBefore)) as Incident[];
  }
  async putSnooze(snooze: Snooze): Promise<void> {
    await this.stub.putSnooze(snooze);
  }
  async listSnoozes(): Promise<Snooze[]> {
    return (await this.stub.listSnoozes()) as Snooze[];
  }
  async removeSnooze(host: string, finding: string): Promise<Snooze | null> {
    return (await this.stub.removeSnooze(host, finding)) as Snooze | null;
  }
  async countSnoozed(host: string, finding: string, n: number): Promise<void> {
    await this.stub.countSnoozed(host, finding, n);
  }
  async forgetIncidentThread(channel: string, host: string, threadTs: string): Promise<void> {
    await this.stub.forgetIncidentThread(channel, host, threadTs);
  }
  async incidentTimeline(id: string): Promise<IncidentEvent[]> {
    return (await this.stub.incidentTimeline(id)) as IncidentEvent[];
  }
  enqueueOutbox(item: Omit<OutboxItem, "state" | "attempts" | "lastError" | "told" | "doneAt">): Promise<boolean> {
    return this.stub.enqueueOutbox(item);
  }
  async claimOutbox(now: number, leaseUntil: number, limit: number): Promise<OutboxItem[]> {
    return (await this.stub.claimOutbox(now, leaseUntil, limit)) as OutboxItem[];
  }
  async settleOutbox(id: string, patch: OutboxPatch): Promise<void> {
    await this.stub.settleOutbox(id, patch);
  }
  async listOutbox(filter: { incidentId?: string; state?: OutboxState; limit?: number }): Promise<OutboxItem[]> {
    return (await this.stub.listOutbox(filter)) as OutboxItem[];
  }
  async recordSignal(signal: Omit<SignalFate, "seq">): Promise<void> {
    await this.stub.recordSignal(signal);
  }
  async listSignals(filter: { incidentId?: string; host?: string; limit?: number }): Promise<SignalFate[]> {
    return (await this.stub.listSignals(filter)) as SignalFate[];
  }
  async insertTicket(ticket: IncidentTicket): Promise<IncidentTicket> {
    return (await this.stub.insertTicket(ticket)) as IncidentTicket;
  }
  async getTicket(id: string): Promise<IncidentTicket | null> {
    return (await this.stub.getTicket(id)) as IncidentTicket | null;
  }
  async findOpenTicket(host: string, finding: string): Promise<IncidentTicket | null> {
    return (await this.stub.findOpenTicket(host, finding)) as IncidentTicket | null;
  }
  async ticketsByKey(system: TicketSystem, key: string): Promise<IncidentTicket[]> {
    return (await this.stub.ticketsByKey(system, key)) as IncidentTicket[];
  }
  async ticketIncidents(ticketId: string): Promise<string[]> {
    return (await this.stub.ticketIncidents(ticketId)) as string[];
  }
  async incidentTickets(incidentId: string): Promise<IncidentTicket[]> {
    return (await this.stub.incidentTickets(incidentId)) as IncidentTicket[];
  }
  async addIncidentAction(
    action: Omit<IncidentAction, "n" | "state" | "doneAt" | "doneBy">,
  ): Promise<IncidentAction | null> {
    return (await this.stub.addIncidentAction(action)) as IncidentAction | null;
  }
  async listIncidentActions(filter: {
    incidentId?: string;
    open?: boolean;
    limit?: number;
  }): Promise<IncidentAction[]> {
    return (await this.stub.listIncidentActions(filter)) as IncidentAction[];
  }
  async closeIncidentAction(incidentId: string, n: number, by: string, at: number): Promise<IncidentAction | null> {
    return (await this.stub.closeIncidentAction(incidentId, n, by, at)) as IncidentAction | null;
  }
  async recordMirrorThread(incidentId: string, channel: string, ts: string, at: number): Promise<IncidentMirror> {
    return (await this.stub.recordMirrorThread(incidentId, channel, ts, at)) as IncidentMirror;
  }
  giveUpMirror(incidentId: string, channel: string, error: string, at: number): Promise<boolean> {
    return this.stub.giveUpMirror(incidentId, channel, error, at);
  }
  async incidentMirrors(incidentId: string): Promise<IncidentMirror[]> {
    return (await this.stub.incidentMirrors(incidentId)) as IncidentMirror[];
  }
  linkTicket(incidentId: string, ticketId: string, kind: TicketLinkKind, at: number): Promise<void> {
    return this.stub.linkTicket(incidentId, ticketId, kind, at);
  }
  async updateTicket(id: string, patch: TicketPatch): Promise<IncidentTicket | null> {
    return (await this.stub.updateTicket(id, patch)) as IncidentTicket | null;
  }
  async incidentByThread(channel: string, threadTs: string): Promise<Incident | null> {
    return (await this.stub.incidentByThread(channel, threadTs)) as Incident | null;
  }
  async incidentByOwnChannel(channel: string): Promise<Incident | null> {
    return (await this.stub.incidentByOwnChannel(channel)) as Incident | null;
  }
  async recordTeamMessage(message: NewTeamMessage): Promise<{ created: boolean; message: TeamMessage }> {
    return (await this.stub.recordTeamMessage(message)) as { created: boolean; message: TeamMessage };
  }
  async teamMessage(channel: string, ts: string): Promise<TeamMessage | null> {
    return (await this.stub.teamMessage(channel, ts)) as TeamMessage | null;
  }
  async editTeamMessage(channel: string, ts: string, text: string, at: number): Promise<TeamMessage | null> {
    return (await this.stub.editTeamMessage(channel, ts, text, at)) as TeamMessage | null;
  }
  async deleteTeamMessage(channel: string, ts: string, at: number): Promise<TeamMessage | null> {
    return (await this.stub.deleteTeamMessage(channel, ts, at)) as TeamMessage | null;
  }
  async pinTeamMessage(
    channel: string,
    ts: string,
    delta: 1 | -1,
    by: string,
    at: number,
  ): Promise<TeamMessage | null> {
    return (await this.stub.pinTeamMessage(channel, ts, delta, by, at)) as TeamMessage | null;
  }
  async teamMessages(incidentId: string): Promise<TeamMessage[]> {
    return (await this.stub.teamMessages(incidentId)) as TeamMessage[];
  }
  async createJob(job: JobRecord): Promise<{ created: boolean; job: JobRecord }> {
    return (await this.stub.createJob(job)) as { created: boolean; job: JobRecord };
  }
  async getJob(id: string): Promise<JobRecord | null> {
    return (await this.stub.getJob(id)) as JobRecord | null;
  }
  async updateJob(id: string, patch: JobPatch): Promise<void> {
    await this.stub.updateJob(id, patch);
  }
  async appendJobResult(id: string, result: StepResult): Promise<void> {
    await this.stub.appendJobResult(id, result);
  }
  async listJobs(filter: { status?: JobStatus; host?: string; limit?: number }): Promise<JobRecord[]> {
    return (await this.stub.listJobs(filter)) as JobRecord[];
  }
}

/** The RecoveryStore port on Workers: every call is one RPC to the directory object's SQLite. */
export class DirectoryRecoveryStore implements RecoveryStore {
  private readonly stub: DurableObjectStub<DirectoryRpc>;

  constructor(namespace: DurableObjectNamespace<DirectoryRpc>) {
    this.stub = namespace.get(namespace.idFromName(DIRECTORY_NAME));
  }

  async insertConfirmation(c: ConfirmationRecord): Promise<void> {
    await this.stub.insertConfirmation(c);
  }
  async getConfirmation(id: string): Promise<ConfirmationRecord | null> {
    return (await this.stub.getConfirmation(id)) as ConfirmationRecord | null;
  }
  async setConfirmationMessage(id: string, messageTs: string): Promise<void> {
    await this.stub.setConfirmationMessage(id, messageTs);
  }
  decideConfirmation(id: string, d: { at: number; by: string; decision: "approve" | "cancel" }): Promise<boolean> {
    return this.stub.decideConfirmation(id, d);
  }
  async putFreeze(freeze: FreezeRecord): Promise<void> {
    await this.stub.putFreeze(freeze);
  }
  putAutoFreeze(freeze: FreezeRecord & { auto: AutoFreeze }, now: number): Promise<boolean> {
    return this.stub.putAutoFreeze(freeze, now);
  }
  async getFreeze(target: string): Promise<FreezeRecord | null> {
    return (await this.stub.getFreeze(target)) as FreezeRecord | null;
  }
  async listFreezes(): Promise<FreezeRecord[]> {
    return (await this.stub.listFreezes()) as FreezeRecord[];
  }
  async countMuted(target: string, createdAt: number, kind: keyof MutedCounts, n: number): Promise<void> {
    await this.stub.countMuted(target, createdAt, kind, n);
  }
  async setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]): Promise<void> {
    await this.stub.setFreezeNotices(target, createdAt, notices);
  }
  async removeFreeze(target: string, createdAt?: number): Promise<FreezeRecord | null> {
    return (await this.stub.removeFreeze(target, createdAt)) as FreezeRecord | null;
  }
  async putScheduledFreeze(s: ScheduledFreeze): Promise<void> {
    await this.stub.putScheduledFreeze(s);
  }
  async listScheduledFreezes(): Promise<ScheduledFreeze[]> {
    return (await this.stub.listScheduledFreezes()) as ScheduledFreeze[];
  }
  async advanceScheduledFreeze(
    id: string,
    from: readonly ScheduledFreezeStage[],
    to: ScheduledFreezeStage | null,
  ): Promise<ScheduledFreeze | null> {
    return (await this.stub.advanceScheduledFreeze(id, [...from], to)) as ScheduledFreeze | null;
  }
  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return (await this.stub.appendAudit(entry)) as AuditEntry;
  }
  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return (await this.stub.listAudit(query)) as AuditEntry[];
  }
}

/**
 * The Store for Worker requests, with the fleet's watch states read from the 16 shard objects
 * (`/openclaw status` from the watch).
 */
export class FleetWatchStore extends DirectoryStore {
  private readonly shards: DurableObjectNamespace<WatchShardRpc>;

  constructor(directory: DurableObjectNamespace<DirectoryRpc>, shards: DurableObjectNamespace<WatchShardRpc>) {
    super(directory);
    this.shards = shards;
  }

  listWatch(): Promise<WatchRecord[]> {
    return listWatchShards(this.shards);
  }
}
