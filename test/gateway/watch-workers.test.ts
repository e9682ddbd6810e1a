import { expect } from "vitest";
import { sharedGateway } from "../support/gateway/control.ts";
import { startWorkerdPlane } from "../support/workerd-plane.ts";
import { describeWatchFlows, WATCH_FLAP_WINDOW_S, WATCH_HOST } from "./watch-flows.ts";

/**
 * The watch on the Workers runtime, on a real OpenClaw gateway (docs/watch.md), the same flows
 * as test/gateway/watch.test.ts on Node (test/gateway/watch-flows.ts): wrangler.toml's Worker in
 * workerd on loopback, a real clawops-agent told a 2 s interval by its host's Durable Object,
 * the triage run in the host's object, the flap window's summary posted by the object's alarm.
 * The held health is read from the operator API's view of the host object
 * (`GET /api/hosts/<host>/agent`).
 */
const SECRET = "watch-workers-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-watch-workers-bot-token";
const ADMIN_TOKEN = "watch-workers-admin-token-7a2c9e";
const INCIDENTS = "C0WKGWWATCH";

interface WatchView {
  healthy: boolean | null;
  reportedAt: number;
  stale: { reason: string } | null;
}

describeWatchFlows(
  "the watch on Workers (host Durable Objects) on a real OpenClaw gateway",
  { secret: SECRET, incidents: INCIDENTS },
  async () => {
    const gw = sharedGateway();
    await gw.restoreHealthy();
    const plane = await startWorkerdPlane({
      name: "watch-workers",
      secret: SECRET,
      botToken: BOT_TOKEN,
      adminToken: ADMIN_TOKEN,
      vars: {
        CLAWOPS_INCIDENT_CHANNEL: INCIDENTS,
        CLAWOPS_WATCH_INTERVAL_S: "2",
        CLAWOPS_WATCH_DIGEST_S: "60",
        CLAWOPS_WATCH_FLAP_WINDOW_S: String(WATCH_FLAP_WINDOW_S),
      },
      agent: { host: WATCH_HOST, env: { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin } },
    }).catch(async (err) => {
      await gw.restoreHealthy();
      throw err;
    });

    /** The host object's watch state, as the operator API shows it. */
    async function watchView(): Promise<WatchView | null> {
      const res = await plane.admin(`/api/hosts/${WATCH_HOST}/agent`);
      return ((await res.json()) as { agent: { watch?: WatchView | null } }).agent.watch ?? null;
    }

    return {
      gw,
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
          `${WATCH_HOST} did not hold ${healthy ? "healthy" : "failing"} within ${timeoutMs} ms; last ${JSON.stringify(last)}\n${plane.agent.log()}`,
        );
      },
      async expectHealthyView() {
        // The host object holds a fresh report: not stale.
        expect(await watchView()).toMatchObject({ healthy: true, stale: null, reportedAt: expect.any(Number) });
      },
      async stop() {
        await plane.stop();
        await gw.restoreHealthy();
      },
    };
  },
);
