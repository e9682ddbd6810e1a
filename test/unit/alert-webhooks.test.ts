import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/adapters/http/app.ts";
import { AgentConnection } from "../../src/agent/connection.ts";
import { drainOutbox } from "../../src/core/incidents/outbox.ts";
import type { IncidentBook } from "../../src/core/ports/incident-book.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { scriptedHealthyResults } from "../support/evidence.ts";
import { collectingLogger, until } from "../support/harness.ts";
import { Scrape } from "../support/prometheus.ts";
import { quietLogger, type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";
import { streamBody as streamBodyTo } from "../support/stream-body.ts";

/**
 * The alert webhooks end to end on Node: real HTTP requests to a started control plane (test/support/slack-plane.ts), the
 * Slack stand-in (which checks every Web API call's documented shape), and agents over real
 * sockets answering with a healthy gateway's results. The stand-in payloads follow each
 * product's documented example:
 * - Alertmanager webhook_config, version 4 (prometheus.io/docs/alerting/latest/configuration/#webhook_config;
 *   the sample v4 payload of the alertmanager-webhook-types crate: receiver, status, alerts[] with
 *   fingerprint, groupLabels, commonLabels, commonAnnotations, externalURL, version, groupKey, truncatedAlerts);
 * - Grafana's webhook contact point (grafana.com/docs/grafana/latest/alerting/configure-notifications/
 *   manage-contact-points/integrations/webhook-notifier/: orgId, state, title, message, and per alert
 *   silenceURL, dashboardURL, panelURL, values);
 * - PagerDuty v3 webhooks (developer.pagerduty.com/docs/webhooks/v3-overview/: the event envelope and
 *   its incident data; webhook-signatures: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256>`, several
 *   comma-separated during a rotation).
 */

const ALERT_TOKEN = "alert-token-6d1f0c9a2b7e4f3a8c5d";
const PD_SECRET = "pd-signing-secret-Zq2R8mKc1vXw";
const CHANNEL = "C0ALERTS";
const METRICS_TOKEN = "alerts-metrics-token-41c7";

const logger = collectingLogger();
const logged = logger.lines;

let plane: SlackPlane;
let cp: ControlPlane;
let slack: SlackStandIn;
const agents: AgentConnection[] = [];
const jobsRun = new Map<string, number>();

const healthy = scriptedHealthyResults();

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "alerts",
    // node-9 stays offline: enrolled, no agent.
    hosts: ["node-3", "node-4", "node-5", "node-6", "node-9"],
    logger,
    config: {
      metricsToken: METRICS_TOKEN,
      incidents: { defaultChannel: CHANNEL, rules: [] },
      // Each receiver's own thread and triage: hosts alerting together are grouped into one
      // fleet incident by default (test/unit/incident-storm.test.ts), which these tests are not about.
      grouping: false,
      alerts: {
        token: ALERT_TOKEN,
        pagerdutySecret: PD_SECRET,
        policy: { hostLabels: ["clawops_host", "host", "instance"] },
      },
    },
  });
  ({ cp, slack } = plane);
  for (const host of ["node-3", "node-4", "node-5", "node-6"]) {
    const agent = new AgentConnection({
      server: cp.url,
      host,
      identity: plane.identity,
      agentVersion: "0.1.0",
      gatewayVersion: () => "2026.9.6",
      logger: quietLogger,
      runner: {
        async run(_job, onResult) {
          jobsRun.set(host, (jobsRun.get(host) ?? 0) + 1);
          for (const r of healthy) {
            await new Promise((res) => setTimeout(res, 20));
            onResult(r);
          }
          return healthy;
        },
      },
    });
    agent.start();
    agents.push(agent);
  }
  await until("agents online", 5_000, async () =>
    (await Promise.all(["node-3", "node-4", "node-5", "node-6"].map((h) => cp.hub.isOnline(h)))).every(Boolean),
  );
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await plane.close();
});

