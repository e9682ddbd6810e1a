import { expect } from "vitest";
import { sharedGateway } from "../support/gateway/control.ts";
import { startGatewayPlane } from "../support/gateway-plane.ts";
import { startWorkerdPlane } from "../support/workerd-plane.ts";
import { describeWatchFlows, WATCH_FLAP_WINDOW_S, WATCH_HOST, type WatchFlowsPlane } from "./watch-flows.ts";

/**
 * The watch on a real OpenClaw gateway, on both runtimes at once (the flows: test/gateway/watch-flows.ts):
 *  - Node: the control plane process as `npm start` runs it, the watch at a 2 s interval posting
 *    to the incident channel (CLAWOPS_INCIDENT_CHANNEL). The held health is read from the
 *    console's fleet rows (`GET /api/console/fleet`), which answer from the watch with each
 *    row's age.
 *  - Workers (docs/watch.md): wrangler.toml's Worker in workerd on loopback, a real clawops-agent
 *    told a 2 s interval by its host's Durable Object, the triage run in the host's object, the
 *    flap window's summary posted by the object's alarm. The held health is read from the
 *    operator API's view of the host object (`GET /api/hosts/<host>/agent`).
 */
const gw = sharedGateway();

/** Healthy: ok, or warn (the lab gateway has no model credentials: model routing warns, nothing fails). */
const HEALTHY = ["ok", "warn"];

interface FleetJson {
  source?: string;
  rows: { host: string; state: string; reason: string; ageMs?: number }[];
}

async function nodePlane(): Promise<WatchFlowsPlane> {
  const secret = "watch-signing-secret-0123456789abcdef";
  const incidents = "C0WATCH";
  const plane = await startGatewayPlane({
    secret,
    botToken: "xoxb-watch-bot-token",
    host: WATCH_HOST,
    watchIncidents: incidents,
    env: { CLAWOPS_WATCH_FLAP_WINDOW_S: String(WATCH_FLAP_WINDOW_S) },
  });
  const { cp, agent } = plane;

  async function fleetRow(): Promise<FleetJson["rows"][number] & { source?: string }> {
    const res = await fetch(`${cp.url}/api/console/fleet?selector=all`, { headers: cp.consoleHeaders() });
    const body = (await res.json()) as FleetJson;
    const row = body.rows.find((r) => r.host === WATCH_HOST);
    if (!row) throw new Error(`no row for ${WATCH_HOST}: ${JSON.stringify(body)}`);
    return { ...row, ...(body.source ? { source: body.source } : {}) };
  }

  return {
    runtime: "Node",
    secret,
    incidents,
    slack: plane.slack,
    url: cp.url,
    async waitHeld(healthy, timeoutMs) {
      const wanted = healthy ? HEALTHY : ["fail"];
      const end = Date.now() + timeoutMs;
      let last = "";
      while (Date.now() < end) {
        const row = await fleetRow();
        last = JSON.stringify(row);
        if (wanted.includes(row.state)) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(
        `${WATCH_HOST} did not turn ${wanted.join(" or ")} in the Node watch within ${timeoutMs} ms; last ${last}\n${agent.log()}`,
      );
    },
    async expectHealthyView() {
      // The console's fleet rows answer from the watch, with the state's age.
      const row = await fleetRow();
      expect(row.source).toBe("watch");
      expect(row.ageMs).toBeGreaterThanOrEqual(0);
    },
    stop: () => plane.close(),
  };
}

interface WatchView {
  healthy: boolean | null;
  reportedAt: number;
  stale: { reason: string } | null;
}

async function workersPlane(): Promise<WatchFlowsPlane> {
  const secret = "watch-workers-signing-secret-0123456789";
  const incidents = "C0WKGWWATCH";
  const plane = await startWorkerdPlane({
    name: "watch-workers",
    secret,
    botToken: "xoxb-watch-workers-bot-token",
    adminToken: "watch-workers-admin-token-7a2c9e",
    vars: {
      CLAWOPS_INCIDENT_CHANNEL: incidents,
      CLAWOPS_WATCH_INTERVAL_S: "2",
      CLAWOPS_WATCH_DIGEST_S: "60",
      CLAWOPS_WATCH_FLAP_WINDOW_S: String(WATCH_FLAP_WINDOW_S),
    },
    agent: { host: WATCH_HOST, env: { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin } },
  });

  /** The host object's watch state, as the operator API shows it. */
  async function watchView(): Promise<WatchView | null> {
    const res = await plane.admin(`/api/hosts/${WATCH_HOST}/agent`);
    return ((await res.json()) as { agent: { watch?: WatchView | null } }).agent.watch ?? null;
  }

  return {
    runtime: "Workers",
    secret,
    incidents,
    slack: plane.slack,
    url: plane.url,
    async waitHeld(healthy, timeoutMs) {
      const end = Date.now() + timeoutMs;
      let last: WatchView | null = null;
      while (Date.now() < end) {
        last = await watchView();
        if (last?.healthy === healthy) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(
        `${WATCH_HOST} did not hold ${healthy ? "healthy" : "failing"} in the Workers watch within ${timeoutMs} ms; last ${JSON.stringify(last)}\n${plane.agent.log()}`,
      );
    },
    async expectHealthyView() {
      // The host object holds a fresh report: not stale.
      expect(await watchView()).toMatchObject({ healthy: true, stale: null, reportedAt: expect.any(Number) });
    },
    stop: () => plane.stop(),
  };
}

describeWatchFlows("the watch on a real OpenClaw gateway, on Node and on Workers (host Durable Objects)", gw, [
  nodePlane,
  workersPlane,
]);
