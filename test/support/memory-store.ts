import type { StepResult } from "../../src/contract/catalog.ts";
import type { IncidentActionBook, IncidentBook, IncidentMirrorBook } from "../../src/core/ports/incident-book.ts";
import type { HostRecord, IncidentThread, JobPatch, JobRecord, JobStatus, Store } from "../../src/core/ports/store.ts";
import type { TeamMessageBook } from "../../src/core/ports/team-messages.ts";
import type { TicketBook } from "../../src/core/ports/ticket-book.ts";
import type { WatchRecord } from "../../src/core/ports/watch-record.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";

interface EnrollmentCodeRow {
  host: string;
  expiresAt: number;
  createdAt: number;
  usedAt: number | null;
}

/** Same default page size as the SQLite store's `listJobs`. */
const DEFAULT_JOB_LIMIT = 100;

/**
 * State in this process for Node unit tests: hosts, enrollment codes, claims, incident
 * threads, jobs and the watch in maps, and the incident books (a required part of the Store
 * port) in Node's SQLite store on an in-memory database.
 *
 * It follows the SQLite store's semantics (src/node/sqlite-store.ts) so either can stand in
 * for the other: records are copied in and out (a caller mutating a returned job changes
 * nothing stored), and every check-then-write runs without an `await` in between, which is
 * what makes `createJob` idempotent and `consumeEnrollmentCode` single-use under concurrent
 * requests in one process. Nothing survives the process.
 */
export class InMemoryStore implements Store {
  private readonly hosts = new Map<string, HostRecord>();
  private readonly codes = new Map<string, EnrollmentCodeRow>();
  /** Keyed by `channel \u0000 host`: one incident thread per host and channel. */
  private readonly incidents = new Map<string, IncidentThread>();
  private readonly incidentIds = new Set<string>();
  private readonly jobs = new Map<string, JobRecord>();
  private readonly jobIdByRequestKey = new Map<string, string>();
  private readonly watch = new Map<string, WatchRecord>();
  /**
   * The incident books (incidents, their timelines, outbox, signals, snoozes, tickets, team
   * messages, follow-up actions): Node's SQLite store on an in-memory database, so their
   * semantics are the production store's own and are not written a second time here.
   */
  private readonly books = new SqliteStore(":memory:");

  // IncidentBook: forwarded to the SQLite books.
  enqueueOutbox: IncidentBook["enqueueOutbox"] = (...a) => this.books.enqueueOutbox(...a);
  claimOutbox: IncidentBook["claimOutbox"] = (...a) => this.books.claimOutbox(...a);
  settleOutbox: IncidentBook["settleOutbox"] = (...a) => this.books.settleOutbox(...a);
  listOutbox: IncidentBook["listOutbox"] = (...a) => this.books.listOutbox(...a);
  recordSignal: IncidentBook["recordSignal"] = (...a) => this.books.recordSignal(...a);
  listSignals: IncidentBook["listSignals"] = (...a) => this.books.listSignals(...a);
  openIncident: IncidentBook["openIncident"] = (...a) => this.books.openIncident(...a);
  findOpenIncident: IncidentBook["findOpenIncident"] = (...a) => this.books.findOpenIncident(...a);
  getIncident: IncidentBook["getIncident"] = (...a) => this.books.getIncident(...a);
  listIncidents: IncidentBook["listIncidents"] = (...a) => this.books.listIncidents(...a);
  updateIncident: IncidentBook["updateIncident"] = (...a) => this.books.updateIncident(...a);
  countIncident: IncidentBook["countIncident"] = (...a) => this.books.countIncident(...a);
  joinIncident: IncidentBook["joinIncident"] = (...a) => this.books.joinIncident(...a);
  staleHeaders: IncidentBook["staleHeaders"] = (...a) => this.books.staleHeaders(...a);
  putSnooze: IncidentBook["putSnooze"] = (...a) => this.books.putSnooze(...a);
  listSnoozes: IncidentBook["listSnoozes"] = (...a) => this.books.listSnoozes(...a);
  removeSnooze: IncidentBook["removeSnooze"] = (...a) => this.books.removeSnooze(...a);
  countSnoozed: IncidentBook["countSnoozed"] = (...a) => this.books.countSnoozed(...a);
  appendIncidentEvent: IncidentBook["appendIncidentEvent"] = (...a) => this.books.appendIncidentEvent(...a);
  incidentTimeline: IncidentBook["incidentTimeline"] = (...a) => this.books.incidentTimeline(...a);

