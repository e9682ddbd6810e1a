import { describe, expect, it } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import { backoffMs, drainOutbox, MAX_ATTEMPTS } from "../../src/core/incidents/outbox.ts";
import { moveIncidentAndTell, noteIncident } from "../../src/core/incidents/pipeline.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import type { ChatMessage } from "../../src/core/ports/chat.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { gatewayDownData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { enrolledHost, RecordingChat, testDeps } from "../support/harness.ts";

/**
 * Record first, deliver after, for what the incident pipeline says in a thread (issue 40, item
 * 8): on real SQLite, with a chat that fails as Slack does when its client has retried all it
 * could. A failed announcement leaves the incident open and counted, with nothing taken back; it
 * waits in the outbox, is tried again with backoff, and its triage runs once it is posted. A post
 * that never goes is given up and its triage ends rejected, saying why.
 */
const T0 = Date.UTC(2026, 10, 26, 3, 0);
const CHANNEL = "C0ONCALL";
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const DOWN: StepResult[] = toResults(gatewayDownData()).filter((x) => QUICK.has(x.step));

/** A chat that fails every post while `down`, as Slack's client does once its budget is spent. */
class FlakyChat extends RecordingChat {
  down = false;
  override async postMessage(message: ChatMessage): Promise<{ ts: string }> {
    if (this.down) throw new Error("Slack API chat.postMessage failed: 503 service_unavailable");
    return super.postMessage(message);
  }
}

async function rig() {
  const clock = { t: T0, now: () => clock.t };
  const store = new SqliteStore(":memory:");
  await store.insertHost(enrolledHost("node-3", T0));
  const transport = new FakeHostTransport().addHost("node-3", { results: toResults(gatewayDownData()) });
  const chat = new FlakyChat();
  const deps = testDeps({ store, transport, chat, clock, incidents: parseIncidentRouting(CHANNEL, undefined) });
  const watch = new WatchService(deps);
  let seq = 0;
  return {
    clock,
    store,
    chat,
    deps,
    /** Two failing probes: the watch holds the failure and raises the host's incident. */
    async failTwice() {
      for (let i = 0; i < 2; i++) {
        clock.t += 30_000;
        const prev = await store.getWatch("node-3");
        const hash = watchComparable(DOWN);
        await watch.receive(
          "node-3",
          prev?.last.hash === hash
            ? { type: "watch.digest", seq: ++seq, at: clock.t, hash }
            : { type: "watch.state", seq: ++seq, at: clock.t, hash, results: DOWN },
        );
      }
      await watch.idle();
    },
    open: async () => (await store.listIncidents({ open: true }))[0],
    posts: async () => (await store.listOutbox({})).filter((i) => i.kind === "post"),
    timeline: async (id: string) => (await store.incidentTimeline(id)).map((e) => e.text),
    /** Until every job on node-3 has ended (the triage runs in this process). */
    async settled() {
      for (let i = 0; i < 200; i++) {
        if ((await store.listJobs({ host: "node-3" })).every((j) => j.status !== "running")) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe("the watch's announcement while Slack is down", () => {
  it("opens and counts the incident at once; the post and then the triage follow when Slack answers", async () => {
    const r = await rig();
    r.chat.down = true;
    await r.failTwice();

    const incident = await r.open();
    expect(incident).toMatchObject({ source: "watch", state: "open" });
    expect(incident?.counts.watch).toBe(1);
    expect(r.chat.posted).toEqual([]);
    const [job] = await r.store.listJobs({ host: "node-3" });
    expect(job).toMatchObject({ kind: "triage", status: "running", threadTs: null });
    expect(job?.detail).toContain("the watch's message could not be posted in <#C0ONCALL> yet");
    const [queued] = await r.posts();
    expect(queued).toMatchObject({ state: "pending", attempts: 1, nextAt: r.clock.t + backoffMs(1, null) });
    const said = await r.timeline(incident?.id ?? "");
    expect(said.filter((t) => t.startsWith("⚠️ The watch's message could not be posted"))).toHaveLength(1);
    expect(said.join("\n")).toContain(`its triage (job ${job?.id}) starts once it is posted`);

    // Still down at the next try: tried again later, not said again.
    r.clock.t += backoffMs(1, null);
    expect(await drainOutbox(r.deps)).toMatchObject({ retrying: 1 });
    expect(await r.posts()).toMatchObject([{ state: "pending", attempts: 2 }]);
    expect((await r.timeline(incident?.id ?? "")).filter((t) => t.startsWith("⚠️"))).toHaveLength(1);

    // Slack answers: the thread is opened with the incident's header, the announcement posted
    // in it once, and the triage that waited runs and answers there.
    r.chat.down = false;
    r.clock.t += backoffMs(2, null);
    expect(await drainOutbox(r.deps)).toMatchObject({ sent: 1, retrying: 0 });
    await r.settled();
    const thread = (await r.open())?.threadTs;
    expect(thread).toBeTruthy();
    const inThread = r.chat.posted.filter((p) => p.threadTs === thread);
    expect(inThread.filter((p) => p.text.startsWith("Watch: node-3 failing since"))).toHaveLength(1);
    expect((await r.store.getJob(job?.id ?? ""))?.status).toBe("done");
    expect((await r.store.getJob(job?.id ?? ""))?.threadTs).toBe(thread);
    expect(await r.timeline(incident?.id ?? "")).toContain("The watch's message was posted after 3 tries.");
    // Nothing undone on the way: still one incident, counted once.
    expect(await r.store.listIncidents({})).toHaveLength(1);
    expect((await r.open())?.counts.watch).toBe(1);
  });

  it("a post that never goes is given up after its tries, and its triage ends rejected saying why", async () => {
    const r = await rig();
    r.chat.down = true;
    await r.failTwice();
    for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
      r.clock.t += 16 * 60_000;
      await drainOutbox(r.deps);
    }
    expect(await r.posts()).toMatchObject([{ state: "failed", attempts: MAX_ATTEMPTS }]);
    const [job] = await r.store.listJobs({ host: "node-3" });
    expect(job?.status).toBe("rejected");
    expect(job?.detail).toContain(
      `Not run: the watch's message could not be posted in <#C0ONCALL> after ${MAX_ATTEMPTS} tries`,
    );
    expect(job?.detail).toContain("503 service_unavailable");
    const incident = await r.open();
    expect(incident?.state).toBe("open");
    const warnings = (await r.timeline(incident?.id ?? "")).filter((t) => t.startsWith("⚠️"));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain(`gave up after ${MAX_ATTEMPTS} tries; its triage (job ${job?.id}) did not run`);
  });
});

describe("a note in the incident while Slack is down", () => {
  it("is on the timeline and moves the phase at once; posted later in the incident's own thread, even after it was resolved", async () => {
    const r = await rig();
    await r.failTwice();
    await r.settled();
    const incident = await r.open();
    const thread = incident?.threadTs;
    expect(thread).toBeTruthy();

    r.chat.down = true;
    const recovered = { text: "🟢 Watch: node-3 healthy again", parts: [] };
    await noteIncident(r.deps, { host: "node-3" }, recovered, { kind: "watch", phase: "recovered" });
    expect((await r.open())?.phase).toBe("recovered");
    expect(await r.timeline(incident?.id ?? "")).toContain("🟢 Watch: node-3 healthy again");

    // Resolved before Slack is back: the note still lands in that incident's thread.
    await moveIncidentAndTell(r.deps, incident?.id ?? "", "resolved", "U0OPERATOR");
    r.chat.down = false;
    r.clock.t += backoffMs(1, null);
    expect(await drainOutbox(r.deps)).toMatchObject({ sent: 1 });
    const note = r.chat.posted.find((p) => p.text === recovered.text);
    expect(note?.threadTs).toBe(thread);
    expect(note?.channel).toBe(CHANNEL);
  });
});
