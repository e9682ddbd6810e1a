import { expect } from "vitest";
import { startGatewayPlane } from "../support/gateway-plane.ts";
import { describeWatchFlows, WATCH_FLAP_WINDOW_S, WATCH_HOST } from "./watch-flows.ts";

/**
 * The watch on a real OpenClaw gateway with the Node control plane (the flows themselves:
 * test/gateway/watch-flows.ts, also run on Workers by watch-workers.test.ts): the control plane
 * process as `npm start` runs it, the watch at a 2 s interval posting to the incident channel
 * (CLAWOPS_INCIDENT_CHANNEL). The held health is read from the console's fleet rows
 * (`GET /api/console/fleet`), which answer from the watch with each row's age.
 */
const SECRET = "watch-signing-secret-0123456789abcdef";
const BOT_TOKEN = "xoxb-watch-bot-token";
const INCIDENTS = "C0WATCH";

interface FleetJson {
  source?: string;
  rows: { host: string; state: string; reason: string; ageMs?: number }[];
}

/** Healthy: ok, or warn (the lab gateway has no model credentials: model routing warns, nothing fails). */
const HEALTHY = ["ok", "warn"];

describeWatchFlows("the watch on a real OpenClaw gateway", { secret: SECRET, incidents: INCIDENTS }, async () => {
  const plane = await startGatewayPlane({
    secret: SECRET,
    botToken: BOT_TOKEN,
    host: WATCH_HOST,
    watchIncidents: INCIDENTS,
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
    gw: plane.gw,
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
        `${WATCH_HOST} did not turn ${wanted.join(" or ")} in the watch within ${timeoutMs} ms; last ${last}\n${agent.log()}`,
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
});
