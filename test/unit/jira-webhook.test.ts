import { createHmac } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/adapters/http/app.ts";
import type { TicketConfig } from "../../src/core/ports/bundles.ts";
import { gatewayDownData, triageResults } from "../support/evidence.ts";
import { bundleCollect, type IncidentLab, incidentLab, LEAD, T0 } from "../support/incident-lab.ts";
import { JiraStandIn } from "../support/ticket-standins.ts";

/**
 * Tickets both ways, inward (issue 41, item 4): Jira's `jira:issue_updated` webhook, signed as
 * Jira Cloud signs a webhook with a secret (`X-Hub-Signature: sha256=<HMAC-SHA256 of the body>`),
 * at `POST /tickets/jira/webhook` of the real hono app over the incident lab's SQLite: a status
 * change of an issue clawops opened goes on its incident's timeline; forged, unsigned, replayed
 * or stale deliveries are refused, an unknown issue is ignored with the reason.
 */
const SECRET = "jira-webhook-secret-4f1c9a";
let jira: JiraStandIn;
let tickets: TicketConfig;

beforeAll(async () => {
  jira = new JiraStandIn("oncall@example.com", "jira-token-abc");
  await jira.start();
  tickets = { jira: { baseUrl: jira.url, email: "oncall@example.com", apiToken: "jira-token-abc", project: "OPS" } };
});
afterAll(() => jira.stop());
afterEach(() => expect(jira.violations).toEqual([]));

async function ticketedLab() {
  const lab = await incidentLab({
    tickets,
    hosts: {
      "node-3": [
        ...triageResults(gatewayDownData()),
        bundleCollect("2026-11-25T09:02:00.000Z", [{ at: "2026-11-25T08:58:10.000Z", kind: "x", detail: "y" }]),
      ],
    },
  });
  await lab.command(LEAD, "triage node-3");
  const incident = await lab.store.findOpenIncident("node-3");
  if (!incident) throw new Error("no incident");
  await lab.command(LEAD, `ticket ${incident.id} new jira`);
  const [ticket] = await lab.store.incidentTickets(incident.id);
  if (!ticket) throw new Error("no ticket");
  const app = createApp({ deps: lab.deps, tickets: { jiraWebhookSecret: SECRET }, runLater: () => {} });
  return { lab, incident, ticket, app };
}

/** Jira's event for a status change, as Jira Cloud sends it (trimmed of the fields clawops does not read). */
function statusEvent(key: string, from: string, to: string, category: "new" | "indeterminate" | "done", at: number) {
  return {
    timestamp: at,
    webhookEvent: "jira:issue_updated",
    issue_event_type_name: "issue_generic",
    user: { accountId: "5b10a2844c20165700ede21g", displayName: "Dana Reyes" },
    issue: {
      id: "10001",
      key,
      fields: { summary: "node-3: gateway down", status: { name: to, statusCategory: { key: category } } },
    },
    changelog: {
      id: String(at),
      items: [
        {
          field: "status",
          fieldtype: "jira",
          fieldId: "status",
          from: "10000",
          fromString: from,
          to: "10001",
          toString: to,
        },
      ],
    },
  };
}

