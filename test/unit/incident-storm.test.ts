import { describe, expect, it } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { receiveAlerts } from "../../src/core/alerts/receive.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { refreshStaleHeaders } from "../../src/core/incidents/header.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import { InProcessTurns } from "../../src/core/jobs/turns.ts";
import type { CoreDeps, HostJob, JobScheduler } from "../../src/core/ports/deps.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { gatewayDownData, healthyResults, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { type CollectingLogger, collectingLogger, RecordingChat, testDeps } from "../support/harness.ts";

/**
 * Incidents a team can run (issue 29, items 2 and 5), in the core on real SQLite: a storm of
 * alerts on one host is one incident whose header counts them; hosts failing together with one
 * cause are one fleet incident; the header tells the truth and is edited in place.
 */
const T0 = Date.UTC(2026, 10, 25, 12, 0);
const CHANNEL = "C0INCIDENT";
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const quick = (r: StepResult[]) => r.filter((x) => QUICK.has(x.step));
const HEALTHY = quick(healthyResults());
const DOWN = quick(toResults(gatewayDownData()));

function host(name: string, over: Partial<HostRecord> = {}): HostRecord {
  return {
    name,
    publicKey: "k",
    enrolledAt: T0 - 86_400_000,
    revokedAt: null,
    agentVersion: "0.1.0",
    gatewayVersion: "2026.9.6",
    lastSeenAt: T0,
    ...over,
  };
}

async function rig(hosts: HostRecord[]) {
  const clock = { t: T0, now: () => clock.t };
  const store = new SqliteStore(":memory:");
  for (const h of hosts) await store.insertHost(h);
  const transport = new FakeHostTransport();
  for (const h of hosts) transport.addHost(h.name);
  const started: HostJob[] = [];
  const turns = new InProcessTurns();
  const jobs: JobScheduler = {
    depth: () => 0,
    start: async (_d, job) => {
      started.push(job);
    },
    inTurn: (key, task) => turns.inTurn(key, task),
  };
  const chat = new RecordingChat();
  const logger: CollectingLogger = collectingLogger();
  const deps: CoreDeps = testDeps({
    store,
    transport,
    chat,
    clock,
    jobs,
    logger,
    incidents: parseIncidentRouting(CHANNEL, undefined),
  });
  return { clock, store, chat, started, logger, deps };
}

const alert = (name: string, host: string, i: number): IncomingAlert => ({
  source: "alertmanager",
  status: "firing",
  name,
  summary: `${name} on ${host}`,
  link: null,
  identity: `${name}-${i}@${host}`,
  labels: { host },
});

/** `count` distinct alerts, one per webhook request, `concurrency` requests at a time, as Alertmanager would. */
async function storm(deps: CoreDeps, hosts: string[], count: number, concurrency: number) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const h = hosts[i % hosts.length] as string;
      const receipt = await receiveAlerts(deps, [alert("OpenClawGatewayDown", h, i)], { hostLabels: ["host"] });
      await receipt.later?.();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe("the storm guard", () => {
  it("2,000 distinct alerts on one host, 20 at a time: one incident, its header counts them, two posts and one triage", async () => {
    const r = await rig([host("node-3")]);
    await storm(r.deps, ["node-3"], 2_000, 20);

    const incidents = await r.store.listIncidents({});
    expect(incidents).toHaveLength(1);
    const [inc] = incidents;
    expect(inc?.counts.alerts).toBe(2_000);
    // The header and the first alert's message; every other alert is counted, not posted.
    expect(r.chat.posted.map((p) => p.text)).toEqual([
      "Incident: OpenClaw gateway on node-3",
      "🔥 Alertmanager: 1 alert firing on node-3",
    ]);
    expect(r.started).toHaveLength(1);
    // Named on the timeline while the storm was young, then only counted.
    const timeline = await r.store.incidentTimeline(inc?.id ?? "");
    expect(timeline.length).toBeLessThanOrEqual(21);
    // Header edits held to the edit interval: none at all inside it (one clock moment) …
    expect(r.chat.updated).toHaveLength(0);
    // … and the sweep after it edits the header once, to the full count.
    r.clock.t += 10_000;
    expect(await refreshStaleHeaders(r.deps)).toBe(1);
    expect(r.chat.updated).toHaveLength(1);
    expect(JSON.stringify(r.chat.updated[0]?.parts)).toContain("2,000 alerts fired");
    expect(r.chat.updated[0]).toMatchObject({ channel: CHANNEL, ts: r.chat.posted[0] ? "1.0001" : "" });
    expect(await refreshStaleHeaders(r.deps)).toBe(0);
  });

  it("logs alerts for unknown hosts as one counted line per interval, not one line each", async () => {
    const r = await rig([host("node-3")]);
    for (let i = 0; i < 500; i++) {
      await receiveAlerts(r.deps, [alert("DiskFull", `db-${i}`, i)], { hostLabels: ["host"] });
    }
    const lines = () => r.logger.lines.filter((l) => l.message.startsWith("alert not taken"));
    expect(lines()).toHaveLength(1);
    r.clock.t += 60_000;
    await receiveAlerts(r.deps, [alert("DiskFull", "db-x", 999)], { hostLabels: ["host"] });
    expect(lines().map((l) => l.fields?.count)).toEqual([1, 499, 1]);
    expect(r.chat.posted).toEqual([]);
  });
});