/** Alertmanager's v4 body for one group, from its documented sample. */
function alertmanagerPayload(
  alerts: { name: string; labels: Record<string, string>; status?: "firing" | "resolved"; fingerprint: string }[],
  status: "firing" | "resolved" = "firing",
) {
  return {
    receiver: "clawops",
    status,
    alerts: alerts.map((a) => ({
      status: a.status ?? status,
      labels: { alertname: a.name, job: "openclaw", severity: "critical", ...a.labels },
      annotations: { summary: `${a.name} on ${Object.values(a.labels)[0]}`, description: "from the test" },
      startsAt: "2026-11-23T07:08:45.828Z",
      endsAt: (a.status ?? status) === "resolved" ? "2026-11-23T07:30:00Z" : "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
      fingerprint: a.fingerprint,
    })),
    groupLabels: { alertname: alerts[0]?.name ?? "" },
    commonLabels: { job: "openclaw", severity: "critical" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.org:9093",
    version: "4",
    groupKey: `{}/{severity="critical"}:{alertname="${alerts[0]?.name}"}`,
    truncatedAlerts: 0,
  };
}

/** The webhooks' JSON answers: 202/200 with what happens, or an error. */
interface Answer {
  ok: boolean;
  accepted?: unknown;
  ignored?: unknown;
  alerts?: unknown;
  event?: string;
  refused?: string;
  error?: { code: string; message: string };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${cp.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ALERT_TOKEN}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

/** A chunked body of up to `total` bytes to this control plane (test/support/stream-body.ts). */
const streamBody = (path: string, headers: Record<string, string>, total: number) =>
  streamBodyTo(new URL(path, cp.url), headers, total);

const HUNDRED_MB = 100 * 1024 * 1024;

const pdSign = (body: string, secret = PD_SECRET) =>
  `v1=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;

/** A PagerDuty v3 incident event, from the documented example (incident data as in the overview). */
function pagerdutyEvent(
  eventType: string,
  incident: { id: string; title: string; service: string },
  eventId: string,
  occurredAt = new Date().toISOString(),
) {
  return JSON.stringify({
    event: {
      id: eventId,
      event_type: eventType,
      resource_type: "incident",
      occurred_at: occurredAt,
      agent: null,
      client: { name: "PagerDuty" },
      data: {
        id: incident.id,
        type: "incident",
        self: `https://api.pagerduty.com/incidents/${incident.id}`,
        html_url: `https://acme.pagerduty.com/incidents/${incident.id}`,
        number: 42,
        status: eventType === "incident.resolved" ? "resolved" : "triggered",
        incident_key: "d3640fbd41094207a1c11e58e46b1662",
        created_at: "2026-11-23T07:45:20Z",
        title: incident.title,
        service: {
          html_url: "https://acme.pagerduty.com/services/PF9KMXH",
          id: "PF9KMXH",
          self: "https://api.pagerduty.com/services/PF9KMXH",
          summary: incident.service,
          type: "service_reference",
        },
        assignees: [],
        escalation_policy: {
          html_url: "https://acme.pagerduty.com/escalation_policies/PUS0KTE",
          id: "PUS0KTE",
          self: "https://api.pagerduty.com/escalation_policies/PUS0KTE",
          summary: "Default",
          type: "escalation_policy_reference",
        },
        teams: [],
        priority: null,
        urgency: "high",
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  });
}

const posts = () => slack.calls.filter((c) => c.method === "chat.postMessage").length;
const threadOf = (host: string): StoredMessage[] => {
  const parent = slack.topLevel(CHANNEL).find((m) => m.text === `Incident: OpenClaw gateway on ${host}`);
  return parent ? [parent, ...slack.thread(CHANNEL, parent.ts)] : [];
};
const hasTriageResult = (host: string) => threadOf(host).some((m) => m.text.includes(`Triage ${host}`));
async function jobsDone(host: string): Promise<number> {
  return (await cp.store.listJobs({ host })).filter((j) => j.status === "done").length;
}