const sign = (body: string, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

function post(app: ReturnType<typeof createApp>, body: string, headers: Record<string, string>) {
  return app.request("/tickets/jira/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

async function ticketLines(lab: IncidentLab, id: string) {
  return (await lab.store.incidentTimeline(id))
    .filter((e) => e.kind === "ticket" && e.actor === "Jira")
    .map((e) => e.text);
}

describe("POST /tickets/jira/webhook", () => {
  it("a signed close goes on the incident's timeline and in its thread; the ticket is closed here; a reopen follows", async () => {
    const { lab, incident, ticket, app } = await ticketedLab();
    const body = JSON.stringify(statusEvent(ticket.key, "To Do", "Done", "done", lab.now()));
    const res = await post(app, body, { "x-hub-signature": sign(body), "x-atlassian-webhook-identifier": "d-1" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: true,
      status: "noted",
      key: ticket.key,
      change: "closed",
      incidents: [incident.id],
    });
    expect(await ticketLines(lab, incident.id)).toEqual([`${ticket.key} closed in Jira (To Do → Done) by Dana Reyes`]);
    expect(lab.chat.thread(incident.threadTs).join("\n")).toContain(`${ticket.key} closed in Jira (To Do → Done)`);
    expect((await lab.store.getTicket(ticket.id))?.state).toBe("closed");
    const audit = await lab.recoveryStore.listAudit({ limit: 100 });
    expect(audit.some((a) => a.action === "jira.closed" && a.ref === ticket.id)).toBe(true);

    // Jira's retry of the same delivery: answered, taken once.
    const again = await post(app, body, { "x-hub-signature": sign(body), "x-atlassian-webhook-identifier": "d-1" });
    expect(await again.json()).toMatchObject({ status: "refused", reason: "delivery d-1 was received already" });
    expect(await ticketLines(lab, incident.id)).toHaveLength(1);

    lab.advance(60_000);
    const reopen = JSON.stringify(statusEvent(ticket.key, "Done", "To Do", "new", lab.now()));
    const res2 = await post(app, reopen, { "x-hub-signature": sign(reopen), "x-atlassian-webhook-identifier": "d-2" });
    expect(await res2.json()).toMatchObject({ status: "noted", change: "reopened" });
    expect((await lab.store.getTicket(ticket.id))?.state).toBe("open");
    expect((await ticketLines(lab, incident.id)).at(-1)).toBe(
      `${ticket.key} reopened in Jira (Done → To Do) by Dana Reyes`,
    );
  });

  it("notes it on every incident the ticket tracks: the one that opened it and a later one that commented on it", async () => {
    const { lab, incident, ticket, app } = await ticketedLab();
    await lab.command(LEAD, `incident ${incident.id} resolve`);
    lab.advance(86_400_000);
    await lab.command(LEAD, "triage node-3");
    const second = await lab.store.findOpenIncident("node-3");
    if (!second || second.id === incident.id) throw new Error("no second incident");
    await lab.command(LEAD, `ticket ${second.id} new`);
    expect((await lab.store.incidentTickets(second.id)).map((t) => t.id)).toEqual([ticket.id]);

    const body = JSON.stringify(statusEvent(ticket.key, "To Do", "Done", "done", lab.now()));
    const res = await post(app, body, { "x-hub-signature": sign(body) });
    expect(await res.json()).toMatchObject({ status: "noted", incidents: [incident.id, second.id] });
    for (const id of [incident.id, second.id]) {
      expect(await ticketLines(lab, id)).toEqual([`${ticket.key} closed in Jira (To Do → Done) by Dana Reyes`]);
    }
    // Said in the thread of the incident still open, not in the resolved one's.
    expect(lab.chat.thread(second.threadTs).join("\n")).toContain(`${ticket.key} closed in Jira`);
    expect(lab.chat.thread(incident.threadTs).join("\n")).not.toContain(`${ticket.key} closed in Jira`);
  });

  it("refuses an unsigned delivery before reading its body, and a forged one with nothing noted", async () => {
    const { lab, incident, ticket, app } = await ticketedLab();
    let pulled = false;
    // highWaterMark 0: nothing is pulled until someone reads.
    const neverRead = new ReadableStream<Uint8Array>(
      {
        pull() {
          pulled = true;
          throw new Error("the body was read");
        },
      },
      { highWaterMark: 0 },
    );
    const unsigned = await app.request("/tickets/jira/webhook", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: neverRead,
      duplex: "half",
    } as RequestInit);
    expect(unsigned.status).toBe(401);
    expect(pulled).toBe(false);

    const body = JSON.stringify(statusEvent(ticket.key, "To Do", "Done", "done", lab.now()));
    const forged = await post(app, body, { "x-hub-signature": sign(body, "not-the-secret") });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: "bad_signature" } });
    // The body's own bytes changed after signing: refused too.
    const tampered = await post(app, body.replace("Dana Reyes", "Mallory"), { "x-hub-signature": sign(body) });
    expect(tampered.status).toBe(401);
    expect(await ticketLines(lab, incident.id)).toEqual([]);
    expect((await lab.store.getTicket(ticket.id))?.state).toBe("open");
  });

  it("ignores an issue clawops does not know, or an update without a status change, saying why", async () => {
    const { lab, incident, app } = await ticketedLab();
    const unknown = JSON.stringify(statusEvent("OPS-999", "To Do", "Done", "done", lab.now()));
    const res = await post(app, unknown, { "x-hub-signature": sign(unknown) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ignored", reason: "clawops keeps no ticket OPS-999" });
    const event = statusEvent("OPS-1", "To Do", "Done", "done", lab.now() + 1);
    event.changelog.items = [
      { ...event.changelog.items[0], field: "assignee", fieldId: "assignee" } as (typeof event.changelog.items)[0],
    ];
    const assign = JSON.stringify(event);
    expect(await (await post(app, assign, { "x-hub-signature": sign(assign) })).json()).toMatchObject({
      status: "ignored",
      reason: "OPS-1's update changed no status",
    });
    expect(await ticketLines(lab, incident.id)).toEqual([]);
  });

  it("refuses a stale delivery, answers 503 without a secret, and 413 past the body cap", async () => {
    const { lab, ticket, app } = await ticketedLab();
    const stale = JSON.stringify(statusEvent(ticket.key, "To Do", "Done", "done", T0 - 2 * 86_400_000));
    expect(await (await post(app, stale, { "x-hub-signature": sign(stale) })).json()).toMatchObject({
      status: "refused",
      reason: expect.stringContaining("more than a day ago"),
    });
    const off = createApp({ deps: lab.deps, runLater: () => {} });
    const body = JSON.stringify(statusEvent(ticket.key, "To Do", "Done", "done", lab.now()));
    const res = await post(off, body, { "x-hub-signature": sign(body) });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("JIRA_WEBHOOK_SECRET");
    const big = JSON.stringify({
      ...statusEvent(ticket.key, "To Do", "Done", "done", lab.now()),
      pad: "x".repeat(1_100_000),
    });
    expect((await post(app, big, { "x-hub-signature": sign(big) })).status).toBe(413);
    expect((await lab.store.getTicket(ticket.id))?.state).toBe("open");
  });
});
