import { describe, expect, it } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { receiveAlerts } from "../../src/core/alerts/receive.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { expireFreezes } from "../../src/core/freezes/freezes.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import type { CommandRequest } from "../../src/core/requests/types.ts";
import { handle } from "../../src/core/router/handle.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { gatewayDownData, healthyResults, tokenDriftData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { enrolledHost, RecordingChat, testDeps, until } from "../support/harness.ts";
import { memoryRecovery } from "../support/memory-recovery-store.ts";

/**
 * Mute and snooze (issue 29, item 3), in the core on real SQLite with the real job runner: a
 * maintenance freeze mutes the watch's and alerts' incidents for its host, counts them, says so
 * at its end and compares the triage after with the one before; a snooze mutes one finding on
 * one host, authorized, listed, and lifted by time.
 */
const T0 = Date.UTC(2026, 10, 25, 15, 0);
const CHANNEL = "C0INCIDENT";
const OPERATOR = "U0OPERATOR";
const STRANGER = "U0STRANGER";
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const quick = (r: StepResult[]) => r.filter((x) => QUICK.has(x.step));
const DOWN = quick(toResults(gatewayDownData()));

async function rig() {
  const clock = { t: T0, now: () => clock.t };
  const store = new SqliteStore(":memory:");
  await store.insertHost(enrolledHost("node-3", T0));
  const transport = new FakeHostTransport().addHost("node-3", { results: healthyResults() });
  const chat = new RecordingChat();
  const recovery = memoryRecovery({
    authz: new Authorizer({
      incidentLeads: { users: [], userGroups: [], channels: [] },
      actions: {
        freeze: { users: [OPERATOR], userGroups: [], channels: [] },
        snooze: { users: [OPERATOR], userGroups: [], channels: [] },
        resolve: { users: [OPERATOR], userGroups: [], channels: [] },
      },
    }),
  });
  const deps: CoreDeps = testDeps({
    store,
    transport,
    chat,
    clock,
    recovery,
    incidents: parseIncidentRouting(CHANNEL, undefined),
  });
  const watch = new WatchService(deps);
  let seq = 0;
  let k = 0;
  const command = async (user: string, text: string) => {
    const request: CommandRequest = { text, user, channel: CHANNEL, requestKey: `req-${++k}`, source: "slack" };
    const reply = await handle(deps, { kind: "command", request });
    await reply.later?.();
    return reply;
  };
  /** Two probes 30 s apart showing `results`: a held watch state. */
  const twice = async (results: StepResult[]) => {
    for (let i = 0; i < 2; i++) {
      clock.t += 30_000;
      const prev = await store.getWatch("node-3");
      const hash = watchComparable(results);
      await watch.receive(
        "node-3",
        prev?.last.hash === hash
          ? { type: "watch.digest", seq: ++seq, at: clock.t, hash }
          : { type: "watch.state", seq: ++seq, at: clock.t, hash, results },
      );
    }
    await watch.idle();
  };
  const failTwice = () => twice(DOWN);
  const healthyTwice = () => twice(quick(healthyResults()));
  const alert = async (i: number) => {
    const a: IncomingAlert = {
      source: "alertmanager",
      status: "firing",
      name: "OpenClawGatewayDown",
      summary: null,
      link: null,
      identity: `down-${i}@node-3`,
      labels: { host: "node-3" },
    };
    const receipt = await receiveAlerts(deps, [a], { hostLabels: ["host"] });
    await receipt.later?.();
  };
  return { clock, store, transport, chat, recovery, deps, command, failTwice, healthyTwice, alert };
}

const texts = (chat: RecordingChat) => chat.posted.map((p) => p.text);