describe("POST /alerts/alertmanager", () => {
  it("opens the host's incident thread with what fired and a triage, answering 202 at once", async () => {
    const payload = alertmanagerPayload([
      { name: "OpenClawGatewayDown", labels: { instance: "node-3.example.com:9100" }, fingerprint: "1a30ba71cca2921f" },
    ]);
    const { status, body } = await post("/alerts/alertmanager", payload);
    expect(status).toBe(202);
    expect(body.accepted).toEqual([{ host: "node-3", channel: CHANNEL, firing: 1, resolved: 0 }]);
    expect(body.ignored).toEqual([]);
    // What became of each alert, in the answer (issue 33, item 8).
    expect(body.alerts).toEqual([
      { alert: "OpenClawGatewayDown", host: "node-3", status: "firing", outcome: "started" },
    ]);

    await until("triage answer", 10_000, async () => hasTriageResult("node-3") && (await jobsDone("node-3")) === 1);
    const [parent, alert] = threadOf("node-3");
    expect(JSON.stringify(parent?.blocks)).toContain("Opened by *Alertmanager*");
    expect(alert?.text).toBe("🔥 Alertmanager: 1 alert firing on node-3");
    const blocks = JSON.stringify(alert?.blocks);
    expect(blocks).toContain("*OpenClawGatewayDown*: OpenClawGatewayDown on node-3.example.com:9100");
    expect(blocks).toContain(
      "(<http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1|view>)",
    );
    expect(blocks).toContain("A triage follows in this thread.");
    expect(jobsRun.get("node-3")).toBe(1);
    const [job] = await cp.store.listJobs({ host: "node-3" });
    expect(job?.user).toBe("Alertmanager");
    expect(slack.violations).toEqual([]);

    const entries = await cp.deps.recovery?.store.listAudit({ host: "node-3" });
    const audited = entries?.find((e) => e.action === "alert.firing");
    expect(audited).toMatchObject({ actor: "Alertmanager", outcome: "ok", ref: job?.id });
    expect(audited?.detail).toContain("OpenClawGatewayDown → triage");
  });

  it("does not triage again when Alertmanager repeats the same firing alert", async () => {
    const before = posts();
    const seen = logged.length;
    const payload = alertmanagerPayload([
      { name: "OpenClawGatewayDown", labels: { instance: "node-3.example.com:9100" }, fingerprint: "1a30ba71cca2921f" },
    ]);
    const { status, body } = await post("/alerts/alertmanager", payload);
    expect(status).toBe(202);
    // Not "accepted" as if something ran: the answer says it is a repeat.
    expect(body.alerts).toEqual([
      { alert: "OpenClawGatewayDown", host: "node-3", status: "firing", outcome: "repeated" },
    ]);
    await until("the repeat to be handled", 5_000, () =>
      logged.slice(seen).some((l) => l.message === "alert repeated while firing; nothing started"),
    );
    expect(posts()).toBe(before);
    expect(jobsRun.get("node-3")).toBe(1);
    expect((await cp.store.listJobs({ host: "node-3" })).length).toBe(1);
  });

  it("counts a second alert on the host's open incident in its header, posting nothing and starting no triage (issue 29)", async () => {
    const before = posts();
    const payload = alertmanagerPayload([
      { name: "OpenClawHandshakeErrors", labels: { host: "node-3" }, fingerprint: "77aa00bb11cc22dd" },
    ]);
    const { status, body } = await post("/alerts/alertmanager", payload);
    expect(status).toBe(202);
    expect(body.accepted).toEqual([{ host: "node-3", channel: CHANNEL, firing: 1, resolved: 0 }]);
    // The answer says so (issue 33, item 8): new, but only counted on the open incident.
    expect(body.alerts).toEqual([
      { alert: "OpenClawHandshakeErrors", host: "node-3", status: "firing", outcome: "counted" },
    ]);
    const [incident] = await cp.store.listIncidents({ open: true });
    await until("the alert on the incident's timeline", 5_000, async () =>
      (await cp.store.incidentTimeline(incident?.id ?? "")).some((e) => e.text.includes("OpenClawHandshakeErrors")),
    );
    // The header is the one live message: edited (within its edit interval) to the counts.
    await until("the header counts both alerts", 20_000, () =>
      JSON.stringify(threadOf("node-3")[0]?.blocks).includes("2 alerts fired"),
    );
    expect(posts()).toBe(before);
    // No reply names it; the header lists it under what fired (issue 40, item 6).
    const [header, ...replies] = threadOf("node-3");
    expect(replies.some((m) => JSON.stringify(m.blocks).includes("OpenClawHandshakeErrors"))).toBe(false);
    expect(JSON.stringify(header?.blocks)).toMatch(/\*What fired:\* .*OpenClawHandshakeErrors/);
    expect(jobsRun.get("node-3")).toBe(1);
    expect(slack.topLevel(CHANNEL).filter((m) => m.text.endsWith("node-3"))).toHaveLength(1);
    expect(slack.violations).toEqual([]);
    // The header's edit waits out its edit interval (14 s of this test in a loaded clean clone):
    // a bound past the 20 s wait above, not a speed claim.
  }, 60_000);

  it("counts a resolved alert while another still fires, and notes the last one resolved in the thread", async () => {
    const resolved = (name: string, labels: Record<string, string>, fingerprint: string) =>
      post("/alerts/alertmanager", alertmanagerPayload([{ name, labels, fingerprint }], "resolved"));
    const before = posts();
    const first = await resolved("OpenClawGatewayDown", { instance: "node-3.example.com:9100" }, "1a30ba71cca2921f");
    expect(first.status).toBe(202);
    expect(first.body.accepted).toEqual([{ host: "node-3", channel: CHANNEL, firing: 0, resolved: 1 }]);
    expect(first.body.alerts).toEqual([
      { alert: "OpenClawGatewayDown", host: "node-3", status: "resolved", outcome: "resolved" },
    ]);
    const [incident] = await cp.store.listIncidents({ open: true });
    await until("counted on the timeline", 5_000, async () =>
      (await cp.store.incidentTimeline(incident?.id ?? "")).some((e) => e.kind === "alert.resolved"),
    );
    expect(posts()).toBe(before);
    expect((await cp.store.getIncident(incident?.id ?? ""))?.phase).toBe("failing");

    const last = await resolved("OpenClawHandshakeErrors", { host: "node-3" }, "77aa00bb11cc22dd");
    expect(last.status).toBe(202);
    expect(last.body.alerts).toEqual([
      { alert: "OpenClawHandshakeErrors", host: "node-3", status: "resolved", outcome: "resolved" },
    ]);
    await until("resolved note", 5_000, () =>
      threadOf("node-3").some((m) => m.text === "✅ Alertmanager: 1 alert resolved on node-3"),
    );
    expect((await cp.store.getIncident(incident?.id ?? ""))?.phase).toBe("recovered");
    await until("the header says recovered", 5_000, () =>
      JSON.stringify(threadOf("node-3")[0]?.blocks).includes("Recovered"),
    );
    expect(jobsRun.get("node-3")).toBe(1);
    // Audited after the note and the header's edit.
    await until("the resolve audited", 5_000, async () =>
      (await cp.deps.recovery?.store.listAudit({ host: "node-3" }))?.some(
        (e) => e.action === "alert.resolved" && e.actor === "Alertmanager",
      ),
    );
  });

  it("posts a new alert after the incident recovered, moving it back to failing, with no second triage within 5 minutes", async () => {
    const [incident] = await cp.store.listIncidents({ open: true });
    expect(incident?.phase).toBe("recovered");
    const payload = alertmanagerPayload([
      { name: "OpenClawConfigDrift", labels: { host: "node-3" }, fingerprint: "3c3c3c3c3c3c3c3c" },
    ]);
    const { status, body } = await post("/alerts/alertmanager", payload);
    expect(status).toBe(202);
    // News to the incident (its first failure since it recovered), but the host's triage slot is spent.
    expect(body.alerts).toEqual([
      { alert: "OpenClawConfigDrift", host: "node-3", status: "firing", outcome: "rate-limited" },
    ]);
    // Posted as a reply (the header, which lists what fired, names it too).
    const replies = () => threadOf("node-3").slice(1);
    await until("the alert in the thread", 5_000, () =>
      replies().some((m) => JSON.stringify(m.blocks).includes("OpenClawConfigDrift")),
    );
    const msg = replies().find((m) => JSON.stringify(m.blocks).includes("OpenClawConfigDrift"));
    expect(JSON.stringify(msg?.blocks)).toContain(
      "No new triage: one was started for an alert on *node-3* less than 5 min ago",
    );
    expect((await cp.store.getIncident(incident?.id ?? ""))?.phase).toBe("failing");
    expect(jobsRun.get("node-3")).toBe(1);
    expect(slack.violations).toEqual([]);
  });

  it("answers 202 with the reason for an alert naming no enrolled host, logs it and posts nothing", async () => {
    const before = posts();
    const seen = logged.length;
    const payload = alertmanagerPayload([
      { name: "DiskFull", labels: { instance: "db-7.example.com:9100" }, fingerprint: "0000aaaa1111bbbb" },
    ]);
    const { status, body } = await post("/alerts/alertmanager", payload);
    expect(status).toBe(202);
    expect(body.accepted).toEqual([]);
    expect(body.ignored).toEqual([
      { alert: "DiskFull", status: "firing", reason: 'label instance="db-7.example.com:9100" names no enrolled host' },
    ]);
    expect(logged.slice(seen).some((l) => l.message === "alert not taken" && l.fields?.alert === "DiskFull")).toBe(
      true,
    );
    // Nothing was left to run after the response: the request did all there was.
    expect(posts()).toBe(before);
  });

  it("posts the alert for a host whose agent is offline, saying no triage can run", async () => {
    const payload = alertmanagerPayload([
      { name: "OpenClawGatewayDown", labels: { clawops_host: "node-9" }, fingerprint: "9999999999999999" },
    ]);
    const { status, body } = await post("/alerts/alertmanager", payload);
    expect(status).toBe(202);
    expect(body.alerts).toEqual([
      { alert: "OpenClawGatewayDown", host: "node-9", status: "firing", outcome: "offline" },
    ]);
    await until("node-9 thread", 5_000, () => threadOf("node-9").length >= 2);
    expect(JSON.stringify(threadOf("node-9")[1]?.blocks)).toContain(
      "No triage: the agent on *node-9* is not connected",
    );
    expect(await cp.store.listJobs({ host: "node-9" })).toEqual([]);
  });

  it("refuses a missing or wrong bearer token with 401 and posts nothing", async () => {
    const before = posts();
    const payload = alertmanagerPayload([
      { name: "Forged", labels: { host: "node-4" }, fingerprint: "f0f0f0f0f0f0f0f0" },
    ]);
    const wrong = await post("/alerts/alertmanager", payload, { authorization: "Bearer not-the-token" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toEqual({
      code: "unauthorized",
      message: "Send `Authorization: Bearer <CLAWOPS_ALERT_TOKEN>`.",
    });
    const missing = await fetch(`${cp.url}/alerts/alertmanager`, { method: "POST", body: JSON.stringify(payload) });
    expect(missing.status).toBe(401);
    const basic = await post("/alerts/alertmanager", payload, { authorization: `Basic ${btoa(`x:${ALERT_TOKEN}`)}` });
    expect(basic.status).toBe(401);
    expect(posts()).toBe(before);
    expect(await cp.store.listJobs({ host: "node-4" })).toEqual([]);
  });

  it("refuses a body over 1 MB with 413, and a payload that is not Alertmanager's v4 with 400", async () => {
    const before = posts();
    const big = await streamBody("/alerts/alertmanager", { authorization: `Bearer ${ALERT_TOKEN}` }, HUNDRED_MB);
    expect(big.status).toBe(413);
    expect(big.code).toBe("payload_too_large");
    // Socket and kernel buffers take a few MB before the answer reaches the client; the rest never leaves.
    expect(big.sent).toBeLessThan(16 * 1024 * 1024);
    // Without the token, not even the cap is reached: refused on the headers.
    const unauthorized = await streamBody("/alerts/alertmanager", {}, HUNDRED_MB);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.sent).toBeLessThan(16 * 1024 * 1024);

    const v3 = {
      ...alertmanagerPayload([{ name: "Old", labels: { host: "node-4" }, fingerprint: "c1c1c1c1c1c1c1c1" }]),
      version: "3",
    };
    const bad = await post("/alerts/alertmanager", v3);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: "bad_payload",
      message:
        "Not Alertmanager's webhook payload: version: version must be \"4\" (Alertmanager's webhook payload version).",
    });
    const notJson = await post("/alerts/alertmanager", "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.message).toBe("Not Alertmanager's webhook payload: the body is not JSON.");
    const noAlerts = await post("/alerts/alertmanager", { version: "4", receiver: "x", status: "firing" });
    expect(noAlerts.status).toBe(400);
    expect(noAlerts.body.error?.message).toContain("alerts:");
    expect(posts()).toBe(before);
  });
});

