import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerdPlane, type WorkerdPlane } from "../support/workerd-plane.ts";

/**
 * The agent's liveness check (src/agent/liveness.ts) on the Workers runtime: the agent pings its
 * hub every heartbeat and drops a link that answers nothing for two heartbeats and a second.
 * The host object never answers a heartbeat frame, so only workerd's own pongs keep a healthy
 * link up: here they do, for a real agent at a 2 s heartbeat (a hibernated object's socket gets
 * its pong too: test/workerd/agent-on-workers.test.ts).
 */
const SECRET = "workerd-liveness-signing-secret-0123";
const BOT_TOKEN = "xoxb-workerd-liveness";
const ADMIN_TOKEN = "workerd-liveness-admin-token-41c2";
const HOST = "wk-live-1";

let plane: WorkerdPlane;

beforeAll(async () => {
  plane = await startWorkerdPlane({
    name: "liveness",
    secret: SECRET,
    botToken: BOT_TOKEN,
    adminToken: ADMIN_TOKEN,
    vars: { AGENT_HEARTBEAT_MS: "2000", CLAWOPS_WATCH_INTERVAL_S: "0" },
    agent: { host: HOST },
  });
}, 120_000);

afterAll(() => plane?.stop(), 60_000);

describe("the agent's pings on the Workers runtime", () => {
  it("a real agent at a 2 s heartbeat keeps its one connection: workerd answers its pings", async () => {
    await new Promise((r) => setTimeout(r, 12_000));
    const log = plane.agent?.log() ?? "";
    expect(log.split("\n").filter((l) => l.includes('"msg":"connected to hub"'))).toHaveLength(1);
    expect(log).not.toContain("hub silent");
  }, 30_000);
});