describe("a maintenance freeze", () => {
  it("mutes the watch's and alerts' incidents for its host, says what it muted at its end, and compares the triage after with the one before", async () => {
    const r = await rig();
    // The triage before the maintenance: healthy.
    expect((await r.command(OPERATOR, "triage node-3")).error).toBeUndefined();
    await until("the baseline triage", 5_000, async () => (await r.store.listJobs({ status: "done" })).length === 1);
    const [baseline] = await r.store.listIncidents({});
    await r.command(OPERATOR, `incident ${baseline?.id} resolve`);

    r.clock.t += 60_000;
    expect((await r.command(OPERATOR, "freeze node-3 for 30m maintenance: OS patches")).error).toBeUndefined();
    expect((await r.recovery.store.getFreeze("node-3"))?.maintenance).toBe(true);
    const posted = r.chat.posted.length;
    await r.failTwice();
    await r.alert(1);
    await r.alert(2);
    // Nothing opened, nothing posted; the freeze counted what it muted.
    expect(await r.store.listIncidents({ open: true })).toEqual([]);
    expect(r.chat.posted.length).toBe(posted);
    expect((await r.recovery.store.getFreeze("node-3"))?.muted).toEqual({ alerts: 2, watch: 1, silences: 0 });

    // The patches left the gateway with a drifted token; the freeze ends.
    r.transport.addHost("node-3", { results: toResults(tokenDriftData()) });
    r.clock.t += 30 * 60_000;
    await expireFreezes(r.deps, r.clock.now());
    expect(texts(r.chat)).toContain(
      "Maintenance of node-3 over: muted 2 alerts, 1 watch failure; still failing: node-3",
    );
    // The watch held it failing while the maintenance muted it: its incident opens now (issue 40).
    const opened = await r.store.listIncidents({ open: true });
    expect(opened.map((i) => i.source)).toEqual(["watch"]);
    const still = r.chat.posted.find((p) =>
      p.text.startsWith("Watch: node-3 is failing at the end of the maintenance"),
    );
    expect(still?.threadTs).toBe(opened[0]?.threadTs);
    const compared = await until("the comparison", 5_000, () =>
      r.chat.posted.find((p) => p.text.startsWith("After the maintenance of node-3")),
    );
    expect(compared.text).toMatch(/^After the maintenance of node-3: [1-9]\d* new findings? since it began$/);
    expect(JSON.stringify(compared.parts)).toContain("token-drift");
    expect(JSON.stringify(compared.parts)).toContain("compared with the triage of 2026-11-25 15:00");
  });

  it("a maintenance that ends with its host healthy opens nothing", async () => {
    const r = await rig();
    await r.command(OPERATOR, "freeze node-3 for 30m maintenance: OS patches");
    await r.failTwice();
    await r.healthyTwice();
    r.clock.t += 30 * 60_000;
    await expireFreezes(r.deps, r.clock.now());
    expect(texts(r.chat)).toContain("Maintenance of node-3 over: muted 1 watch failure");
    expect(await r.store.listIncidents({ open: true })).toEqual([]);
  });

  it("a freeze whose reason is not maintenance mutes nothing", async () => {
    const r = await rig();
    await r.command(OPERATOR, "freeze node-3 for 30m investigating the gateway");
    await r.failTwice();
    expect((await r.store.listIncidents({ open: true })).map((i) => i.source)).toEqual(["watch"]);
  });
});

describe("snoozing a finding on a host", () => {
  it("is authorized, mutes the watch's failures with that top finding, is listed with what it muted, and ends with its hour", async () => {
    const r = await rig();
    const refused = await r.command(STRANGER, "snooze node-3 gateway-down 1h");
    expect(refused.error?.code).toBe("forbidden");
    const audit = await r.recovery.store.listAudit({ limit: 5 });
    expect(audit.some((e) => e.actor === STRANGER && e.outcome === "refused")).toBe(true);
    expect((await r.command(OPERATOR, "snooze node-3 nosuch 2h")).error?.code).toBe("bad_request");
    expect((await r.command(OPERATOR, "snooze node-9 gateway-down 1h")).error?.code).toBe("unknown_host");

    // The button under a triage answer runs the same command as its presser.
    const press = await handle(r.deps, {
      kind: "command-press",
      press: {
        actionId: "clawops_run:snooze:node-3:1h",
        value: "snooze node-3 gateway-down 1h",
        user: OPERATOR,
        channel: CHANNEL,
        source: "slack",
        requestKey: "press-1",
      },
    });
    expect(press.error).toBeUndefined();
    await r.failTwice();
    expect(await r.store.listIncidents({})).toEqual([]);
    const listed = await r.command(OPERATOR, "snoozes");
    expect(JSON.stringify(listed.ack.parts)).toContain("`gateway-down` until 2026-11-25 16:00");
    expect(JSON.stringify(listed.ack.parts)).toContain("muted 1");

    // A forged press is refused: the value says another finding than the button's action.
    const forged = await handle(r.deps, {
      kind: "command-press",
      press: {
        actionId: "clawops_run:snooze:node-3:1h",
        value: "snooze node-3 token-drift 1d",
        user: OPERATOR,
        channel: CHANNEL,
        source: "slack",
        requestKey: "press-2",
      },
    });
    expect(forged.error?.code).toBe("bad_request");

    // An hour later the snooze is over: the host's next failure opens the incident.
    await r.healthyTwice();
    r.clock.t += 60 * 60_000;
    await r.failTwice();
    expect((await r.store.listIncidents({})).map((i) => i.source)).toEqual(["watch"]);
    expect(JSON.stringify((await r.command(OPERATOR, "snoozes")).ack)).toContain("No snoozes hold.");
  });

  it("until the version changes: holds while the host runs the version it was set on; off lifts it", async () => {
    const r = await rig();
    expect((await r.command(OPERATOR, "snooze node-3 gateway-down until-version")).error).toBeUndefined();
    await r.failTwice();
    expect(await r.store.listIncidents({})).toEqual([]);
    const off = await r.command(OPERATOR, "snooze node-3 gateway-down off");
    expect(off.error).toBeUndefined();
    expect(JSON.stringify(off.ack.parts)).toContain("no longer snoozed (it had muted 1)");
    expect((await r.command(OPERATOR, "snooze node-3 gateway-down off")).error?.code).toBe("not_snoozed");
  });
});