describe("fleet grouping", () => {
  it("200 hosts failing together with the same top finding: exactly one fleet incident, the first hosts linked to it, no page per host", async () => {
    const names = Array.from({ length: 200 }, (_, i) => `node-${i + 1}`);
    // Ten healthy hosts on the older release: the failing ones share a version no healthy one runs.
    const healthy = Array.from({ length: 10 }, (_, i) => host(`ok-${i + 1}`, { gatewayVersion: "2026.9.5" }));
    const r = await rig([...names.map((n) => host(n)), ...healthy]);
    const watch = new WatchService(r.deps);
    let seq = 0;
    const probe = async (name: string, results: StepResult[]) => {
      const hash = watchComparable(results) === watchComparable(HEALTHY) ? "ok" : "down";
      const prev = await r.store.getWatch(name);
      await watch.receive(
        name,
        prev?.last.hash === hash
          ? { type: "watch.digest", seq: ++seq, at: r.clock.t, hash }
          : { type: "watch.state", seq: ++seq, at: r.clock.t, hash, results },
      );
    };
    for (const n of names) await probe(n, HEALTHY);
    r.clock.t += 30_000;
    // Every host's gateway goes down: two probes each, the fleet's frames interleaved.
    await Promise.all(names.map((n) => probe(n, DOWN)));
    r.clock.t += 30_000;
    await Promise.all(names.map((n) => probe(n, DOWN)));
    await watch.idle();

    const all = await r.store.listIncidents({ limit: 500 });
    const fleet = all.filter((i) => i.source === "fleet");
    expect(fleet).toHaveLength(1);
    expect(fleet[0]?.hosts).toHaveLength(200);
    expect(fleet[0]?.causes).toEqual(["finding:gateway-down"]);
    const own = all.filter((i) => i.source !== "fleet");
    expect(own).toHaveLength(2);
    expect(own.every((i) => i.parentId === fleet[0]?.id)).toBe(true);
    // Two host threads (header, watch line, grouped note) and the fleet's header: 7 posts in all.
    expect(
      r.chat.posted.map((p) => `${p.threadTs ? "  " : ""}${p.text.split(":")[0]?.replace(/inc_\w+/, "inc_…")}`).sort(),
    ).toEqual([
      "  Watch",
      "  Watch",
      "  📋 Grouped into fleet incident inc_…",
      "  📋 Grouped into fleet incident inc_…",
      "Fleet incident",
      "Incident",
      "Incident",
    ]);
    // The fleet header is the live message: once its edit interval passes it shows all 200 hosts
    // and what they share that the healthy ones do not.
    r.clock.t += 10_000;
    await refreshStaleHeaders(r.deps);
    const fleetHeader = r.chat.updated.findLast((u) => u.text.startsWith("Fleet incident"));
    expect(fleetHeader?.text).toBe("Fleet incident: 200 hosts · same finding gateway-down");
    expect(JSON.stringify(fleetHeader?.parts)).toContain("200 of 210 enrolled hosts");
    expect(JSON.stringify(fleetHeader?.parts)).toContain("no healthy host does: the release is a likely suspect");
    // Only the first two hosts got a triage; the fleet counts the other 198 failures.
    expect(r.started).toHaveLength(2);
    expect(fleet[0]?.counts.watch).toBe(200);

    // Resolving the fleet incident resolves the host incidents grouped into it, and edits their headers.
    const lead = fleet[0]?.id ?? "";
    const reply = await handleCommand(r.deps, {
      text: `incident ${lead} resolve`,
      user: "console",
      channel: CHANNEL,
      requestKey: "req-1",
      source: "console",
    });
    expect(reply.error).toBeUndefined();
    expect(await r.store.listIncidents({ open: true })).toEqual([]);
    const resolvedHeaders = r.chat.updated.filter((u) => JSON.stringify(u.parts).includes("Resolved by"));
    expect(resolvedHeaders).toHaveLength(3);
  });

  it("two hosts are two incidents; a third within the window makes the fleet incident; a later one joins it", async () => {
    const r = await rig(["a-1", "a-2", "a-3", "a-4"].map((n) => host(n)));
    const fire = async (h: string) => {
      const receipt = await receiveAlerts(r.deps, [alert("OpenClawGatewayDown", h, 1)], { hostLabels: ["host"] });
      await receipt.later?.();
    };
    await fire("a-1");
    await fire("a-2");
    expect((await r.store.listIncidents({})).map((i) => i.source)).toEqual(["alert", "alert"]);
    r.clock.t += 60_000;
    await fire("a-3");
    const [fleet] = (await r.store.listIncidents({})).filter((i) => i.source === "fleet");
    expect(fleet?.hosts).toEqual(["a-1", "a-2", "a-3"]);
    expect(fleet?.causes).toEqual(["alert:OpenClawGatewayDown"]);
    // An open fleet incident takes a host with its cause at any time, not only within the window.
    r.clock.t += 10 * 60_000;
    await fire("a-4");
    expect((await r.store.getIncident(fleet?.id ?? ""))?.hosts).toEqual(["a-1", "a-2", "a-3", "a-4"]);
    expect(r.started.map((j) => j.job.host)).toEqual(["a-1", "a-2"]);
  });

  it("hosts failing further apart than the window are each their own incident", async () => {
    const r = await rig(["b-1", "b-2", "b-3"].map((n) => host(n)));
    for (const h of ["b-1", "b-2", "b-3"]) {
      const receipt = await receiveAlerts(r.deps, [alert("OpenClawGatewayDown", h, 1)], { hostLabels: ["host"] });
      await receipt.later?.();
      r.clock.t += 90_000;
    }
    expect((await r.store.listIncidents({})).map((i) => i.source)).toEqual(["alert", "alert", "alert"]);
  });
});

