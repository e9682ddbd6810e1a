import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertmanagerWebhook } from "../support/alertmanager.ts";
import type { ControlPlaneProcess } from "../support/control-plane-process.ts";
import { gatewayAtFileStart, type SharedGateway } from "../support/gateway/control.ts";
import { type GatewayPlane, startGatewayPlane } from "../support/gateway-plane.ts";
import { firstFindingId } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * Alerts on a real OpenClaw gateway: the control plane as `npm start` runs it (its alert
 * settings from the environment), a real clawops-agent process, the real gateway stopped or
 * healthy, and the thread at the Slack stand-in. An Alertmanager payload and a signed PagerDuty
 * payload (shapes as in test/unit/alert-webhooks.test.ts) each open the thread with a triage of
 * what the gateway really is; a forged one does nothing.
 */
const SECRET = "alerts-signing-secret-0123456789abcdef";
const BOT_TOKEN = "xoxb-alerts-bot-token";
const ALERT_TOKEN = "alerts-e2e-token-5e0f9d2c";
const PD_SECRET = "alerts-e2e-pagerduty-secret-8a1b";
const STARTED_AT = new Date().toISOString();
const HOST = "node-3";
const CHANNEL = "C0ALERTS";
/** Healthy, apart from `models status` listing openai as a provider in use without credentials. */
const FRESH_LAB_HEADLINE = "1 layer to watch — No credentials for a model provider in use";

let plane: GatewayPlane;
let gw: SharedGateway;
// The first alert is for a stopped gateway: the file starts with it stopped (the file before it in
// the lane leaves it so: sequencer.ts); the second test starts it.
gatewayAtFileStart("stopped");
let slack: SlackStandIn;
let cp: ControlPlaneProcess;

const thread = (): StoredMessage[] => {
  const parent = slack.topLevel(CHANNEL)[0];
  return parent ? slack.thread(CHANNEL, parent.ts) : [];
};
/** The final triage answer after the `skip` messages already in the thread. */
const finalAnswer = (skip: number) =>
  thread()
    .slice(skip)
    .find((m) => m.text.startsWith(`Triage ${HOST}`) && !JSON.stringify(m.blocks).includes("Still running"));

/** Alertmanager's webhook for the gateway-down alert (one fingerprint), firing or resolved. */
function alertmanagerPayload(status: "firing" | "resolved"): string {
  return alertmanagerWebhook({
    status,
    labels: { alertname: "OpenClawGatewayDown", instance: `${HOST}:18789`, severity: "critical" },
    summary: "the gateway does not answer its health probe",
    startsAt: STARTED_AT,
    generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0",
    fingerprint: "1a30ba71cca2921f",
  });
}

async function postJson(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${cp.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { accepted?: unknown; error?: { code: string } } };
}

beforeAll(async () => {
  plane = await startGatewayPlane({
    secret: SECRET,
    botToken: BOT_TOKEN,
    host: HOST,
    env: {
      CLAWOPS_INCIDENT_CHANNEL: CHANNEL,
      CLAWOPS_ALERT_TOKEN: ALERT_TOKEN,
      PAGERDUTY_WEBHOOK_SECRET: PD_SECRET,
      // Both alerts below triage the same host within minutes.
      CLAWOPS_ALERT_TRIAGE_MINUTES: "0",
    },
  });
  ({ gw, slack, cp } = plane);
});

afterAll(() => plane?.close());

describe("alerts on a real OpenClaw gateway", () => {
  it("Alertmanager's gateway-down alert opens the thread with the alert and a triage that finds it down", async () => {
    await gw.stop();
    const payload = alertmanagerPayload("firing");
    const { status, body } = await postJson("/alerts/alertmanager", payload, {
      authorization: `Bearer ${ALERT_TOKEN}`,
    });
    expect(status).toBe(202);
    expect(body.accepted).toEqual([{ host: HOST, channel: CHANNEL, firing: 1, resolved: 0 }]);
    await slack.waitFor(() => !!finalAnswer(0), 90_000, "the triage's final answer");
    const [parent] = slack.topLevel(CHANNEL);
    expect(parent?.text).toBe(`Incident: OpenClaw gateway on ${HOST}`);
    expect(JSON.stringify(parent?.blocks)).toContain("Opened by *Alertmanager*");
    expect(thread()[0]?.text).toBe(`🔥 Alertmanager: 1 alert firing on ${HOST}`);
    const answer = finalAnswer(0);
    expect(answer?.text).toContain("Gateway is not running");
    expect(firstFindingId(answer?.blocks ?? [])).toBe("gateway-down");
    expect(slack.violations).toEqual([]);
  });

  it("after Alertmanager's resolve, a signed PagerDuty incident triages the healthy gateway in the same thread; a forged one does nothing", async () => {
    await gw.restoreHealthy();
    // While the incident fails, another alert is only counted on it (the storm guard); once
    // Alertmanager says its alert resolved, the incident has recovered and the next alert is news.
    const resolved = await postJson("/alerts/alertmanager", alertmanagerPayload("resolved"), {
      authorization: `Bearer ${ALERT_TOKEN}`,
    });
    expect(resolved.status).toBe(202);
    await slack.waitFor(
      () => thread().some((m) => m.text === `✅ Alertmanager: 1 alert resolved on ${HOST}`),
      30_000,
      "the resolved alert in the thread",
    );
    const before = thread().length;
    const body = JSON.stringify({
      event: {
        id: "5ac64822-4adc-4fda-ade0-410becf0de4f",
        event_type: "incident.triggered",
        resource_type: "incident",
        occurred_at: new Date().toISOString(),
        agent: null,
        client: { name: "PagerDuty" },
        data: {
          id: "PGR0VU2",
          type: "incident",
          self: "https://api.pagerduty.com/incidents/PGR0VU2",
          html_url: "https://acme.pagerduty.com/incidents/PGR0VU2",
          number: 2,
          status: "triggered",
          incident_key: "d3640fbd41094207a1c11e58e46b1662",
          created_at: new Date().toISOString(),
          title: `Clients refused by the OpenClaw gateway on ${HOST}`,
          service: { id: "PF9KMXH", summary: "OpenClaw fleet", type: "service_reference" },
          assignees: [],
          teams: [],
          urgency: "high",
          resolve_reason: null,
        },
      },
    });
    const sign = (secret: string) => `v1=${createHmac("sha256", secret).update(body).digest("hex")}`;
    const forged = await postJson("/alerts/pagerduty", body, { "x-pagerduty-signature": sign("not-the-secret") });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe("bad_signature");
    expect(thread()).toHaveLength(before);

    const signed = await postJson("/alerts/pagerduty", body, { "x-pagerduty-signature": sign(PD_SECRET) });
    expect(signed.status).toBe(202);
    await slack.waitFor(() => !!finalAnswer(before), 90_000, "the PagerDuty triage's final answer");
    expect(slack.topLevel(CHANNEL)).toHaveLength(1);
    expect(thread()[before]?.text).toBe(`🔥 PagerDuty: 1 alert firing on ${HOST}`);
    expect(finalAnswer(before)?.text).toContain(`Triage ${HOST}: ${FRESH_LAB_HEADLINE}`);
    expect(slack.violations).toEqual([]);
    expect(JSON.stringify(slack.calls)).not.toContain(gw.token);
  });
});
