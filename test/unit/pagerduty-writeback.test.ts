import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { alertFromPagerDuty, type IncomingAlert, PagerDutyPayloadSchema } from "../../src/core/alerts/payloads.ts";
import { receiveAlerts } from "../../src/core/alerts/receive.ts";
import type { PagerDutyServices } from "../../src/core/ports/pagerduty.ts";
import { gatewayDownData, triageResults } from "../support/evidence.ts";
import { type IncidentLab, incidentLab, LEAD, STRANGER, T0 } from "../support/incident-lab.ts";
import { PagerDutyStandIn } from "../support/pagerduty-standin.ts";

/**
 * PagerDuty write-back (issue 29, item 7), against a PagerDuty REST v2 stand-in that checks the
 * token, the From header and each body, and answers 429 and 5xx as PagerDuty does: an incident
 * a PagerDuty alert raised gets its triage's summary as a note; resolving it in clawops
 * (authorized, opt-in) resolves it there too.
 */
const TOKEN = "pd-rest-key-u+abc123";
const FROM = "oncall@example.com";
let pd: PagerDutyStandIn;
let services: PagerDutyServices;

beforeAll(async () => {
  pd = new PagerDutyStandIn(TOKEN);
  await pd.start();
  services = { apiUrl: pd.url, token: TOKEN, from: FROM, resolve: true, retry: { attempts: 3, baseMs: 5 } };
});
afterAll(() => pd.stop());
afterEach(() => expect(pd.violations).toEqual([]));

let seq = 0;
/** PagerDuty's v3 webhook for one incident, as the route parses it (signature checked there: alert-webhooks.test.ts). */
function pagerdutyAlert(id: string, type = "incident.triggered", host = "node-3"): IncomingAlert {
  const payload = PagerDutyPayloadSchema.parse({
    event: {
      id: `EV${++seq}`,
      event_type: type,
      resource_type: "incident",
      occurred_at: new Date(T0).toISOString(),
      data: {
        id,
        type: "incident",
        number: 42,
        html_url: `https://acme.pagerduty.example/incidents/${id}`,
        title: `OpenClaw gateway on ${host} is not answering`,
        service: { id: "PSVC", summary: "openclaw-gateways" },
        urgency: "high",
      },
    },
  });
  return alertFromPagerDuty(payload) as IncomingAlert;
}

async function lab(over: Partial<PagerDutyServices> = {}) {
  return incidentLab({ pagerduty: { ...services, ...over }, hosts: { "node-3": triageResults(gatewayDownData()) } });
}

async function fire(l: IncidentLab, alert: IncomingAlert) {
  const receipt = await receiveAlerts(l.deps, [alert], { hostLabels: ["host"] });
  expect(receipt.accepted.map((a) => a.host)).toEqual(["node-3"]);
  await receipt.later?.();
  const incident = await l.store.findOpenIncident("node-3");
  if (!incident) throw new Error("no incident");
  return incident;
}

describe("a triage's summary as a note on the PagerDuty incident", () => {
  it("posts the note with the From header once the triage is done, and writes it on the record", async () => {
    const l = await lab();
    pd.addIncident("Q1NOTE");
    const incident = await fire(l, pagerdutyAlert("Q1NOTE"));
    const notes = pd.notes.filter((n) => n.incident === "Q1NOTE");
    expect(notes).toHaveLength(1);
    expect(notes[0]?.from).toBe(FROM);
    expect(notes[0]?.content).toContain("clawops triage of node-3");
    expect(notes[0]?.content).toContain("gateway-down");
    expect(notes[0]?.content).toContain(incident.id);
    const request = pd.requests.find((r) => r.path === "/incidents/Q1NOTE/notes");
    expect(request?.headers.authorization).toBe(`Token token=${TOKEN}`);
    const timeline = await l.store.incidentTimeline(incident.id);
    expect(timeline.filter((e) => e.kind === "pagerduty").map((e) => [e.actor, e.text])).toEqual([
      ["PagerDuty", expect.stringContaining("raised by PagerDuty incident #42 Q1NOTE")],
      ["clawops", expect.stringContaining("added as a note on PagerDuty incident #42 (Q1NOTE)")],
    ]);
    const audit = await l.recoveryStore.listAudit({ limit: 50 });
    expect(audit.some((e) => e.action === "pagerduty.note" && e.outcome === "ok")).toBe(true);
  });

  it("waits out a 429, and says so in the thread when 5xx keep coming", async () => {
    const l = await lab();
    pd.addIncident("Q1LIMIT");
    pd.faults.push({ status: 429, retryAfterS: 0 });
    await fire(l, pagerdutyAlert("Q1LIMIT"));
    expect(pd.notes.filter((n) => n.incident === "Q1LIMIT")).toHaveLength(1);
    expect(pd.requests.filter((r) => r.path === "/incidents/Q1LIMIT/notes")).toHaveLength(2);

    const m = await lab();
    pd.addIncident("Q1DOWN");
    pd.faults.push({ status: 503 }, { status: 503 }, { status: 503 });
    const incident = await fire(m, pagerdutyAlert("Q1DOWN"));
    expect(pd.notes.filter((n) => n.incident === "Q1DOWN")).toHaveLength(0);
    expect(m.chat.thread(incident.threadTs).join("\n")).toContain("was not added as a note on PagerDuty incident #42");
    const audit = await m.recoveryStore.listAudit({ limit: 50 });
    expect(audit.find((e) => e.action === "pagerduty.note")?.outcome).toBe("error");
  });

  it("writes nothing for an incident no PagerDuty alert raised", async () => {
    const l = await lab();
    const before = pd.requests.length;
    await l.command(LEAD, "triage node-3");
    expect(await l.store.findOpenIncident("node-3")).not.toBeNull();
    expect(pd.requests.length).toBe(before);
  });
});