  // IncidentActionBook: forwarded to the SQLite books.
  addIncidentAction: IncidentActionBook["addIncidentAction"] = (...a) => this.books.addIncidentAction(...a);
  listIncidentActions: IncidentActionBook["listIncidentActions"] = (...a) => this.books.listIncidentActions(...a);
  closeIncidentAction: IncidentActionBook["closeIncidentAction"] = (...a) => this.books.closeIncidentAction(...a);

  // TicketBook: forwarded to the SQLite books.
  insertTicket: TicketBook["insertTicket"] = (...a) => this.books.insertTicket(...a);
  getTicket: TicketBook["getTicket"] = (...a) => this.books.getTicket(...a);
  findOpenTicket: TicketBook["findOpenTicket"] = (...a) => this.books.findOpenTicket(...a);
  ticketsByKey: TicketBook["ticketsByKey"] = (...a) => this.books.ticketsByKey(...a);
  ticketIncidents: TicketBook["ticketIncidents"] = (...a) => this.books.ticketIncidents(...a);
  incidentTickets: TicketBook["incidentTickets"] = (...a) => this.books.incidentTickets(...a);
  linkTicket: TicketBook["linkTicket"] = (...a) => this.books.linkTicket(...a);
  updateTicket: TicketBook["updateTicket"] = (...a) => this.books.updateTicket(...a);

  // TeamMessageBook: forwarded to the SQLite books.
  incidentByThread: TeamMessageBook["incidentByThread"] = (...a) => this.books.incidentByThread(...a);
  incidentByOwnChannel: TeamMessageBook["incidentByOwnChannel"] = (...a) => this.books.incidentByOwnChannel(...a);
  recordTeamMessage: TeamMessageBook["recordTeamMessage"] = (...a) => this.books.recordTeamMessage(...a);
  teamMessage: TeamMessageBook["teamMessage"] = (...a) => this.books.teamMessage(...a);
  editTeamMessage: TeamMessageBook["editTeamMessage"] = (...a) => this.books.editTeamMessage(...a);
  deleteTeamMessage: TeamMessageBook["deleteTeamMessage"] = (...a) => this.books.deleteTeamMessage(...a);
  pinTeamMessage: TeamMessageBook["pinTeamMessage"] = (...a) => this.books.pinTeamMessage(...a);
  teamMessages: TeamMessageBook["teamMessages"] = (...a) => this.books.teamMessages(...a);

  // IncidentMirrorBook: forwarded to the SQLite books.
  recordMirrorThread: IncidentMirrorBook["recordMirrorThread"] = (...a) => this.books.recordMirrorThread(...a);
  giveUpMirror: IncidentMirrorBook["giveUpMirror"] = (...a) => this.books.giveUpMirror(...a);
  incidentMirrors: IncidentMirrorBook["incidentMirrors"] = (...a) => this.books.incidentMirrors(...a);

  async getWatch(host: string): Promise<WatchRecord | null> {
    const w = this.watch.get(host);
    return w ? structuredClone(w) : null;
  }

  async putWatch(record: WatchRecord): Promise<void> {
    this.watch.set(record.host, structuredClone(record));
  }

  async listWatch(): Promise<WatchRecord[]> {
    return [...this.watch.values()].map((w) => structuredClone(w));
  }

  async getHost(name: string): Promise<HostRecord | null> {
    const host = this.hosts.get(name);
    return host ? structuredClone(host) : null;
  }

  async listHosts(): Promise<HostRecord[]> {
    return [...this.hosts.values()].sort((a, b) => compareText(a.name, b.name)).map((h) => structuredClone(h));
  }

  async insertHost(host: HostRecord): Promise<boolean> {
    const existing = this.hosts.get(host.name);
    if (!existing) {
      this.hosts.set(host.name, { ...structuredClone(host), revokedAt: null });
      return true;
    }
    if (existing.revokedAt === null) return false;
    // A revoked host may be enrolled again with a new key. As in the SQLite store, the last
    // known agent and gateway versions stay until the agent reports new ones.
    this.hosts.set(host.name, {
      ...existing,
      publicKey: host.publicKey,
      enrolledAt: host.enrolledAt,
      revokedAt: null,
      lastSeenAt: null,
    });
    return true;
  }

  async setHostTags(name: string, tags: string[]): Promise<boolean> {
    const host = this.hosts.get(name);
    if (!host) return false;
    host.tags = [...tags];
    return true;
  }

  async recordHostSeen(
    name: string,
    seen: { at: number; agentVersion?: string | null; gatewayVersion?: string | null },
  ): Promise<void> {
    const host = this.hosts.get(name);
    if (!host) return;
    host.lastSeenAt = seen.at;
    host.agentVersion = seen.agentVersion ?? host.agentVersion;
    host.gatewayVersion = seen.gatewayVersion ?? host.gatewayVersion;
  }

