import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentProcess } from "../support/agent-process.ts";
import type { ControlPlaneProcess } from "../support/control-plane-process.ts";
import type { SharedGateway } from "../support/gateway/control.ts";
import { type GatewayPlane, startGatewayPlane } from "../support/gateway-plane.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * The watch on a real OpenClaw gateway (docs/watch.md): a real clawops-agent runs the quick
 * probe every 2 s (the interval the control plane tells it in the welcome); the control plane
 * process posts to the Slack stand-in in the incident channel (CLAWOPS_INCIDENT_CHANNEL).
 * Stopping the gateway opens the host's thread with a triage; starting it posts the recovery;
 * flapping it again inside the flap window posts one summary at the window's end.
 */
const SECRET = "watch-signing-secret-0123456789abcdef";
const BOT_TOKEN = "xoxb-watch-bot-token";
const HOST = "node-3";
const INCIDENTS = "C0WATCH";
const FLAP_WINDOW_S = 150;

let plane: GatewayPlane;
let gw: SharedGateway;
let slack: SlackStandIn;
let cp: ControlPlaneProcess;
let agent: AgentProcess;

interface FleetJson {
  source?: string;
  rows: { host: string; state: string; reason: string; ageMs?: number }[];
}

async function fleetRow(): Promise<FleetJson["rows"][number] & { source?: string }> {
  const res = await fetch(`${cp.url}/api/console/fleet?selector=all`, { headers: cp.consoleHeaders() });
  const body = (await res.json()) as FleetJson;
  const row = body.rows.find((r) => r.host === HOST);
  if (!row) throw new Error(`no row for ${HOST}: ${JSON.stringify(body)}`);
  return { ...row, ...(body.source ? { source: body.source } : {}) };
}

/** Healthy: ok, or warn (the lab gateway has no model credentials: model routing warns, nothing fails). */
const HEALTHY = ["ok", "warn"];

async function waitRow(state: string | string[], timeoutMs: number): Promise<void> {
  const wanted = Array.isArray(state) ? state : [state];
  const end = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < end) {
    const row = await fleetRow();
    last = JSON.stringify(row);
    if (wanted.includes(row.state)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${HOST} did not turn ${wanted.join(" or ")} in the watch within ${timeoutMs} ms; last ${last}\n${agent.log()}`,
  );
}

const incident = (): StoredMessage | undefined =>
  slack.topLevel(INCIDENTS).find((m) => m.text === `Incident: OpenClaw gateway on ${HOST}`);
const replies = (): StoredMessage[] => {
  const parent = incident();
  return parent ? slack.thread(INCIDENTS, parent.ts) : [];
};

beforeAll(async () => {
  plane = await startGatewayPlane({
    secret: SECRET,
    botToken: BOT_TOKEN,
    host: HOST,
    watchIncidents: INCIDENTS,
    env: { CLAWOPS_WATCH_FLAP_WINDOW_S: String(FLAP_WINDOW_S) },
  });
  ({ gw, slack, cp, agent } = plane);
}, 120_000);

afterAll(() => plane?.close(), 120_000);

describe("the watch on a real OpenClaw gateway", () => {
  it("status all answers from the watch: the host healthy (ok, or warn for its missing model credentials), with its age; nothing posted in the incident channel", async () => {
    await waitRow(HEALTHY, 30_000);
    const row = await fleetRow();
    expect(row.source).toBe("watch");
    expect(row.ageMs).toBeGreaterThanOrEqual(0);
    const before = slack.topLevel("C0OPS").length;
    const { body } = await postSlashCommand(cp.url, SECRET, { text: "status all", channel_id: "C0OPS" });
    expect(body.text).toContain("from the watch follows");
    await slack.waitFor(() => slack.topLevel("C0OPS").length > before, 10_000, "the fleet matrix");
    const matrix = slack.topLevel("C0OPS")[before] as StoredMessage;
    expect(matrix.text).toMatch(
      /^Fleet status \(all hosts\): 1 host: (1 ok · 0 warn|0 ok · 1 warn) · 0 fail · 0 no answer · 0 offline$/,
    );
    expect(JSON.stringify(matrix.blocks)).toMatch(/\*node-3\* (🟢 ok|🟡 warn) — [^·]+ · \d+ s ago/u);
    expect(slack.topLevel(INCIDENTS)).toEqual([]);
  });

  it("stopping the gateway opens the host's thread in the incident channel with a triage, within 90 s", async () => {
    await gw.stop();
    await slack.waitFor(
      () => replies().some((m) => m.text.includes("Gateway is not running") && m.text.startsWith(`Triage ${HOST}`)),
      90_000,
      "the watch's incident thread with a triage result",
    );
    const parent = incident() as StoredMessage;
    expect(JSON.stringify(parent.blocks)).toContain("Opened by *clawops watch*");
    const [notice] = replies();
    expect(notice?.text).toMatch(new RegExp(`^Watch: ${HOST} failing since \\d\\d:\\d\\d:\\d\\d UTC: `));
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
    expect(JSON.stringify(slack.calls)).not.toContain(gw.token);
  }, 120_000);

  it("starting it again posts the recovery in the same thread", async () => {
    await gw.start();
    await slack.waitFor(
      () => replies().some((m) => /^Watch: node-3 recovered at \d\d:\d\d:\d\d UTC after \d+ (s|min)$/.test(m.text)),
      90_000,
      "the recovery",
    );
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    await waitRow(HEALTHY, 10_000);
  }, 120_000);

  it("flapping it inside the window posts nothing per flap, then one summary at the window's end", async () => {
    const before = replies().length;
    await gw.stop();
    await waitRow("fail", 60_000);
    await gw.start();
    await waitRow(HEALTHY, 90_000);
    // The flips inside the window were counted, not posted, and started no triage.
    expect(replies()).toHaveLength(before);
    await slack.waitFor(() => replies().length > before, (FLAP_WINDOW_S + 30) * 1000, "the flap window's summary");
    const added = replies().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]?.text).toMatch(
      /^Watch: node-3 flapped 2 times between \d\d:\d\d:\d\d UTC and \d\d:\d\d:\d\d UTC; now healthy since /,
    );
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  }, 400_000);
});
