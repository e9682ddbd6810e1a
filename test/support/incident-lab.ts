import type { StepResult } from "../../src/contract/catalog.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { HmacLinkSigner } from "../../src/core/bundles/signed-link.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import { drainOutbox } from "../../src/core/incidents/outbox.ts";
import { InProcessJobs } from "../../src/core/jobs/in-process.ts";
import type { BundleServices, TicketConfig } from "../../src/core/ports/bundles.ts";
import type { ChatFileUpload, ChatMessage, ChatPort } from "../../src/core/ports/chat.ts";
import { type CoreDeps, capabilityOn } from "../../src/core/ports/deps.ts";
import type { PagerDutyServices } from "../../src/core/ports/pagerduty.ts";
import { handle } from "../../src/core/router/handle.ts";
import { HOST_JOB_KINDS } from "../../src/core/router/host-jobs.ts";
import { ticketWriteBack } from "../../src/core/tickets/write-back.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { FakeHostTransport } from "./fake-transport.ts";
import { MemoryBlobStore } from "./memory-blob-store.ts";
import { InMemoryRecoveryStore } from "./memory-recovery-store.ts";
import { enrolledHost } from "./test-deps.ts";

/**
 * One control plane's core in this process for the incident follow-ups (issue 29, items 1 and
 * 6-8): real SQLite (incident records and tickets), the real job kinds, bundles on a memory blob
 * store with the real link signer, the ticket systems and PagerDuty given by the test (its
 * stand-ins), a fake agent transport, a chat that keeps what it was given (uploads too), a clock
 * the test moves.
 */
export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
export const CHANNEL = "C0INCIDENTS";
/** Allowed to open tickets, resolve, freeze, recover and restart; an incident lead. */
export const LEAD = "U0LEAD";
/** Allowed nothing. */
export const STRANGER = "U0STRANGER";

export class LabChat implements ChatPort {
  readonly posted: (ChatMessage & { ts: string })[] = [];
  readonly updated: (ChatMessage & { ts: string })[] = [];
  readonly uploads: ChatFileUpload[] = [];
  async postMessage(message: ChatMessage): Promise<{ ts: string }> {
    const ts = `1790000000.${String(this.posted.length + 1).padStart(6, "0")}`;
    this.posted.push({ ...message, ts });
    return { ts };
  }
  async updateMessage(message: ChatMessage & { ts: string }): Promise<void> {
    this.updated.push(message);
  }
  async uploadFile(file: ChatFileUpload): Promise<{ fileId: string }> {
    this.uploads.push(file);
    return { fileId: `F${this.uploads.length}` };
  }
  /** Every text posted in a thread, in order. */
  thread(threadTs: string | null): string[] {
    return this.posted.filter((m) => m.threadTs === threadTs).map((m) => `${m.text}\n${JSON.stringify(m.parts)}`);
  }
}

export interface LabOptions {
  tickets?: TicketConfig;
  pagerduty?: PagerDutyServices;
  /** Without the upload flow (the local console's chat). */
  noUploads?: boolean;
  /** Each host's scripted agent answers. */
  hosts?: Record<string, StepResult[]>;
  approvalKey?: CoreDeps["recovery"]["approvalKey"];
}

export async function incidentLab(opts: LabOptions = {}) {
  let now = T0;
  const store = new SqliteStore(":memory:");
  const transport = new FakeHostTransport();
  for (const [name, results] of Object.entries(opts.hosts ?? { "node-3": [] })) {
    await store.insertHost(enrolledHost(name, T0));
    transport.addHost(name, { results });
  }
  const chat = new LabChat();
  if (opts.noUploads) (chat as { uploadFile?: unknown }).uploadFile = undefined;
  const blobs = new MemoryBlobStore();
  const bundles: BundleServices = {
    blobs,
    signer: new HmacLinkSigner("incident-lab-link-secret-0123456789"),
    publicUrl: "https://clawops.example",
    retentionMs: 14 * 86_400_000,
    linkTtlMs: 7 * 86_400_000,
    ticketKeepMs: 90 * 86_400_000,
    tickets: opts.tickets ?? {},
    retry: { attempts: 3, baseMs: 5 },
  };
  const recoveryStore = new InMemoryRecoveryStore();
  let n = 0;
  const rule = { users: [LEAD], userGroups: [], channels: [] };
  const deps: CoreDeps = {
    store,
    transport,
    chat,
    clock: { now: () => now },
    ids: { id: (p) => `${p}_${String(++n).padStart(4, "0")}` },
    logger: { info() {}, warn() {}, error() {} },
    jobs: new InProcessJobs(HOST_JOB_KINDS),
    bundles: capabilityOn(bundles),
    incidents: { defaultChannel: CHANNEL, rules: [] },
    recovery: {
      store: recoveryStore,
      authz: new Authorizer({
        incidentLeads: rule,
        actions: { ticket: rule, resolve: rule, freeze: rule, unfreeze: rule, recover: rule, restart: rule },
      }),
      announceChannels: [],
      decisions: new DecisionBus(),
      drainPollMs: 10,
      ...(opts.approvalKey ? { approvalKey: opts.approvalKey } : {}),
    },
    ...(opts.pagerduty ? { pagerduty: opts.pagerduty } : {}),
    // Tickets both ways (issue 41, item 4): a resolve's write-back, queued in the outbox; `drain` delivers it.
    ticketWriteBack: ticketWriteBack(bundles),
  };
  let k = 0;
  /** A typed command; its `later` is awaited (the slow half: jobs, tickets, posts). */
  const command = async (user: string, text: string) => {
    const reply = await handleCommand(deps, {
      text,
      user,
      channel: CHANNEL,
      requestKey: `req-${++k}`,
      source: "slack",
    });
    await reply.later?.();
    return reply;
  };
  /** A command button's press, through the router, as Slack's interaction route hands it over. */
  const press = async (user: string, button: { actionId: string; value: string }) => {
    const reply = await handle(deps, {
      kind: "command-press",
      press: {
        actionId: button.actionId,
        value: button.value,
        user,
        channel: CHANNEL,
        source: "slack",
        requestKey: `press-${++k}`,
      },
    });
    return reply;
  };
  return {
    deps,
    store,
    recoveryStore,
    transport,
    chat,
    blobs,
    bundles,
    command,
    press,
    /** The outbox's due deliveries, as the Node sweep and the Workers alarm drain them. */
    drain: () => drainOutbox(deps),
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}
export type IncidentLab = Awaited<ReturnType<typeof incidentLab>>;

/** A `bundle.collect` answer: a small bundle whose timeline shows what changed before the failure. */
export function bundleCollect(collectedAt: string, events: { at: string; kind: string; detail: string }[]): StepResult {
  const timeline = { firstClose1000: null, changesBeforeFirstClose1000: [], closeCodes: [], events, logNotes: [] };
  const versions = {
    cli: { version: "2026.9.6" },
    gatewayPackage: { version: "2026.9.6" },
    os: { pretty: "Debian GNU/Linux 12 (bookworm)" },
    node: "v24.21.0",
    agent: "0.1.0",
  };
  return {
    step: "bundle.collect",
    status: "ok",
    durationMs: 900,
    data: {
      collectedAt,
      files: [
        { name: "timeline.json", content: `${JSON.stringify(timeline, null, 2)}\n`, complete: true },
        { name: "versions.json", content: `${JSON.stringify(versions, null, 2)}\n`, complete: true },
      ],
      redactions: [],
      skipped: [],
    },
  };
}
