import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DirectoryRecoveryStore, DirectoryStore } from "../../src/worker/directory-store.ts";
import worker from "../../src/worker/index.ts";
import { alertmanagerWebhook } from "../support/alertmanager.ts";
import { scriptedHealthyResults } from "../support/evidence.ts";
import { HANG_MS, until } from "../support/until.ts";
import { connectScriptedAgent, type ScriptedAgent } from "./scripted-agent.ts";
import { hmacSha256Hex, type RecordedRequest } from "./signed-slack.ts";

/**
 * The alert webhooks inside workerd, through the Worker's real `fetch` export: the 202 comes
 * back first, the thread and alert message are posted in the request's `waitUntil`, and the
 * triage runs in the host's Durable Object on its own agent connection. The agent here is a
 * scripted one on a real WebSocket to that object: it signs the hub's challenge with an
 * Ed25519 key (WebCrypto) and answers each job with a healthy gateway's results. Payloads as
 * in test/unit/alert-webhooks.test.ts (each product's documented example).
 */

const ALERT_TOKEN = "alert-token-workers-3b9e1d";
const PD_SECRET = "pd-signing-secret-workers-7c2a";
const CHANNEL = "C0ALERTS";
const alertEnv = {
  ...env,
  CLAWOPS_ALERT_TOKEN: ALERT_TOKEN,
  PAGERDUTY_WEBHOOK_SECRET: PD_SECRET,
  CLAWOPS_INCIDENT_CHANNEL: CHANNEL,
};

const healthy = scriptedHealthyResults();

/** Enrolls `host` and connects a scripted agent that answers each job with a healthy gateway's results. */
const connectAgent = (host: string): Promise<ScriptedAgent> => connectScriptedAgent(host, () => healthy);

async function outboundCalls(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}
/** What was posted or edited in Slack (not a page's form-encoded permalink lookup). */
const slackBodies = async () =>
  (await outboundCalls()).filter((c) => /\/chat\.(postMessage|update)$/.test(c.url)).map((c) => c.body);
/** New messages only: an earlier triage may still be editing its own in its host's object. */
const newPosts = async () =>
  (await outboundCalls()).filter((c) => c.url === `${env.SLACK_API_URL}/chat.postMessage`).map((c) => c.body);

interface Answer {
  ok: boolean;
  accepted?: unknown;
  ignored?: unknown;
  error?: { code: string; message: string };
}

/** A webhook through the Worker's fetch; resolves once the work after the response is done too. */
async function post(
  path: string,
  body: string,
  headers: Record<string, string>,
  bindings: Parameters<typeof worker.fetch>[1] = alertEnv,
) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://clawops.example${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    }),
    bindings,
    ctx,
  );
  const answer = await res.json<Answer>();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: answer };
}
const bearer = { authorization: `Bearer ${ALERT_TOKEN}` };

function alertmanager(host: string, fingerprint: string, status: "firing" | "resolved" = "firing"): string {
  return alertmanagerWebhook({
    status,
    labels: { alertname: "OpenClawGatewayDown", instance: `${host}.example.com:9100`, severity: "critical" },
    summary: `gateway on ${host} is down`,
    startsAt: "2026-11-23T07:08:45.828Z",
    endsAt: "2026-11-23T07:30:00Z",
    generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=up%3D%3D0",
    fingerprint,
  });
}

async function pdSign(body: string, secret = PD_SECRET): Promise<string> {
  return `v1=${await hmacSha256Hex(secret, body)}`;
}

function pagerduty(title: string, id: string): string {
  return JSON.stringify({
    event: {
      id: `evt-${id}`,
      event_type: "incident.triggered",
      resource_type: "incident",
      occurred_at: new Date().toISOString(),
      agent: null,
      client: { name: "PagerDuty" },
      data: {
        id,
        type: "incident",
        self: `https://api.pagerduty.com/incidents/${id}`,
        html_url: `https://acme.pagerduty.com/incidents/${id}`,
        number: 7,
        status: "triggered",
        incident_key: "d3640fbd41094207a1c11e58e46b1662",
        created_at: "2026-11-23T07:45:20Z",
        title,
        service: { id: "PF9KMXH", summary: "OpenClaw fleet", type: "service_reference" },
        assignees: [],
        teams: [],
        urgency: "high",
        resolve_reason: null,
      },
    },
  });
}

let agents: ScriptedAgent[] = [];

beforeAll(async () => {
  agents = [await connectAgent("edge-1"), await connectAgent("edge-2"), await connectAgent("edge-3")];
});