  async revokeHost(name: string, at: number): Promise<boolean> {
    const host = this.hosts.get(name);
    if (!host || host.revokedAt !== null) return false;
    host.revokedAt = at;
    return true;
  }

  async deleteHost(name: string): Promise<boolean> {
    return this.hosts.delete(name);
  }

  async insertEnrollmentCode(code: {
    codeHash: string;
    host: string;
    expiresAt: number;
    createdAt: number;
  }): Promise<void> {
    if (this.codes.has(code.codeHash)) throw new Error("enrollment code hash already stored");
    this.codes.set(code.codeHash, {
      host: code.host,
      expiresAt: code.expiresAt,
      createdAt: code.createdAt,
      usedAt: null,
    });
  }

  private readonly claims = new Map<string, number>();

  async claim(key: string, now: number, until: number): Promise<boolean> {
    for (const [k, t] of this.claims) if (t <= now) this.claims.delete(k);
    if (this.claims.has(key)) return false;
    this.claims.set(key, until);
    return true;
  }

  async release(key: string, until: number): Promise<void> {
    if (this.claims.get(key) === until) this.claims.delete(key);
  }

  async consumeEnrollmentCode(codeHash: string, now: number): Promise<{ host: string } | null> {
    const code = this.codes.get(codeHash);
    if (!code || code.usedAt !== null || code.expiresAt <= now) return null;
    code.usedAt = now;
    return { host: code.host };
  }

  async findIncident(channel: string, host: string): Promise<IncidentThread | null> {
    const incident = this.incidents.get(incidentKey(channel, host));
    return incident ? structuredClone(incident) : null;
  }

  async forgetIncidentThread(channel: string, host: string, threadTs: string): Promise<void> {
    const key = incidentKey(channel, host);
    if (this.incidents.get(key)?.threadTs === threadTs) this.incidents.delete(key);
  }

  async insertIncident(incident: IncidentThread): Promise<void> {
    // INSERT OR IGNORE: the first thread for a (channel, host) wins.
    const key = incidentKey(incident.channel, incident.host);
    if (this.incidents.has(key) || this.incidentIds.has(incident.id)) return;
    this.incidents.set(key, structuredClone(incident));
    this.incidentIds.add(incident.id);
  }

  async createJob(job: JobRecord): Promise<{ created: boolean; job: JobRecord }> {
    const existingId = this.jobIdByRequestKey.get(job.requestKey);
    const existing = existingId === undefined ? undefined : this.jobs.get(existingId);
    if (existing) return { created: false, job: structuredClone(existing) };
    if (this.jobs.has(job.id)) throw new Error(`job id ${job.id} already stored under another request key`);
    this.jobs.set(job.id, structuredClone(job));
    this.jobIdByRequestKey.set(job.requestKey, job.id);
    return { created: true, job: structuredClone(job) };
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    return job ? structuredClone(job) : null;
  }

  async updateJob(id: string, patch: JobPatch): Promise<void> {
    const job = this.jobs.get(id);
    if (!job) return;
    if (patch.status !== undefined) job.status = patch.status;
    if (patch.threadTs !== undefined) job.threadTs = patch.threadTs;
    if (patch.progressTs !== undefined) job.progressTs = patch.progressTs;
    if (patch.resultTs !== undefined) job.resultTs = patch.resultTs;
    if (patch.finishedAt !== undefined) job.finishedAt = patch.finishedAt;
    if (patch.detail !== undefined) job.detail = patch.detail;
  }

  async appendJobResult(id: string, result: StepResult): Promise<void> {
    const job = this.jobs.get(id);
    if (!job) return;
    // One result per step; a resent result (agent reconnect) replaces the earlier one.
    job.results = [...job.results.filter((r) => r.step !== result.step), structuredClone(result)];
  }

  async listJobs(filter: { status?: JobStatus; host?: string; limit?: number }): Promise<JobRecord[]> {
    const limit = filter.limit ?? DEFAULT_JOB_LIMIT;
    return [...this.jobs.values()]
      .filter(
        (j) =>
          (filter.status === undefined || j.status === filter.status) &&
          (filter.host === undefined || j.host === filter.host),
      )
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, Math.max(0, limit))
      .map((j) => structuredClone(j));
  }
}

function incidentKey(channel: string, host: string): string {
  return `${channel}\u0000${host}`;
}

/** Host names are ASCII (DNS labels), so code-unit order equals SQLite's BINARY collation. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