describe("resolving in clawops resolves it in PagerDuty (opt-in)", () => {
  it("a lead's resolve resolves it there; a stranger's changes nothing anywhere", async () => {
    const l = await lab();
    pd.addIncident("Q1RES");
    const incident = await fire(l, pagerdutyAlert("Q1RES"));
    const before = pd.requests.length;
    const refused = await l.command(STRANGER, `incident ${incident.id} resolve`);
    expect(refused.error?.code).toBe("forbidden");
    expect(pd.requests.length).toBe(before);
    expect(pd.incidents.find((i) => i.id === "Q1RES")?.status).toBe("triggered");

    const done = await l.command(LEAD, `incident ${incident.id} resolve`);
    expect(done.error).toBeUndefined();
    expect(pd.updates.filter((u) => u.incident === "Q1RES")).toEqual([
      { incident: "Q1RES", status: "resolved", from: FROM },
    ]);
    const timeline = await l.store.incidentTimeline(incident.id);
    expect(timeline.at(-1)).toMatchObject({ kind: "pagerduty", actor: LEAD });
    expect(l.chat.thread(incident.threadTs).join("\n")).toContain("PagerDuty incident #42 (Q1RES) resolved too");
  });

  it("leaves one PagerDuty resolved already as it is, and does nothing without the opt-in", async () => {
    const l = await lab();
    pd.addIncident("Q1GONE");
    const incident = await fire(l, pagerdutyAlert("Q1GONE"));
    (pd.incidents.find((i) => i.id === "Q1GONE") as { status: string }).status = "resolved";
    await l.command(LEAD, `incident ${incident.id} resolve`);
    expect(pd.requests.filter((r) => r.path === "/incidents/Q1GONE").map((r) => r.method)).toEqual(["GET"]);

    const off = await lab({ resolve: false });
    pd.addIncident("Q1OFF");
    const other = await fire(off, pagerdutyAlert("Q1OFF"));
    await off.command(LEAD, `incident ${other.id} resolve`);
    expect(pd.requests.filter((r) => r.path === "/incidents/Q1OFF")).toEqual([]);
  });

  it("resolving a fleet incident resolves the PagerDuty incidents of the host incidents grouped into it", async () => {
    const hosts = ["node-1", "node-2", "node-3"];
    const l = await incidentLab({
      pagerduty: services,
      hosts: Object.fromEntries(hosts.map((h) => [h, triageResults(gatewayDownData())])),
    });
    // A host still on the older release: the three failing ones share a version no healthy one runs.
    await l.store.insertHost({
      name: "node-9",
      publicKey: "k",
      enrolledAt: T0 - 86_400_000,
      revokedAt: null,
      agentVersion: "0.1.0",
      gatewayVersion: "2026.9.5",
      lastSeenAt: T0,
    });
    for (const [i, host] of hosts.entries()) {
      pd.addIncident(`Q1FLEET${i}`);
      const receipt = await receiveAlerts(l.deps, [pagerdutyAlert(`Q1FLEET${i}`, "incident.triggered", host)], {
        hostLabels: ["host"],
      });
      expect(receipt.accepted.map((a) => a.host)).toEqual([host]);
      await receipt.later?.();
    }
    const all = await l.store.listIncidents({ limit: 50 });
    const fleet = all.find((i) => i.source === "fleet");
    expect(fleet?.hosts).toEqual(hosts);
    // The first two hosts' incidents are linked to it; the third host's alert is counted on it.
    expect(
      all
        .filter((i) => i.parentId === fleet?.id)
        .map((i) => i.hosts[0])
        .sort(),
    ).toEqual(["node-1", "node-2"]);

    const done = await l.command(LEAD, `incident ${fleet?.id} resolve`);
    expect(done.error).toBeUndefined();
    expect(
      pd.updates.filter((u) => u.incident.startsWith("Q1FLEET")).sort((a, b) => a.incident.localeCompare(b.incident)),
    ).toEqual(hosts.map((_, i) => ({ incident: `Q1FLEET${i}`, status: "resolved", from: FROM })));
  });
});