describe("silence noticed (issue 29, item 4)", () => {
  /** A fleet of watched hosts on a fake clock: each probe 30 s apart, digests while nothing changes. */
  async function watchedFleet(names: string[]) {
    const r = await rig(names.map((n) => host(n)));
    const make = () => new WatchService(r.deps);
    let watch = make();
    let seq = 0;
    const report = async (name: string) => {
      const prev = await r.store.getWatch(name);
      await watch.receive(
        name,
        prev?.last.hash === "ok"
          ? { type: "watch.digest", seq: ++seq, at: r.clock.t, hash: "ok" }
          : { type: "watch.state", seq: ++seq, at: r.clock.t, hash: "ok", results: HEALTHY },
      );
    };
    /** `ms` pass, every host in `reporting` reports each 30 s, the watch sweeps each 5 s. */
    const pass = async (ms: number, reporting: string[]) => {
      for (let t = 0; t < ms; t += 5_000) {
        r.clock.t += 5_000;
        if (t % 30_000 === 0) for (const n of reporting) await report(n);
        await watch.sweep();
      }
      await watch.idle();
    };
    for (const n of names) await report(n);
    return {
      ...r,
      report,
      pass,
      gone: (name: string) => watch.gone(name, "agent disconnected (1006)"),
      restart: () => {
        watch = make();
      },
    };
  }

  it("an agent gone while others report opens 'agent lost' after the restart allowance, and its return is said there", async () => {
    const f = await watchedFleet(["s-1", "s-2", "s-3", "s-4"]);
    await f.pass(120_000, ["s-1", "s-2", "s-3", "s-4"]);
    await f.gone("s-1");
    await f.pass(60_000, ["s-2", "s-3", "s-4"]);
    expect(await f.store.listIncidents({})).toEqual([]); // a restart or an upgrade takes this long
    await f.pass(60_000, ["s-2", "s-3", "s-4"]);
    const [lost] = await f.store.listIncidents({});
    expect(lost).toMatchObject({ source: "silence", hosts: ["s-1"], phase: "failing" });
    const said = f.chat.posted.find((p) => p.text.startsWith("Watch: agent of s-1 lost"));
    expect(JSON.stringify(said?.parts)).toContain(
      "The host may be down, the agent may have died, or the network between them may be cut",
    );
    expect(f.started).toEqual([]); // no triage can run without the agent
    // Said once, however long it stays away.
    await f.pass(300_000, ["s-2", "s-3", "s-4"]);
    expect(f.chat.posted.filter((p) => p.text.startsWith("Watch: agent of s-1 lost"))).toHaveLength(1);
    // Back: said in the same thread, the incident recovered.
    await f.pass(30_000, ["s-1", "s-2", "s-3", "s-4"]);
    const back = f.chat.posted.find((p) => p.text.startsWith("Watch: agent of s-1 reports again"));
    expect(back?.threadTs).toBe(said?.threadTs);
    expect((await f.store.getIncident(lost?.id ?? ""))?.phase).toBe("recovered");
  });

  it("an agent lost before its health held (one state, no digest yet): the notice says what that report said", async () => {
    const f = await watchedFleet(["s-1", "s-2", "s-3"]);
    expect((await f.store.getWatch("s-1"))?.held).toBeNull();
    await f.gone("s-1");
    await f.pass(120_000, ["s-2", "s-3"]);
    const said = f.chat.posted.find((p) => p.text.startsWith("Watch: agent of s-1 lost"));
    expect(JSON.stringify(said?.parts)).toContain("Its last report said the gateway was healthy.");
  });

  it("many agents lost at once while others report: one fleet incident, the control plane or the network named", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `m-${i + 1}`);
    const f = await watchedFleet(names);
    await f.pass(120_000, names);
    for (const n of names.slice(0, 6)) await f.gone(n);
    await f.pass(180_000, names.slice(6));
    const incidents = await f.store.listIncidents({ limit: 50 });
    const fleet = incidents.filter((i) => i.source === "fleet");
    expect(fleet).toHaveLength(1);
    expect(fleet[0]?.causes).toEqual(["silence"]);
    expect([...(fleet[0]?.hosts ?? [])].sort()).toEqual(names.slice(0, 6).sort());
    expect(incidents.filter((i) => i.source === "silence" && i.parentId === null)).toEqual([]);
    {
      const header = f.chat.posted.find((p) => p.text.startsWith("Fleet incident"));
      expect(JSON.stringify(header?.parts)).toContain(
        "the network between them and the control plane, or the control plane itself, is more likely",
      );
    }
  });

  it("a control-plane restart opens none; every agent silent is one log line, not an incident each", async () => {
    const names = ["c-1", "c-2", "c-3", "c-4"];
    const f = await watchedFleet(names);
    await f.pass(120_000, names);
    // The control plane is down 20 min (no process, no gone()), then starts again.
    f.clock.t += 20 * 60_000;
    f.restart();
    await f.pass(30_000, []); // agents redial within seconds; none has reported yet
    await f.pass(120_000, names);
    expect(await f.store.listIncidents({})).toEqual([]);
    // Now every agent goes silent at once: the control plane's own side is the likelier cause.
    await f.pass(15 * 60_000, []);
    expect(await f.store.listIncidents({})).toEqual([]);
    const lines = f.logger.lines.filter((l) => l.message.startsWith("watch: no agent reports"));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(16);
  });
});
