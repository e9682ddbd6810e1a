import { describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { FIRING_MEMORY_MS, receiveAlerts } from "../../src/core/alerts/receive.ts";
import { drainOutbox } from "../../src/core/incidents/outbox.ts";
import { moveIncidentAndTell } from "../../src/core/incidents/pipeline.ts";
import type { ChatMessage } from "../../src/core/ports/chat.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { RecordingChat, RecordingJobs, testDeps } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";

/**
 * Alerts in the core, with a fake clock: what a long-firing alert does over days. (The webhook
 * routes, their auth and the real triage are in test/unit/alert-webhooks.test.ts.)
 */
const T0 = Date.UTC(2026, 10, 24, 9, 0);
const CHANNEL = "C0ALERTS";
const DAY = 24 * 3_600_000;

async function setup() {
  let now = T0;
  const chat = new RecordingChat((k) => `${1_790_000_000 + k}.000100`);
  const jobs = new RecordingJobs();
  const { posted } = chat;
  const { started } = jobs;
  const store = new InMemoryStore();
  await store.insertHost({
    name: "node-3",
    publicKey: "k",
    enrolledAt: T0 - DAY,
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: null,
    tags: [],
  });
  let n = 0;
  const deps = testDeps({
    store,
    transport: new FakeHostTransport().addHost("node-3"),
    chat,
    clock: { now: () => now },
    ids: { id: (p: string) => `${p}_${++n}` },
    jobs,
    incidents: { defaultChannel: CHANNEL, rules: [] },
  });
  const fire = async (alert: IncomingAlert) => {
    const receipt = await receiveAlerts(deps, [alert], { hostLabels: ["host"] });
    await receipt.later?.();
  };
  return { deps, store, posted, started, fire, advance: (ms: number) => (now += ms) };
}

const LONG_FIRING: IncomingAlert = {
  source: "alertmanager",
  status: "firing",
  name: "OpenClawGatewayDown",
  summary: "gateway down on node-3",
  link: null,
  identity: "f00d@2026-11-24T09:00:00Z",
  labels: { host: "node-3" },
};

describe("an alert that keeps firing", () => {
  it("is triaged once, stays quiet on its repeats, is counted on its open incident a week on, and is triaged again once that was resolved", async () => {
    const { deps, store, posted, started, fire, advance } = await setup();
    await fire(LONG_FIRING);
    expect(started.map((j) => j.kind)).toEqual(["triage"]);
    const afterFirst = posted.length;
    expect(afterFirst).toBeGreaterThan(0);

    // Alertmanager's repeat_interval (4 h): nothing new.
    advance(4 * 3_600_000);
    await fire(LONG_FIRING);
    expect(started).toHaveLength(1);
    expect(posted).toHaveLength(afterFirst);

    // Past the firing memory, the host's incident still open: counted on it, nothing posted, no triage.
    advance(FIRING_MEMORY_MS);
    await fire(LONG_FIRING);
    const [incident] = await store.listIncidents({ open: true });
    expect(incident?.counts.alerts).toBe(2);
    expect(posted).toHaveLength(afterFirst);
    expect(started).toHaveLength(1);

    // Resolved, and still firing a week on: posted again, and the triage the message announces really starts.
    await moveIncidentAndTell(deps, incident?.id ?? "", "resolved", "U0LEAD");
    const afterResolve = posted.length;
    advance(FIRING_MEMORY_MS);
    await fire(LONG_FIRING);
    expect(posted.length).toBeGreaterThan(afterResolve);
    expect(started).toHaveLength(2);
    expect(started[1]?.job.id).not.toBe(started[0]?.job.id);
  });
});

/** What a posted message says, as plain text (its fallback and every part). */
const said = (m: ChatMessage | undefined) => (m ? messageToText(m) : "");

const OTHER_ALERT: IncomingAlert = {
  ...LONG_FIRING,
  name: "OpenClawGatewayFlapping",
  identity: "beef@2026-11-24T09:05:00Z",
};

describe("an alert whose triage cannot be queued", () => {
  it("says no triage, starts none, and leaves the rate limit unspent for the next alert", async () => {
    const { deps, store, posted, started, fire, advance } = await setup();
    const createJob = store.createJob.bind(store);
    store.createJob = async () => {
      throw new Error("SQLITE_FULL: database or disk is full");
    };
    await fire(LONG_FIRING);
    const fired = posted.at(-1);
    expect(said(fired)).toContain("No triage: clawops could not queue the triage");
    expect(said(fired)).not.toContain("A triage follows");
    expect(started).toHaveLength(0);

    // The store recovers and the incident is resolved (an open one would only count the next
    // alert); another alert on the host a minute later is triaged (no "rate limit").
    store.createJob = createJob;
    const [incident] = await store.listIncidents({ open: true });
    await moveIncidentAndTell(deps, incident?.id ?? "", "resolved", "U0LEAD");
    advance(60_000);
    await fire(OTHER_ALERT);
    expect(said(posted.at(-1))).toContain("A triage follows in this thread.");
    expect(started.map((j) => j.kind)).toEqual(["triage"]);
  });
});

describe("an alert whose message cannot be posted", () => {
  it("on the record, waits in the outbox: its triage starts once the message is posted", async () => {
    const { deps, store, posted, started, fire, advance } = await setup();
    const postMessage = deps.chat.postMessage.bind(deps.chat);
    deps.chat.postMessage = async () => {
      throw new Error("Slack API chat.postMessage failed: 503 service_unavailable");
    };
    await fire(LONG_FIRING);
    expect(posted).toHaveLength(0);
    expect(started).toHaveLength(0);
    const [job] = await store.listJobs({ host: "node-3" });
    expect(job?.status).toBe("running");
    expect(job?.detail).toContain("the alert's message could not be posted in <#C0ALERTS> yet");

    // Slack is back: the outbox's next try posts the message, and the triage that waited starts.
    deps.chat.postMessage = postMessage;
    const [queued] = await store.listOutbox({ state: "pending" });
    advance((queued?.nextAt ?? 0) - deps.clock.now());
    expect(await drainOutbox(deps)).toMatchObject({ sent: 1 });
    expect(said(posted.at(-1))).toContain("A triage follows in this thread.");
    expect(started.map((j) => j.job.id)).toEqual([job?.id]);
  });

  it("with no record either (its store is full), runs no triage unannounced: the job ends rejected, and the alert's repeat is triaged", async () => {
    const { deps, store, posted, started, fire, advance } = await setup();
    const postMessage = deps.chat.postMessage.bind(deps.chat);
    deps.chat.postMessage = async () => {
      throw new Error("Slack API chat.postMessage failed: 503 service_unavailable");
    };
    const openIncident = store.openIncident;
    store.openIncident = async () => {
      throw new Error("SQLITE_FULL: database or disk is full");
    };
    await fire(LONG_FIRING);
    expect(posted).toHaveLength(0);
    expect(started).toHaveLength(0);
    const [job] = await store.listJobs({ host: "node-3" });
    expect(job?.status).toBe("rejected");
    expect(job?.detail).toContain("Not run: the alert's message could not be posted");
    expect(job?.detail).toContain("503 service_unavailable");

    // Slack and the store are back; Alertmanager repeats the alert: handled as new, announced and triaged.
    deps.chat.postMessage = postMessage;
    store.openIncident = openIncident;
    advance(4 * 3_600_000);
    await fire(LONG_FIRING);
    expect(said(posted.at(-1))).toContain("A triage follows in this thread.");
    expect(started).toHaveLength(1);
    expect(started[0]?.job.id).not.toBe(job?.id);
  });
});