describe("POST /alerts/pagerduty", () => {
  it("opens the thread with a triage for a signed incident.triggered naming the host", async () => {
    const body = pagerdutyEvent(
      "incident.triggered",
      { id: "PGR0VU2", title: "OpenClaw gateway down on node-4", service: "OpenClaw fleet" },
      "5ac64822-4adc-4fda-ade0-410becf0de4f",
    );
    // During a secret rotation PagerDuty sends one signature per secret; one match is enough.
    const signature = `${pdSign(body, "the-old-secret")},${pdSign(body)}`;
    const { status, body: answer } = await post("/alerts/pagerduty", body, {
      authorization: "",
      "x-pagerduty-signature": signature,
    });
    expect(status).toBe(202);
    expect(answer.accepted).toEqual([{ host: "node-4", channel: CHANNEL, firing: 1, resolved: 0 }]);
    await until("node-4 triage", 10_000, async () => hasTriageResult("node-4") && (await jobsDone("node-4")) === 1);
    const alert = threadOf("node-4")[1];
    expect(alert?.text).toBe("🔥 PagerDuty: 1 alert firing on node-4");
    const blocks = JSON.stringify(alert?.blocks);
    expect(blocks).toContain(
      "*OpenClaw gateway down on node-4*: PagerDuty incident #42 (service OpenClaw fleet, urgency high)",
    );
    expect(blocks).toContain("<https://acme.pagerduty.com/incidents/PGR0VU2|view>");
    expect(jobsRun.get("node-4")).toBe(1);
    expect(slack.violations).toEqual([]);

    // PagerDuty retries a delivery with the same event: answered (so it stops), nothing runs twice.
    const retry = await post("/alerts/pagerduty", body, { "x-pagerduty-signature": pdSign(body) });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ accepted: [], refused: expect.stringContaining("was received already") });
    await new Promise((r) => setTimeout(r, 200));
    expect(jobsRun.get("node-4")).toBe(1);
  });

  it("a captured signed body replayed after the memory of its incident is gone: refused by its own time (issue 32, item 6)", async () => {
    const before = posts();
    // Signed by PagerDuty 8 days ago (its incident's 7-day memory has lapsed): the signature still verifies.
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3_600_000).toISOString();
    const body = pagerdutyEvent(
      "incident.triggered",
      { id: "PREPLAY1", title: "OpenClaw gateway down on node-6", service: "OpenClaw fleet" },
      "replayed-event-1",
      eightDaysAgo,
    );
    const replay = await post("/alerts/pagerduty", body, { "x-pagerduty-signature": pdSign(body) });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ accepted: [], refused: expect.stringContaining("more than 24 h ago") });
    // A day and a minute old: the same.
    const stale = pagerdutyEvent(
      "incident.triggered",
      { id: "PREPLAY2", title: "OpenClaw gateway down on node-6", service: "OpenClaw fleet" },
      "replayed-event-2",
      new Date(Date.now() - 24 * 3_600_000 - 60_000).toISOString(),
    );
    expect((await post("/alerts/pagerduty", stale, { "x-pagerduty-signature": pdSign(stale) })).body.accepted).toEqual(
      [],
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(posts()).toBe(before);
    expect(await cp.store.listJobs({ host: "node-6" })).toEqual([]);
    expect(logged.some((l) => l.message === "pagerduty event refused")).toBe(true);
  });

  it("refuses a forged or missing signature with 401 and runs nothing", async () => {
    const before = posts();
    const body = pagerdutyEvent(
      "incident.triggered",
      { id: "PFORGED1", title: "host=node-5 is down", service: "OpenClaw fleet" },
      "forged-event-1",
    );
    const forged = await post("/alerts/pagerduty", body, { "x-pagerduty-signature": pdSign(body, "guessed-secret") });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe("bad_signature");
    expect(forged.body.error?.message).toContain("PAGERDUTY_WEBHOOK_SECRET");
    const tampered = await post("/alerts/pagerduty", body.replace("node-5", "node-4"), {
      "x-pagerduty-signature": pdSign(body),
    });
    expect(tampered.status).toBe(401);
    const unsigned = await post("/alerts/pagerduty", body);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error?.message).toBe("Missing X-PagerDuty-Signature header (v1=<hex>).");
    const zeros = await post("/alerts/pagerduty", body, { "x-pagerduty-signature": `v1=${"0".repeat(64)}` });
    expect(zeros.status).toBe(401);
    expect(posts()).toBe(before);
    expect(await cp.store.listJobs({ host: "node-5" })).toEqual([]);
  });

  it("refuses a body over 256 KB with 413 before checking its signature, and an unsigned one on its headers", async () => {
    const signed = await streamBody("/alerts/pagerduty", { "x-pagerduty-signature": pdSign("x") }, HUNDRED_MB);
    expect(signed.status).toBe(413);
    expect(signed.code).toBe("payload_too_large");
    expect(signed.sent).toBeLessThan(16 * 1024 * 1024);
    const unsigned = await streamBody("/alerts/pagerduty", {}, HUNDRED_MB);
    expect(unsigned.status).toBe(401);
    expect(unsigned.code).toBe("bad_signature");
  });

  it("acknowledges events that are not an incident firing or resolving, and does nothing", async () => {
    const before = posts();
    const body = JSON.stringify({
      event: {
        id: "01BRB6ZP4M6T8ZG4X6BP63ZB9O",
        event_type: "pagey.ping",
        resource_type: "pagey",
        occurred_at: new Date().toISOString(),
        agent: null,
        client: null,
        data: { message: "Hello from your friend Pagey!", type: "ping" },
      },
    });
    const res = await post("/alerts/pagerduty", body, { "x-pagerduty-signature": pdSign(body) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, accepted: [], ignored: [], event: "pagey.ping" });
    expect(posts()).toBe(before);
  });
});

