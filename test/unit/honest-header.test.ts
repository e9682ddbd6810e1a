import { describe, expect, it } from "vitest";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { renderIncidentList } from "../../src/core/incidents/render.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import type { Incident } from "../../src/core/ports/incident-book.ts";
import { NO_COUNTS } from "../../src/core/ports/incident-book.ts";
import type { CommandRequest } from "../../src/core/requests/types.ts";
import { handle } from "../../src/core/router/handle.ts";
import { renderTriageProgress } from "../../src/core/triage/render.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { gatewayDownData, healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { enrolledHost, RecordingChat, testDeps, until } from "../support/harness.ts";
import { memoryRecovery } from "../support/memory-recovery-store.ts";

/**
 * An honest header (issue 40, item 4): a person's triage of a healthy host (or one with only
 * layers to watch) leaves no failing incident; one that finds a failing layer is failing; the
 * incident list's icon follows the phase and names who resolved it; a reading being refreshed
 * is pending, not an error.
 */
const T0 = Date.UTC(2026, 10, 26, 12, 0);
const CHANNEL = "C0INCIDENT";
const ALICE = "U0ALICE";
const BOB = "U0BOB";

/** A CLI newer than the running gateway: `version-skew`, a warning on the process layer only. */
function warnOnly() {
  const d = healthyData();
  d.versions.openclaw = "2026.10.1";
  return toResults(d);
}

async function rig(results: ReturnType<typeof toResults>) {
  const clock = { t: T0, now: () => clock.t };
  const store = new SqliteStore(":memory:");
  await store.insertHost(enrolledHost("node-3", T0));
  const transport = new FakeHostTransport().addHost("node-3", { results });
  const chat = new RecordingChat();
  const deps: CoreDeps = testDeps({
    store,
    transport,
    chat,
    clock,
    recovery: memoryRecovery({
      authz: new Authorizer({
        incidentLeads: { users: [], userGroups: [], channels: [] },
        actions: { resolve: { users: [ALICE, BOB], userGroups: [], channels: [] } },
      }),
    }),
    incidents: parseIncidentRouting(CHANNEL, undefined),
  });
  let k = 0;
  const command = async (user: string, text: string) => {
    const request: CommandRequest = { text, user, channel: CHANNEL, requestKey: `req-${++k}`, source: "slack" };
    const reply = await handle(deps, { kind: "command", request });
    await reply.later?.();
    return reply;
  };
  const triage = async () => {
    const before = (await store.listJobs({ status: "done" })).length;
    expect((await command(ALICE, "triage node-3")).error).toBeUndefined();
    await until("the triage", 5_000, async () => (await store.listJobs({ status: "done" })).length > before);
  };
  return { clock, store, chat, deps, transport, command, triage };
}

describe("a person's triage and its incident", () => {
  it("of a healthy host: closed at once by clawops, no failing incident, its header says so; the next triage answers in the same thread", async () => {
    const r = await rig(toResults(healthyData()));
    await r.triage();
    expect(await r.store.listIncidents({ open: true })).toEqual([]);
    const [closed] = await r.store.listIncidents({});
    expect(closed).toMatchObject({ source: "command", state: "resolved", resolvedBy: "clawops" });
    const header = r.chat.updated.filter((u) => u.ts === closed?.threadTs).at(-1);
    expect(header?.text).toBe("Incident: OpenClaw gateway on node-3");
    expect(JSON.stringify(header?.parts)).toContain("Resolved by");
    expect(JSON.stringify(header?.parts)).not.toContain("Failing");
    const timeline = await r.store.incidentTimeline(closed?.id ?? "");
    expect(timeline.map((e) => e.text)).toContain(
      "the triage found no failing layer: closed, nothing to resolve by hand; a later failure opens a new incident",
    );
    await r.triage();
    const all = await r.store.listIncidents({});
    expect(all.length).toBe(2);
    expect(new Set(all.map((i) => i.threadTs)).size).toBe(1);
  });

  it("with only layers to watch: closed too, the layers named on its timeline", async () => {
    const r = await rig(warnOnly());
    await r.triage();
    expect(await r.store.listIncidents({ open: true })).toEqual([]);
    const [closed] = await r.store.listIncidents({});
    const timeline = await r.store.incidentTimeline(closed?.id ?? "");
    expect(timeline.map((e) => e.text)).toContain(
      "the triage found no failing layer (1 to watch: process): closed, nothing to resolve by hand; a later failure opens a new incident",
    );
  });

  it("that finds a failing layer: the incident is failing, its header says so, nobody has to reopen anything", async () => {
    const r = await rig(toResults(gatewayDownData()));
    expect((await r.command(ALICE, "triage node-3")).error).toBeUndefined();
    const [opened] = await r.store.listIncidents({ open: true });
    // Before the answer: checking, not failing.
    expect(opened?.phase === "checking" || opened?.phase === "failing").toBe(true);
    await until("the triage", 5_000, async () => (await r.store.listJobs({ status: "done" })).length === 1);
    const [open] = await r.store.listIncidents({ open: true });
    expect(open).toMatchObject({ state: "open", phase: "failing" });
    const header = r.chat.updated.filter((u) => u.ts === open?.threadTs).at(-1);
    expect(JSON.stringify(header?.parts)).toContain("🔴 Failing");
  });
});

describe("the incident list", () => {
  const base: Incident = {
    id: "inc_1",
    source: "watch",
    state: "open",
    title: "OpenClaw gateway on node-3",
    hosts: ["node-3"],
    channel: CHANNEL,
    threadTs: "1.1",
    owner: null,
    openedAt: T0,
    openedBy: "clawops watch",
    updatedAt: T0,
    resolvedAt: null,
    resolvedBy: null,
    phase: "failing",
    parentId: null,
    causes: [],
    counts: NO_COUNTS,
    lastSignalAt: T0,
    headerAt: null,
    headerStale: false,
    severity: "sev2",
    acknowledgedAt: null,
    comms: null,
    scribe: null,
  };

  it("shows each incident's icon by its phase, and who resolved it (not who owned it)", () => {
    const list = renderIncidentList(
      [
        { ...base, id: "inc_a" },
        { ...base, id: "inc_b", phase: "recovered", state: "acknowledged", owner: BOB },
        { ...base, id: "inc_c", state: "resolved", owner: BOB, resolvedBy: ALICE, resolvedAt: T0 + 60_000 },
      ],
      "all",
      T0 + 120_000,
    );
    const lines = JSON.stringify(list.parts).split("\\n");
    expect(lines.find((l) => l.includes("inc_a"))).toMatch(/🔴 `inc_a`.* · open · sev2 · watch/);
    expect(lines.find((l) => l.includes("inc_b"))).toMatch(/🟢 `inc_b`.* · acknowledged \(<@U0BOB>\) · recovered/);
    const c = lines.find((l) => l.includes("inc_c"));
    expect(c).toMatch(/✅ `inc_c`.* · resolved by <@U0ALICE>/);
    expect(c).not.toContain("U0BOB");
  });
});

describe("a reading being refreshed", () => {
  it("is listed pending (⏳), not as an error (❌)", () => {
    const progress = renderTriageProgress(
      "node-3",
      ["doctor.lint"],
      [
        {
          step: "doctor.lint",
          status: "error",
          durationMs: 3,
          error: {
            code: "doctor_pending",
            message: "a new reading is being taken on the host (started 1 s ago; 5-10 s)",
          },
        },
      ],
      { phase: "finished", elapsedMs: 1_000 },
    );
    const text = JSON.stringify(progress.parts);
    expect(text).toContain("⏳ `doctor.lint`");
    expect(text).not.toContain("❌");
  });
});
