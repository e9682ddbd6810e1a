import { InProcessJobs } from "../../src/core/jobs/in-process.ts";
import { InProcessTurns } from "../../src/core/jobs/turns.ts";
import type { ChatMessage, ChatPort } from "../../src/core/ports/chat.ts";
import { type CoreDeps, capabilityOff, type HostJob, type JobScheduler } from "../../src/core/ports/deps.ts";
import type { HostRecord, Store } from "../../src/core/ports/store.ts";
import { HOST_JOB_KINDS } from "../../src/core/router/host-jobs.ts";
import { FakeHostTransport } from "./fake-transport.ts";
import { quietLogger } from "./loggers.ts";
import { memoryRecovery } from "./memory-recovery-store.ts";
import { InMemoryStore } from "./memory-store.ts";

/** A chat that keeps what it was given: posts get ts `1.0001`, `1.0002`, … (or what `tsOf(n)` gives the n-th). */
export class RecordingChat implements ChatPort {
  readonly posted: ChatMessage[] = [];
  readonly updated: (ChatMessage & { ts: string })[] = [];
  private readonly tsOf: (n: number) => string;
  constructor(tsOf: (n: number) => string = (n) => `1.${String(n).padStart(4, "0")}`) {
    this.tsOf = tsOf;
  }
  async postMessage(message: ChatMessage): Promise<{ ts: string }> {
    this.posted.push(message);
    return { ts: this.tsOf(this.posted.length) };
  }
  async updateMessage(message: ChatMessage & { ts: string }): Promise<void> {
    this.updated.push(message);
  }
}

/**
 * Jobs that run nothing: each job started is kept (`started`), a host's turn runs its task at
 * once. For tests about what starts a job, not what the job does.
 */
export class RecordingJobs implements JobScheduler {
  readonly started: HostJob[] = [];
  depth(): number {
    return 0;
  }
  async start(_deps: CoreDeps, job: HostJob): Promise<void> {
    this.started.push(job);
  }
  /** This process's turns, as a runtime's: the storm guard decides one signal at a time, a thread opens once. */
  private readonly turns = new InProcessTurns();
  inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.turns.inTurn(key, task);
  }
}

/**
 * CoreDeps for a test that drives core in process, every field a working default the test can
 * replace: an in-memory store, the fake transport (no hosts until the test adds them), a
 * recording chat, the wall clock, unique counted ids (`job_0001ab3f`), the quiet logger, jobs
 * run in this process by the real job kinds, bundles off, recovery in memory (memoryRecovery()). Pass what the test is about:
 * `testDeps({ chat: new SlackWebApiChat(…), clock })`; the result keeps the overrides' types
 * (inferred from the argument only).
 */
export function testDeps<O extends Partial<CoreDeps>>(overrides: O = {} as O): NoInfer<Omit<CoreDeps, keyof O> & O> {
  let n = 0;
  const defaults: CoreDeps = {
    store: new InMemoryStore(),
    transport: new FakeHostTransport(),
    chat: new RecordingChat(),
    clock: { now: () => Date.now() },
    ids: { id: (p) => `${p}_${String(++n).padStart(4, "0")}${Math.random().toString(36).slice(2, 6)}` },
    logger: quietLogger,
    jobs: new InProcessJobs(HOST_JOB_KINDS),
    bundles: capabilityOff("not in this test"),
    recovery: memoryRecovery(),
  };
  return { ...defaults, ...overrides };
}

/**
 * An enrolled host as the incident tests keep one: enrolled a day before `at`, last seen at
 * `at`, agent 0.1.0 on OpenClaw 2026.9.6 (the lab's release).
 */
export function enrolledHost(name: string, at: number): HostRecord {
  return {
    name,
    publicKey: "k",
    enrolledAt: at - 86_400_000,
    revokedAt: null,
    agentVersion: "0.1.0",
    gatewayVersion: "2026.9.6",
    lastSeenAt: at,
  };
}

/**
 * Puts `name` in `store` as an enrolled host the way the Slack-, bundle- and router-facing tests
 * keep one (key "x", enrolled at 0, agent 0.1.0, no gateway version yet, seen now), with `over`
 * replacing any field; returns the record. Give the host answers with
 * `transport.addHost(name, …)` (test/support/fake-transport.ts).
 */
export async function seedHost(
  store: Pick<Store, "insertHost">,
  name: string,
  over: Partial<HostRecord> = {},
): Promise<HostRecord> {
  const record: HostRecord = {
    name,
    publicKey: "x",
    enrolledAt: 0,
    revokedAt: null,
    agentVersion: "0.1.0",
    gatewayVersion: null,
    lastSeenAt: Date.now(),
    ...over,
  };
  await store.insertHost(record);
  return record;
}