describe("POST /alerts/grafana", () => {
  it("opens the thread with the alert and a triage from Grafana's webhook contact point", async () => {
    const payload = {
      receiver: "clawops",
      status: "firing",
      orgId: 1,
      alerts: [
        {
          status: "firing",
          labels: { alertname: "OpenClaw gateway refuses clients", host: "node-5", team: "ops" },
          annotations: { summary: "token drift suspected on node-5", runbook_url: "https://runbooks.example/1234" },
          startsAt: "2026-11-23T09:51:03.157076+02:00",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "https://grafana.example/alerting/1afz29v7z/edit",
          fingerprint: "c6eadffa33fcdf37",
          silenceURL: "https://grafana.example/alerting/silence/new?alertmanager=grafana",
          dashboardURL: "",
          panelURL: "https://grafana.example/d/abc?viewPanel=2",
          values: { B: 44.2, C: 1 },
          valueString: "[ var='B' labels={} value=44.2 ]",
        },
      ],
      groupLabels: { alertname: "OpenClaw gateway refuses clients" },
      commonLabels: { alertname: "OpenClaw gateway refuses clients", host: "node-5", team: "ops" },
      commonAnnotations: {},
      externalURL: "https://grafana.example/",
      version: "1",
      groupKey: '{}:{alertname="OpenClaw gateway refuses clients"}',
      truncatedAlerts: 0,
      title: "[FIRING:1] OpenClaw gateway refuses clients (node-5 ops)",
      state: "alerting",
      message: "**Firing**\n\nValue: B=44.2",
    };
    const { status, body } = await post("/alerts/grafana", payload);
    expect(status).toBe(202);
    expect(body.accepted).toEqual([{ host: "node-5", channel: CHANNEL, firing: 1, resolved: 0 }]);
    await until("node-5 triage", 10_000, async () => hasTriageResult("node-5") && (await jobsDone("node-5")) === 1);
    const [parent, alert] = threadOf("node-5");
    expect(JSON.stringify(parent?.blocks)).toContain("Opened by *Grafana*");
    expect(alert?.text).toBe("🔥 Grafana: 1 alert firing on node-5");
    expect(JSON.stringify(alert?.blocks)).toContain("<https://grafana.example/d/abc?viewPanel=2|view>");
    expect(jobsRun.get("node-5")).toBe(1);

    const wrong = await post("/alerts/grafana", payload, { authorization: "Bearer wrong" });
    expect(wrong.status).toBe(401);
  });

  it("each receiver takes only its own payload (issue 33, item 8), starting nothing", async () => {
    const before = posts();
    const alertmanager = alertmanagerPayload([
      { name: "OpenClawGatewayDown", labels: { host: "node-5" }, fingerprint: "aa" },
    ]);
    const intoGrafana = await post("/alerts/grafana", alertmanager);
    expect(intoGrafana.status).toBe(400);
    expect(intoGrafana.body).toEqual({
      ok: false,
      error: {
        code: "bad_payload",
        message:
          'This is Alertmanager\'s webhook payload (version "4", no orgId): point Alertmanager at /alerts/alertmanager.',
      },
    });
    const grafana = { ...alertmanager, version: "1", orgId: 1, state: "alerting", title: "[FIRING:1]" };
    const intoAlertmanager = await post("/alerts/alertmanager", grafana);
    expect(intoAlertmanager.status).toBe(400);
    expect(intoAlertmanager.body).toEqual({
      ok: false,
      error: {
        code: "bad_payload",
        message:
          "This is Grafana's webhook payload (it carries orgId): point the Grafana contact point at /alerts/grafana.",
      },
    });
    expect(posts()).toBe(before);
  });
});

