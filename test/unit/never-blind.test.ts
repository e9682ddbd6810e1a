import { describe, expect, it } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import type { CommandRequest } from "../../src/core/requests/types.ts";
import { handle } from "../../src/core/router/handle.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { gatewayDownData, healthyResults, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { collectingLogger, enrolledHost, RecordingChat, testDeps } from "../support/harness.ts";
import { memoryRecovery } from "../support/memory-recovery-store.ts";

/**
 * Never blind (issue 40, item 1), in the core on real SQLite: a failure that holds two probes on
 * a host with no open incident opens one, whatever flap window came before it (every incident
 * resolved since, the window carried across a control-plane restart), and a flap window's
 * summary with no incident to go to opens one when the host is failing.
 */
const T0 = Date.UTC(2026, 10, 26, 12, 0);
const CHANNEL = "C0INCIDENT";
const OPERATOR = "U0OPERATOR";
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const quick = (r: StepResult[]) => r.filter((x) => QUICK.has(x.step));
const DOWN = quick(toResults(gatewayDownData()));
const HEALTHY = quick(healthyResults());

async function rig() {
  const clock = { t: T0, now: () => clock.t };
  const store = new SqliteStore(":memory:");
  await store.insertHost(enrolledHost("node-3", T0));
  const transport = new FakeHostTransport().addHost("node-3", { results: toResults(gatewayDownData()) });
  const chat = new RecordingChat();
  const logger = collectingLogger();
  const recovery = memoryRecovery({
    authz: new Authorizer({
      incidentLeads: { users: [], userGroups: [], channels: [] },
      actions: { resolve: { users: [OPERATOR], userGroups: [], channels: [] } },
    }),
  });
  const deps: CoreDeps = testDeps({
    store,
    transport,
    chat,
    clock,
    logger,
    recovery,
    incidents: parseIncidentRouting(CHANNEL, undefined),
  });
  const r = {
    clock,
    store,
    chat,
    logger,
    deps,
    watch: new WatchService(deps),
    seq: 0,
    k: 0,
    /** Two probes 30 s apart showing `results`: a held watch state. */
    async twice(results: StepResult[]) {
      for (let i = 0; i < 2; i++) {
        clock.t += 30_000;
        const prev = await store.getWatch("node-3");
        const hash = watchComparable(results);
        await r.watch.receive(
          "node-3",
          prev?.last.hash === hash
            ? { type: "watch.digest", seq: ++r.seq, at: clock.t, hash }
            : { type: "watch.state", seq: ++r.seq, at: clock.t, hash, results },
        );
      }
      await r.watch.idle();
    },
    async resolveAll() {
      for (const i of await store.listIncidents({ open: true })) {
        const request: CommandRequest = {
          text: `incident ${i.id} resolve`,
          user: OPERATOR,
          channel: CHANNEL,
          requestKey: `req-${++r.k}`,
          source: "slack",
        };
        const reply = await handle(deps, { kind: "command", request });
        expect(reply.error).toBeUndefined();
        await reply.later?.();
      }
      expect(await store.listIncidents({ open: true })).toEqual([]);
    },
    /** The control plane restarts: a new watch service over the same store. */
    restart() {
      r.watch = new WatchService(deps);
    },
    failingPosts: () => chat.posted.filter((p) => p.text.startsWith("Watch: node-3 failing")).length,
  };
  return r;
}

describe("never blind", () => {
  it("a failure held after every incident was resolved opens a new incident, though the old flap window still runs", async () => {
    const r = await rig();
    await r.twice(DOWN);
    await r.twice(HEALTHY);
    await r.resolveAll();
    // Three minutes later, well inside the 10 min flap window the first failure opened.
    r.clock.t += 180_000;
    await r.twice(DOWN);
    const open = await r.store.listIncidents({ open: true });
    expect(open.map((i) => [i.source, i.hosts.join(",")])).toEqual([["watch", "node-3"]]);
    expect(r.failingPosts()).toBe(2);
    // Its own triage was queued for the new failure.
    expect((await r.store.listJobs({})).filter((j) => j.kind === "triage").length).toBe(2);
  });

  it("also when the flap window was carried across a control-plane restart", async () => {
    const r = await rig();
    await r.twice(DOWN);
    await r.twice(HEALTHY);
    await r.resolveAll();
    r.restart();
    r.clock.t += 60_000;
    await r.twice(DOWN);
    expect((await r.store.listIncidents({ open: true })).length).toBe(1);
    expect(r.failingPosts()).toBe(2);
  });

  it("inside an open incident, a flap is still folded into the window's one summary", async () => {
    const r = await rig();
    await r.twice(DOWN);
    await r.twice(HEALTHY);
    await r.twice(DOWN);
    expect(r.failingPosts()).toBe(1);
    expect((await r.store.listIncidents({})).length).toBe(1);
    expect(r.logger.lines.some((l) => l.message === "watch: transition folded into the flap window")).toBe(true);
    // Stored with its fate on the incident: what became of the flip is a query.
    const [incident] = await r.store.listIncidents({});
    const fates = await r.store.listSignals({ incidentId: incident?.id ?? "" });
    expect(fates.map((f) => f.fate)).toEqual(["opened", "suppressed"]);
    expect(fates[1]).toMatchObject({ source: "watch", why: "inside a flap window of an open incident" });
  });

  it("a flap summary with no incident to go to opens one when the host ends the window failing", async () => {
    const r = await rig();
    await r.twice(DOWN);
    await r.twice(HEALTHY);
    await r.twice(DOWN); // folded: the incident is open
    await r.resolveAll(); // someone resolves it while the host is down again
    r.clock.t += 600_000;
    await r.watch.sweep();
    await r.watch.idle();
    const open = await r.store.listIncidents({ open: true });
    expect(open.map((i) => i.source)).toEqual(["watch"]);
    const flaps = r.chat.posted.filter((p) => p.text.startsWith("Watch: node-3 flapped"));
    expect(flaps.length).toBe(1);
    expect(flaps[0]?.text).toContain("now failing since");
    // Posted in the new incident's thread.
    expect(flaps[0]?.threadTs).toBe(open[0]?.threadTs);
  });

  it("a flap summary of a host that ended healthy, with no incident open, is logged with its fate", async () => {
    const r = await rig();
    await r.twice(DOWN);
    await r.twice(HEALTHY);
    await r.twice(DOWN);
    await r.twice(HEALTHY);
    await r.resolveAll();
    r.clock.t += 600_000;
    await r.watch.sweep();
    await r.watch.idle();
    expect(await r.store.listIncidents({ open: true })).toEqual([]);
    const line = r.logger.lines.find((l) => l.message === "watch: flap summary not posted");
    expect(line?.fields).toMatchObject({ host: "node-3", fate: "dropped" });
    const dropped = (await r.store.listSignals({ host: "node-3" })).filter((f) => f.fate === "dropped");
    expect(dropped.map((f) => f.summary)).toEqual([expect.stringMatching(/^Watch: node-3 flapped/)]);
  });
});
