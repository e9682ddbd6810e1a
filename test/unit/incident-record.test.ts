import { describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { receiveAlerts } from "../../src/core/alerts/receive.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import type { CommandRequest } from "../../src/core/requests/types.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { RecordingChat, RecordingJobs, testDeps } from "../support/harness.ts";
import { InMemoryRecoveryStore } from "../support/memory-recovery-store.ts";

/**
 * The incident as a record (issue 29, item 1), on real SQLite: the pipeline opens it from the
 * first signal and writes every later one into its timeline; `/openclaw incidents`,
 * `incident <id>`, `ack` and `resolve` read and move it.
 */
const T0 = Date.UTC(2026, 10, 25, 9, 0);
const CHANNEL = "C0ALERTS";
const LEAD = "U0LEAD";
const STRANGER = "U0OTHER";

async function setup() {
  let now = T0;
  const chat = new RecordingChat((k) => `${1_790_000_000 + k}.000100`);
  const jobs = new RecordingJobs();
  const { posted } = chat;
  const { started } = jobs;
  const store = new SqliteStore(":memory:");
  const recoveryStore = new InMemoryRecoveryStore();
  for (const name of ["node-3", "node-4"]) {
    await store.insertHost({
      name,
      publicKey: "k",
      enrolledAt: T0 - 1,
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
    });
  }
  let n = 0;
  const deps = testDeps({
    store,
    transport: new FakeHostTransport().addHost("node-3").addHost("node-4"),
    chat,
    clock: { now: () => now },
    ids: { id: (p: string) => `${p}_${++n}` },
    jobs,
    incidents: { defaultChannel: CHANNEL, rules: [] },
    recovery: {
      store: recoveryStore,
      authz: new Authorizer({
        incidentLeads: { users: [], userGroups: [], channels: [] },
        actions: { resolve: { users: [LEAD], userGroups: [], channels: [] } },
      }),
      announceChannels: [],
      decisions: new DecisionBus(),
    },
  });
  let k = 0;
  const command = async (user: string, text: string) => {
    const req: CommandRequest = { text, user, channel: CHANNEL, requestKey: `req-${++k}`, source: "slack" };
    const reply = await handleCommand(deps, req);
    return { ...reply, text: messageToText(reply.ack) };
  };
  const alert = async (status: "firing" | "resolved", name: string, host = "node-3") => {
    const a: IncomingAlert = {
      source: "alertmanager",
      status,
      name,
      summary: `${name} on ${host}`,
      link: null,
      identity: `${name}@${host}`,
      labels: { host },
    };
    const receipt = await receiveAlerts(deps, [a], { hostLabels: ["host"] });
    await receipt.later?.();
  };
  return { deps, store, recoveryStore, posted, started, command, alert, advance: (ms: number) => (now += ms) };
}

describe("the incident record", () => {
  it("is opened by the first alert, grows with the next signals in order, and is read back whole", async () => {
    const { store, command, alert, advance } = await setup();
    await alert("firing", "OpenClawGatewayDown");
    advance(30_000);
    await alert("firing", "OpenClawHighLatency");
    advance(30_000);
    await alert("resolved", "OpenClawGatewayDown");

    const open = await store.listIncidents({ open: true });
    expect(open).toHaveLength(1);
    const inc = open[0];
    expect(inc).toMatchObject({ source: "alert", state: "open", hosts: ["node-3"], owner: null, channel: CHANNEL });
    expect(inc?.threadTs).toMatch(/^\d+\.\d+$/);
    const timeline = await store.incidentTimeline(inc?.id ?? "");
    expect(timeline.map((e) => [e.seq, e.kind, e.actor])).toEqual([
      [1, "alert.firing", "Alertmanager"],
      [2, "alert.firing", "Alertmanager"],
      [3, "alert.resolved", "Alertmanager"],
    ]);
    // The second alert and the first resolve were counted (the storm guard), not posted.
    expect(inc?.counts).toMatchObject({ alerts: 2, alertsResolved: 1 });
    expect(timeline[1]?.text).toContain("counted");
    expect(timeline[0]?.text).toContain("OpenClawGatewayDown");
    expect(timeline[1]?.text).toContain("OpenClawHighLatency");
    expect(timeline[2]?.at).toBe(T0 + 60_000);

    const listed = await command(LEAD, "incidents");
    expect(listed.text).toContain(inc?.id);
    expect(listed.text).toContain("node-3");
    const shown = await command(LEAD, `incident ${inc?.id}`);
    expect(shown.error).toBeUndefined();
    expect(shown.text).toMatch(/OpenClawGatewayDown[\s\S]*OpenClawHighLatency[\s\S]*resolved/);
  });

  it("ack sets the owner; resolve is authorized, audited, closes it, and the host's next failure opens a new one", async () => {
    const { store, recoveryStore, command, alert, advance } = await setup();
    await alert("firing", "OpenClawGatewayDown");
    const [inc] = await store.listIncidents({ open: true });
    const id = inc?.id ?? "";

    const acked = await command(STRANGER, `incident ${id} ack`);
    expect(acked.error).toBeUndefined();
    expect(await store.getIncident(id)).toMatchObject({ state: "acknowledged", owner: STRANGER });

    // Not allowed to resolve: refused, nothing changed, the refusal audited.
    const refused = await command(STRANGER, `incident ${id} resolve`);
    expect(refused.error?.code).toBe("forbidden");
    expect(await store.getIncident(id)).toMatchObject({ state: "acknowledged", resolvedAt: null });
    const audit = await recoveryStore.listAudit({ limit: 10 });
    expect(audit.some((e) => e.actor === STRANGER && e.outcome === "refused" && e.detail.includes("resolve"))).toBe(
      true,
    );

    advance(60_000);
    const resolved = await command(LEAD, `incident ${id} resolve`);
    expect(resolved.error).toBeUndefined();
    expect(await store.getIncident(id)).toMatchObject({ state: "resolved", resolvedBy: LEAD, resolvedAt: T0 + 60_000 });
    expect((await store.incidentTimeline(id)).map((e) => [e.kind, e.actor])).toEqual([
      ["alert.firing", "Alertmanager"],
      ["acknowledged", STRANGER],
      ["resolved", LEAD],
    ]);
    // Twice: a clear error, nothing changed.
    const again = await command(LEAD, `incident ${id} resolve`);
    expect(again.error?.code).toBe("incident_resolved");
    expect(await command(LEAD, "incidents")).toMatchObject({ text: expect.stringContaining("No open incidents") });

    advance(8 * 24 * 3_600_000);
    await alert("firing", "OpenClawGatewayDown");
    const [next] = await store.listIncidents({ open: true });
    expect(next?.id).toBeDefined();
    expect(next?.id).not.toBe(id);
    expect((await store.listIncidents({})).length).toBe(2);
  });

  it("refuses an unknown id or a malformed one with a clear error, and audits it", async () => {
    const { command, recoveryStore } = await setup();
    const unknown = await command(LEAD, "incident inc_nope ack");
    expect(unknown.error?.code).toBe("unknown_incident");
    expect(unknown.text).toContain("/openclaw incidents all");
    const bad = await command(LEAD, "incident ../etc resolve");
    expect(bad.error?.code).toBe("bad_request");
    const audit = await recoveryStore.listAudit({ limit: 10 });
    expect(audit.filter((e) => e.outcome === "refused")).toHaveLength(2);
  });

  it("a triage command opens one with its requester; two hosts, two incidents", async () => {
    const { store, command, started } = await setup();
    for (const host of ["node-3", "node-4"]) {
      const reply = await command(LEAD, `triage ${host}`);
      expect(reply.error).toBeUndefined();
      await reply.later?.();
    }
    expect(started.map((j) => j.job.host)).toEqual(["node-3", "node-4"]);
    const open = await store.listIncidents({ open: true });
    expect(open.map((i) => [i.hosts[0], i.source, i.openedBy]).sort()).toEqual([
      ["node-3", "command", LEAD],
      ["node-4", "command", LEAD],
    ]);
  });
});
