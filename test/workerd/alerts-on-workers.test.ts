import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";
import { startWorkerdPlane, type WorkerdPlane } from "../support/workerd-plane.ts";

/**
 * An Alertmanager webhook on the Workers runtime (docs/alerts.md): wrangler.toml's Worker in
 * workerd on loopback, a real clawops-agent enrolled as the host (its gateway does not exist: a
 * closed port, no OpenClaw binary), the Slack stand-in checking every Web API call against
 * Slack's documented shapes. A payload in Alertmanager's documented version-4 shape with the
 * bearer token opens the host's thread in the incident channel, says what fired, and the host's
 * Durable Object runs a full triage on the real agent; a forged one (a wrong token) is answered
 * 401 and nothing is posted. The watch is off here, so only the alert can open the thread.
 */
const SECRET = "workerd-alerts-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-workerd-alerts-bot-token";
const ADMIN_TOKEN = "workerd-alerts-admin-token-5c0b7a";
const ALERT_TOKEN = "workerd-alertmanager-bearer-9f3e61d2c4";
const HOST = "wk-alert-1";
const INCIDENTS = "C0WKALERTS";

let plane: WorkerdPlane;
let baseUrl: string;
let slack: SlackStandIn;

beforeAll(async () => {
  plane = await startWorkerdPlane({
    name: "workerd-alerts",
    secret: SECRET,
    botToken: BOT_TOKEN,
    adminToken: ADMIN_TOKEN,
    vars: { CLAWOPS_ALERT_TOKEN: ALERT_TOKEN, CLAWOPS_INCIDENT_CHANNEL: INCIDENTS, CLAWOPS_WATCH_INTERVAL_S: "0" },
    agent: { host: HOST },
  });
  ({ url: baseUrl, slack } = plane);
}, 120_000);

afterAll(() => plane?.stop(), 60_000);

/** Alertmanager's webhook payload, version 4, as its documentation shows it (one firing alert). */
function alertmanagerPayload(summary: string, fingerprint: string): string {
  return JSON.stringify({
    version: "4",
    groupKey: '{}:{alertname="OpenClawGatewayDown"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "clawops",
    groupLabels: { alertname: "OpenClawGatewayDown" },
    commonLabels: { alertname: "OpenClawGatewayDown", severity: "critical" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.org:9093",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "OpenClawGatewayDown", instance: `${HOST}.example.com:9100`, severity: "critical" },
        annotations: { summary },
        startsAt: "2026-11-23T07:08:45.828Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=up%3D%3D0",
        fingerprint,
      },
    ],
  });
}

function postAlert(token: string, summary: string, fingerprint: string): Promise<Response> {
  return fetch(`${baseUrl}/alerts/alertmanager`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: alertmanagerPayload(summary, fingerprint),
  });
}
/** The forged alert's summary: if anything of it ran, it would show in a Slack call. */
const FORGED = `forged: gateway on ${HOST} is down`;

const incident = (): StoredMessage | undefined =>
  slack.topLevel(INCIDENTS).find((m) => m.text === `Incident: OpenClaw gateway on ${HOST}`);
const replies = (): StoredMessage[] => {
  const parent = incident();
  return parent ? slack.thread(INCIDENTS, parent.ts) : [];
};

describe("an Alertmanager webhook on the Workers runtime (workerd)", () => {
  it("a forged one (a wrong bearer token) is answered 401 and nothing is posted", async () => {
    const res = await postAlert("not-the-alert-token", FORGED, "0f0f0f0f0f0f0f0f");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect(slack.calls).toEqual([]);
  });

  it("with the bearer token, opens the host's thread with the alert, and the host's object runs a triage on its agent", async () => {
    const res = await postAlert(ALERT_TOKEN, `OpenClaw gateway on ${HOST} is down`, "5e3c1a77b2d90f14");
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      ok: true,
      accepted: [{ host: HOST, channel: INCIDENTS, firing: 1, resolved: 0 }],
    });
    // The triage's result: the agent finds no gateway.
    const result = () => replies().find((m) => m.text.startsWith(`Triage ${HOST}`));
    await slack.waitFor(
      () => JSON.stringify(result()?.blocks ?? []).includes("🔴"),
      90_000,
      "the triage result in the alert's thread",
    );
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(JSON.stringify(incident()?.blocks)).toContain("Opened by *Alertmanager*");
    const [alert] = replies();
    expect(alert?.text).toBe(`🔥 Alertmanager: 1 alert firing on ${HOST}`);
    expect(JSON.stringify(alert?.blocks)).toContain(`OpenClaw gateway on ${HOST} is down`);
    expect(JSON.stringify(alert?.blocks)).toContain("A triage follows in this thread.");
    expect(slack.violations).toEqual([]);
    // Nothing of the forged alert ever ran (its thread, message or triage would name its summary).
    expect(JSON.stringify(slack.calls)).not.toContain(FORGED);
    const everything = JSON.stringify(slack.calls);
    for (const secret of [ALERT_TOKEN, ADMIN_TOKEN, SECRET]) expect(everything).not.toContain(secret);
  }, 120_000);
});