describe("clawops_alerts_received_total", () => {
  it("counts every alert of the authenticated, valid payloads above, by source, and nothing refused", async () => {
    const res = await fetch(`${cp.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const scrape = await Scrape.parse(await res.text());
    // Alertmanager: first, repeat, counted, two resolved, rate-limited, unknown host, offline host
    // (not the 401s, 413s and 400s); PagerDuty: the trigger (not its retry, not the forged or
    // replayed ones, not the ping, which carries no alert); Grafana: one.
    expect(scrape.value("clawops_alerts_received_total", { source: "alertmanager" })).toBe(8);
    expect(scrape.value("clawops_alerts_received_total", { source: "pagerduty" })).toBe(1);
    expect(scrape.value("clawops_alerts_received_total", { source: "grafana" })).toBe(1);
  });
});

describe("alert webhooks without their secrets", () => {
  it("answer 503 naming the variable to set", async () => {
    const app = createApp({ deps: cp.deps, runLater: () => {} });
    const am = await app.request("/alerts/alertmanager", { method: "POST", body: "{}" });
    expect(am.status).toBe(503);
    expect(((await am.json()) as { error: { message: string } }).error.message).toContain("set CLAWOPS_ALERT_TOKEN");
    const pd = await app.request("/alerts/pagerduty", { method: "POST", body: "{}" });
    expect(pd.status).toBe(503);
    expect(((await pd.json()) as { error: { message: string } }).error.message).toContain(
      "set PAGERDUTY_WEBHOOK_SECRET",
    );
  });
});

describe("an alert whose thread could not be posted", () => {
  it("is on the record at once, posted from the outbox when Slack answers again, and only then triaged; its repeat is not posted twice", async () => {
    const payload = alertmanagerPayload([
      { name: "OpenClawGatewayDown", labels: { instance: "node-6.example.com:9100" }, fingerprint: "6c0ffee6c0ffee66" },
    ]);
    // Slack rate-limits the thread's first message with a Retry-After past the client's 30 s
    // budget: the call fails for good at once, as it would after its retries.
    slack.failNext("chat.postMessage", { kind: "ratelimited", retryAfterS: 120 });
    const seen = logged.length;
    expect((await post("/alerts/alertmanager", payload)).status).toBe(202);
    await until("the failed post", 5_000, () =>
      logged.slice(seen).some((l) => l.message === "incident post not delivered"),
    );
    expect(threadOf("node-6")).toEqual([]);
    expect(jobsRun.get("node-6")).toBeUndefined();
    // Record first: the incident is open, the signal counted, the failure on its timeline; the
    // triage waits for its announcement instead of running unannounced or being thrown away.
    const book = cp.deps.store as unknown as IncidentBook;
    const incident = await book.findOpenIncident("node-6");
    expect(incident?.counts.alerts).toBe(1);
    const timeline = await book.incidentTimeline(incident?.id ?? "");
    expect(timeline.map((e) => e.text).join("\n")).toContain(
      "⚠️ The alert's message could not be posted in <#C0ALERTS>",
    );
    const [job] = await cp.deps.store.listJobs({ host: "node-6" });
    expect(job?.status).toBe("running");
    expect(job?.detail).toContain("the triage starts once it is");
    const [queued] = (await book.listOutbox({ incidentId: incident?.id ?? "" })).filter((i) => i.kind === "post");
    expect(queued).toMatchObject({ state: "pending", attempts: 1 });

    // Alertmanager repeats it (repeat_interval): already handled (the outbox holds its post), nothing more.
    const repeated = logged.length;
    expect((await post("/alerts/alertmanager", payload)).status).toBe(202);
    await until("the repeat handled", 5_000, () =>
      logged.slice(repeated).some((l) => l.message === "alert repeated while firing; nothing started"),
    );

    // The backoff elapses (the item falls due) and Slack answers: the outbox's drain posts the
    // thread and the announcement, and starts the triage that waited for it.
    await book.settleOutbox(queued?.id ?? "", { state: "pending", nextAt: Date.now() });
    expect(await drainOutbox(cp.deps)).toMatchObject({ sent: 1 });
    await until("triage answer", 10_000, async () => hasTriageResult("node-6") && (await jobsDone("node-6")) === 1);
    const [parent, alert] = threadOf("node-6");
    expect(JSON.stringify(parent?.blocks)).toContain("Opened by *Alertmanager*");
    expect(alert?.text).toBe("🔥 Alertmanager: 1 alert firing on node-6");
    expect(JSON.stringify(alert?.blocks)).toContain("A triage follows in this thread.");
    expect(threadOf("node-6").filter((m) => m.text === alert?.text)).toHaveLength(1);
    expect(jobsRun.get("node-6")).toBe(1);
    expect((await cp.deps.store.getJob(job?.id ?? ""))?.status).toBe("done");
    expect((await book.incidentTimeline(incident?.id ?? "")).map((e) => e.text)).toContain(
      "The alert's message was posted after 2 tries.",
    );
    expect(slack.violations).toEqual([]);
  });
});
