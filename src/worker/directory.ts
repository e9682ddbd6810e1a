import { DurableObject } from "cloudflare:workers";
import { SlackWebApiChat } from "../adapters/slack/web-api.ts";
import { SqlRecoveryStore } from "../adapters/sql/recovery-store.ts";
import type { StepResult } from "../contract/catalog.ts";
import { HostJobQueue } from "../core/jobs/host-queue.ts";
import type {
  HostRecord,
  HostTransport,
  IncidentRecord,
  JobPatch,
  JobRecord,
  JobStatus,
  Store,
} from "../core/ports.ts";
import { Authorizer } from "../core/recovery/authz.ts";
import { DecisionBus } from "../core/recovery/decision-bus.ts";
import { expireFreezes } from "../core/recovery/service.ts";
import type {
  AuditEntry,
  AuditQuery,
  ConfirmationRecord,
  FreezeRecord,
  NewAuditEntry,
  NoticeRef,
  RecoveryStore,
} from "../core/recovery/types.ts";
import { DurableObjectSqlStore, durableObjectSqlDriver } from "./do-sql-store.ts";
import { parseWorkerConfig, type WorkerEnv } from "./env.ts";
import { createConsoleLogger } from "./logger.ts";

const logger = createConsoleLogger("clawops-directory");

/** The single directory object's name: all state lives in one SQLite database. */
export const DIRECTORY_NAME = "directory";

/**
 * The Workers runtime's state (hosts, enrollment codes, incidents, jobs) in one Durable
 * Object's SQLite. One object, not one per host: listing hosts, the request-key idempotency
 * of jobs and one-time enrollment codes each need a single place that answers atomically,
 * and a chat-driven control plane writes a few rows per command, far below one object's
 * throughput. Agent sockets, which are many and long-lived, live in per-host objects
 * (src/worker/host-agent.ts) and call in here for state.
 */
export class ClawopsDirectory extends DurableObject<WorkerEnv> {
  private readonly store: DurableObjectSqlStore;
  /** Freezes, confirmations and the append-only audit log: the Node runtime's tables and queries. */
  private readonly recovery: SqlRecoveryStore;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    this.store = new DurableObjectSqlStore(ctx.storage.sql);
    this.recovery = new SqlRecoveryStore(durableObjectSqlDriver(ctx.storage.sql));
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
  getFreeze(target: string) {
    return this.recovery.getFreeze(target);
  }
  listFreezes() {
    return this.recovery.listFreezes();
  }
  setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]) {
    return this.recovery.setFreezeNotices(target, createdAt, notices);
  }
  removeFreeze(target: string, createdAt?: number) {
    return this.recovery.removeFreeze(target, createdAt);
  }
  appendAudit(entry: NewAuditEntry) {
    return this.recovery.appendAudit(entry);
  }
  listAudit(query: AuditQuery) {
    return this.recovery.listAudit(query);
  }

  /** The next freeze expiry is this object's alarm: no timer runs while nothing is frozen. */
  private async scheduleFreezeExpiry(): Promise<void> {
    const [next] = (await this.recovery.listFreezes()).map((f) => f.expiresAt).sort((a, b) => a - b);
    if (next === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
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
    const config = parsed.config;
    const offline: HostTransport = {
      isOnline: async () => false,
      dispatch: async () => ({ status: "lost", reason: "not used by the freeze sweep", results: [] }),
    };
    const { nextExpiryAt } = await expireFreezes(
      {
        store: this.store,
        transport: offline,
        chat: new SlackWebApiChat({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, logger }),
        clock: { now: () => Date.now() },
        ids: { id: (prefix) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}` },
        logger,
        hostQueue: new HostJobQueue(),
        recovery: {
          store: this.recovery,
          authz: new Authorizer(config.authz),
          announceChannels: config.announceChannels,
          decisions: new DecisionBus(),
        },
      },
      Date.now(),
    );
    if (nextExpiryAt !== null) await this.ctx.storage.setAlarm(nextExpiryAt);
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
  claimRequest(key: string, at: number, forgetBefore: number) {
    return this.store.claimRequest(key, at, forgetBefore);
  }
  findIncident(channel: string, host: string) {
    return this.store.findIncident(channel, host);
  }
  insertIncident(incident: IncidentRecord) {
    return this.store.insertIncident(incident);
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

/** The Store port for Worker requests and host objects: every call is one RPC to the directory. */
export class DirectoryStore implements Store {
  private readonly stub: DurableObjectStub<ClawopsDirectory>;

  constructor(namespace: DurableObjectNamespace<ClawopsDirectory>) {
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
  claimRequest(key: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.stub.claimRequest(key, at, forgetBefore);
  }
  async findIncident(channel: string, host: string): Promise<IncidentRecord | null> {
    return (await this.stub.findIncident(channel, host)) as IncidentRecord | null;
  }
  async insertIncident(incident: IncidentRecord): Promise<void> {
    await this.stub.insertIncident(incident);
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
  private readonly stub: DurableObjectStub<ClawopsDirectory>;

  constructor(namespace: DurableObjectNamespace<ClawopsDirectory>) {
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
  async getFreeze(target: string): Promise<FreezeRecord | null> {
    return (await this.stub.getFreeze(target)) as FreezeRecord | null;
  }
  async listFreezes(): Promise<FreezeRecord[]> {
    return (await this.stub.listFreezes()) as FreezeRecord[];
  }
  async setFreezeNotices(target: string, createdAt: number, notices: NoticeRef[]): Promise<void> {
    await this.stub.setFreezeNotices(target, createdAt, notices);
  }
  async removeFreeze(target: string, createdAt?: number): Promise<FreezeRecord | null> {
    return (await this.stub.removeFreeze(target, createdAt)) as FreezeRecord | null;
  }
  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return (await this.stub.appendAudit(entry)) as AuditEntry;
  }
  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return (await this.stub.listAudit(query)) as AuditEntry[];
  }
}