afterAll(async () => {
  // Each host object notes its agent gone (and logs it) before the run ends.
  for (const [i, a] of agents.entries()) {
    a.socket.close(1000, "test over");
    const host = env.HOSTS.get(env.HOSTS.idFromName(`edge-${i + 1}`));
    await until("the agent to be gone", HANG_MS, async () => !(await host.isOnline()), 50);
  }
});

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("alert webhooks on the Workers runtime", () => {
  it("an Alertmanager payload opens the thread with the alert, and the host's object runs the triage", async () => {
    const { status, body } = await post("/alerts/alertmanager", alertmanager("edge-1", "1a30ba71cca2921f"), bearer);
    expect(status).toBe(202);
    expect(body.accepted).toEqual([{ host: "edge-1", channel: CHANNEL, firing: 1, resolved: 0 }]);
    // After waitUntil: the header and the alert are posted, the job is queued in the host's object.
    const posted = (await slackBodies()).map((b) => JSON.parse(b));
    expect(posted[0]).toMatchObject({ channel: CHANNEL, text: "Incident: OpenClaw gateway on edge-1" });
    expect(JSON.stringify(posted[0].blocks)).toContain("Opened by *Alertmanager*");
    expect(posted[1]).toMatchObject({ channel: CHANNEL, text: "🔥 Alertmanager: 1 alert firing on edge-1" });
    expect(JSON.stringify(posted[1].blocks)).toContain("A triage follows in this thread.");
    await until(
      "the triage answer from the host's object",
      HANG_MS,
      async () => (await slackBodies()).some((b) => b.includes('"text":"Triage edge-1')),
      50,
    );
    expect(agents[0]?.jobs).toBe(1);
    const audit = await new DirectoryRecoveryStore(env.DIRECTORY).listAudit({ host: "edge-1" });
    expect(audit.find((e) => e.action === "alert.firing")).toMatchObject({ actor: "Alertmanager", outcome: "ok" });

    // The same firing alert again (repeat_interval): nothing posted, no second triage.
    await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
    const again = await post("/alerts/alertmanager", alertmanager("edge-1", "1a30ba71cca2921f"), bearer);
    expect(again.status).toBe(202);
    expect(await newPosts()).toEqual([]);
    expect(agents[0]?.jobs).toBe(1);

    // Resolved: a note in the same thread.
    const resolved = await post("/alerts/alertmanager", alertmanager("edge-1", "1a30ba71cca2921f", "resolved"), bearer);
    expect(resolved.status).toBe(202);
    const [note] = (await newPosts()).map((b) => JSON.parse(b));
    expect(note).toMatchObject({ channel: CHANNEL, text: "✅ Alertmanager: 1 alert resolved on edge-1" });
    expect(note.thread_ts).toBe(posted[1].thread_ts);
  });

  it("a Grafana payload opens its thread with a triage too", async () => {
    const payload = JSON.parse(alertmanager("edge-3", "c6eadffa33fcdf37"));
    const grafana = {
      ...payload,
      version: "1",
      orgId: 1,
      state: "alerting",
      title: "[FIRING:1] OpenClawGatewayDown",
      message: "**Firing**",
      alerts: payload.alerts.map((a: Record<string, unknown>) => ({
        ...a,
        silenceURL: "https://grafana.example/alerting/silence/new",
        dashboardURL: "",
        panelURL: "",
        values: { B: 1 },
      })),
    };
    const { status } = await post("/alerts/grafana", JSON.stringify(grafana), bearer);
    expect(status).toBe(202);
    expect((await slackBodies()).some((b) => b.includes("Grafana: 1 alert firing on edge-3"))).toBe(true);
    await until(
      "edge-3 triage",
      HANG_MS,
      async () => (await slackBodies()).some((b) => b.includes('"text":"Triage edge-3')),
      50,
    );
    expect(agents[2]?.jobs).toBe(1);
  });

  it("a signed PagerDuty incident opens the thread with a triage; a forged one does nothing", async () => {
    const forgedBody = pagerduty("OpenClaw gateway down on edge-2", "PFORGED");
    const forged = await post("/alerts/pagerduty", forgedBody, {
      "x-pagerduty-signature": await pdSign(forgedBody, "guessed"),
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe("bad_signature");
    const unsigned = await post("/alerts/pagerduty", forgedBody, {});
    expect(unsigned.status).toBe(401);
    expect(await newPosts()).toEqual([]);

    const body = pagerduty("OpenClaw gateway down on edge-2", "PGR0VU2");
    const { status, body: answer } = await post("/alerts/pagerduty", body, {
      "x-pagerduty-signature": `${await pdSign(body, "old-secret")},${await pdSign(body)}`,
    });
    expect(status).toBe(202);
    expect(answer.accepted).toEqual([{ host: "edge-2", channel: CHANNEL, firing: 1, resolved: 0 }]);
    expect((await slackBodies()).some((b) => b.includes("PagerDuty: 1 alert firing on edge-2"))).toBe(true);
    await until(
      "edge-2 triage",
      HANG_MS,
      async () => (await slackBodies()).some((b) => b.includes('"text":"Triage edge-2')),
      50,
    );
    expect(agents[1]?.jobs).toBe(1);
  });

  it("refuses a wrong bearer token (401) and an oversized body (413); an unknown host gets 202 and its reason", async () => {
    const wrong = await post("/alerts/alertmanager", alertmanager("edge-1", "ffff000011112222"), {
      authorization: "Bearer nope",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe("unauthorized");
    const big = await post("/alerts/alertmanager", "x".repeat(1024 * 1024 + 1), bearer);
    expect(big.status).toBe(413);
    const unknown = await post("/alerts/alertmanager", alertmanager("db-7", "abababababababab"), bearer);
    expect(unknown.status).toBe(202);
    expect(unknown.body.ignored).toEqual([
      {
        alert: "OpenClawGatewayDown",
        status: "firing",
        reason: 'label instance="db-7.example.com:9100" names no enrolled host',
      },
    ]);
    expect(await newPosts()).toEqual([]);
  });

  it("answers 503 naming the secret to set when the token or PagerDuty secret is unset", async () => {
    const bare = { ...env, CLAWOPS_INCIDENT_CHANNEL: CHANNEL };
    const am = await post("/alerts/alertmanager", "{}", bearer, bare);
    expect(am.status).toBe(503);
    expect(am.body.error?.message).toContain("CLAWOPS_ALERT_TOKEN");
    const pd = await post("/alerts/pagerduty", "{}", { "x-pagerduty-signature": "v1=00" }, bare);
    expect(pd.status).toBe(503);
    expect(pd.body.error?.message).toContain("PAGERDUTY_WEBHOOK_SECRET");
  });

  it("an alert whose post fails waits in the outbox; the directory object's alarm posts it and the host's object triages then", async () => {
    const agent = await connectAgent("edge-4");
    // The bot was removed from the channel: Slack refuses the thread's first message.
    await fetch(`${env.SLACK_STANDIN_CALLS_URL}?fail=not_in_channel&times=1`, { method: "POST" });
    // An alert of its own (not the gateway-down the earlier hosts share, which would group them).
    const payload = alertmanagerWebhook({
      status: "firing",
      labels: { alertname: "OpenClawRepliesStalled", instance: "edge-4.example.com:9100", severity: "critical" },
      summary: "no replies from edge-4 for 10 minutes",
      startsAt: "2026-11-23T08:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=replies",
      fingerprint: "4e4e4e4e4e4e4e4e",
    });
    const { status } = await post("/alerts/alertmanager", payload, bearer);
    expect(status).toBe(202);
    // Record first: the incident is open and counted, the post queued, no triage ran unannounced.
    const store = new DirectoryStore(env.DIRECTORY);
    const incident = await store.findOpenIncident("edge-4");
    expect(incident?.counts.alerts).toBe(1);
    const [queued] = (await store.listOutbox({ incidentId: incident?.id ?? "" })).filter((i) => i.kind === "post");
    expect(queued).toMatchObject({ state: "pending", attempts: 1 });
    expect(queued?.lastError).toContain("not_in_channel");
    expect(agent.jobs).toBe(0);

    // Someone invites the bot back; the backoff ends (the item falls due, the alarm wakes for it).
    await store.settleOutbox(queued?.id ?? "", { state: "pending", nextAt: Date.now() });
    await until(
      "the triage answer after the late announcement",
      HANG_MS,
      async () => (await slackBodies()).some((b) => b.includes('"text":"Triage edge-4')),
      50,
    );
    const posted = (await newPosts()).map((b) => JSON.parse(b));
    const alert = posted.find((p) => p.text === "🔥 Alertmanager: 1 alert firing on edge-4");
    expect(JSON.stringify(alert)).toContain("OpenClawRepliesStalled");
    expect(alert?.thread_ts).toBeTruthy();
    expect(posted.filter((p) => p.text === alert?.text)).toHaveLength(1);
    expect(agent.jobs).toBe(1);
    expect((await store.listOutbox({ incidentId: incident?.id ?? "" })).find((i) => i.id === queued?.id)?.state).toBe(
      "sent",
    );
    agent.socket.close(1000, "test over");
    const host = env.HOSTS.get(env.HOSTS.idFromName("edge-4"));
    await until("the agent to be gone", HANG_MS, async () => !(await host.isOnline()), 50);
  });
});
