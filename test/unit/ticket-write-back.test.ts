import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TicketConfig } from "../../src/core/ports/bundles.ts";
import { startTicketStandIns, type TicketStandIns } from "../support/bundle-standins.ts";
import { gatewayDownData, triageResults } from "../support/evidence.ts";
import { bundleCollect, type IncidentLab, incidentLab, LEAD } from "../support/incident-lab.ts";
import type { AdfNode, GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";

/**
 * Tickets both ways, outward (issue 41, item 4): resolving an incident comments on its Jira
 * issue (ADF, v3) and moves it through JIRA_RESOLVE_TRANSITION (its id looked up first), and
 * comments on and closes its GitHub issue as completed, all through the incident outbox on real
 * SQLite. The stand-ins check each documented request and fail as the real APIs do (503, 429
 * with Retry-After): the resolve stands, the failure is said once, the retry finishes the job.
 */
let standIns: TicketStandIns;
let jira: JiraStandIn;
let github: GithubStandIn;
let tickets: TicketConfig;

beforeAll(async () => {
  standIns = await startTicketStandIns({ jira: { project: "OPS", resolveTransition: "Done" } });
  ({ jira, github, tickets } = standIns);
});
afterAll(() => standIns.stop());
afterEach(() => {
  expect(jira.violations).toEqual([]);
  expect(github.violations).toEqual([]);
  jira.faults.length = 0;
  github.faults.length = 0;
});

function gatewayDown() {
  return [
    ...triageResults(gatewayDownData()),
    bundleCollect("2026-11-25T09:02:00.000Z", [
      { at: "2026-11-25T08:58:10.000Z", kind: "config-edit", detail: "openclaw.json edited" },
    ]),
  ];
}

/** node-3 failing, its incident with a ticket opened in `system`; the ticket. */
async function ticketed(lab: IncidentLab, system: "jira" | "github") {
  await lab.command(LEAD, "triage node-3");
  const incident = await lab.store.findOpenIncident("node-3");
  if (!incident) throw new Error("no incident opened");
  const reply = await lab.command(LEAD, `ticket ${incident.id} new ${system}`);
  expect(reply.error).toBeUndefined();
  const [ticket] = await lab.store.incidentTickets(incident.id);
  if (!ticket) throw new Error("no ticket opened");
  return { incident, ticket };
}

const adfText = (node: AdfNode | undefined): string =>
  node ? `${node.text ?? ""}${(node.content ?? []).map(adfText).join("")}` : "";

async function ticketLines(lab: IncidentLab, id: string) {
  return (await lab.store.incidentTimeline(id)).filter((e) => e.kind === "ticket").map((e) => e.text);
}

describe("resolve → the incident's tickets", () => {
  it("Jira: a comment in ADF naming the incident, then the Done transition by its looked-up id; the ticket is closed here too", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const { incident, ticket } = await ticketed(lab, "jira");
    const commentsBefore = jira.comments.length;
    const resolved = await lab.command(LEAD, `incident ${incident.id} resolve`);
    expect(resolved.error).toBeUndefined();
    // Queued, not sent: the resolve never waits on Jira.
    expect(jira.comments.length).toBe(commentsBefore);
    expect((await lab.store.getIncident(incident.id))?.state).toBe("resolved");

    const report = await lab.drain();
    expect(report).toMatchObject({ sent: 2, retrying: 0, failed: 0 });
    const comment = jira.comments.at(-1);
    expect(comment?.issueKey).toBe(ticket.key);
    expect(adfText(comment?.body)).toContain(`Resolved in clawops: incident ${incident.id}`);
    expect(adfText(comment?.body)).toContain(`resolved by ${LEAD}`);
    // The transition's id came from GET …/transitions, then the POST: Jira's documented pair.
    const calls = jira.requests.map((r) => `${r.method} ${r.path}`);
    const get = calls.lastIndexOf(`GET /rest/api/3/issue/${ticket.key}/transitions`);
    const post = calls.lastIndexOf(`POST /rest/api/3/issue/${ticket.key}/transitions`);
    expect(get).toBeGreaterThan(-1);
    expect(post).toBeGreaterThan(get);
    expect(jira.transitions.at(-1)).toEqual({ issueKey: ticket.key, id: "31", to: "Done" });
    expect(jira.issues.find((i) => i.key === ticket.key)?.status).toBe("done");
    expect((await lab.store.getTicket(ticket.id))?.state).toBe("closed");
    expect(await ticketLines(lab, incident.id)).toEqual(
      expect.arrayContaining([
        `commented on ${ticket.key} that the incident is resolved`,
        `moved ${ticket.key} to Done`,
      ]),
    );
    const audit = await lab.recoveryStore.listAudit({ limit: 100 });
    expect(audit.filter((a) => a.action === "ticket.resolve" && a.outcome === "ok")).toHaveLength(2);
    // Delivered once: a second drain sends nothing again.
    expect(await lab.drain()).toMatchObject({ sent: 0, retrying: 0, failed: 0 });
  });

  it("GitHub: a comment, then PATCH state=closed with state_reason completed", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const { incident, ticket } = await ticketed(lab, "github");
    await lab.command(LEAD, `incident ${incident.id} resolve`);
    expect(await lab.drain()).toMatchObject({ sent: 2, failed: 0 });
    const [repo, number] = ticket.key.split("#");
    expect(github.comments.at(-1)).toMatchObject({ repo, issue: Number(number) });
    expect(github.comments.at(-1)?.body).toContain(`Resolved in clawops: incident \`${incident.id}\``);
    expect(github.updates.at(-1)).toEqual({ repo, number: Number(number), state: "closed", stateReason: "completed" });
    expect(github.issues.find((i) => i.repo === repo && i.number === Number(number))?.state).toBe("closed");
    expect(await ticketLines(lab, incident.id)).toContain(`closed ${ticket.key} as completed`);
  });

  it("a ticket another open incident still tracks gets the comment, and is not closed", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const { incident, ticket } = await ticketed(lab, "github");
    await lab.command(LEAD, "incident new sev2 node-3 and node-4 drop replies");
    const declared = (await lab.store.listIncidents({ open: true })).find((i) => i.source === "declared");
    if (!declared) throw new Error("no declared incident");
    await lab.store.linkTicket(declared.id, ticket.id, "commented", lab.now());
    const updatesBefore = github.updates.length;
    await lab.command(LEAD, `incident ${incident.id} resolve`);
    expect(await lab.drain()).toMatchObject({ sent: 1, failed: 0 });
    expect(github.comments.at(-1)?.body).toContain(`incident \`${incident.id}\``);
    expect(github.updates.length).toBe(updatesBefore);
    expect((await lab.store.getTicket(ticket.id))?.state).toBe("open");
  });

  it("a 503 and a 429 are retried with backoff (after Retry-After), told once in the thread, the resolve unaffected", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const { incident, ticket } = await ticketed(lab, "jira");
    jira.faults.push({ status: 503, on: /\/comment$/ }, { status: 429, retryAfterS: 120, on: /\/comment$/ });
    await lab.command(LEAD, `incident ${incident.id} resolve`);
    const thread = () => lab.chat.thread(incident.threadTs).filter((t) => t.includes("did not go"));

    // The comment fails (503); the transition after it goes on its own.
    expect(await lab.drain()).toMatchObject({ sent: 1, retrying: 1 });
    expect(thread()).toHaveLength(1);
    expect(thread()[0]).toContain(
      `The resolve's comment on ${ticket.key} did not go: Jira comment on ${ticket.key} failed: HTTP 503`,
    );
    expect((await lab.store.getIncident(incident.id))?.state).toBe("resolved");

    // Not due before its backoff (10 s), then the 429: its Retry-After (120 s) is waited for.
    expect(await lab.drain()).toMatchObject({ sent: 0, retrying: 0 });
    lab.advance(10_000);
    expect(await lab.drain()).toMatchObject({ retrying: 1 });
    lab.advance(60_000);
    expect(await lab.drain()).toMatchObject({ sent: 0, retrying: 0 });
    lab.advance(60_000);
    expect(await lab.drain()).toMatchObject({ sent: 1, retrying: 0, failed: 0 });
    expect(
      jira.comments.filter((c) => c.issueKey === ticket.key && adfText(c.body).includes("Resolved in clawops")),
    ).toHaveLength(1);
    // Said once in the thread however many tries; the timeline says what finally happened.
    expect(thread()).toHaveLength(1);
    expect(await ticketLines(lab, incident.id)).toContain(
      `commented on ${ticket.key} that the incident is resolved after 3 tries`,
    );
  });

  it("a transition Jira does not offer is given up at once, said once, and the ticket stays open here", async () => {
    const lab = await incidentLab({
      tickets: {
        ...tickets,
        jira: { ...(tickets.jira as NonNullable<TicketConfig["jira"]>), resolveTransition: "Shipped" },
      },
      hosts: { "node-3": gatewayDown() },
    });
    const { incident, ticket } = await ticketed(lab, "jira");
    await lab.command(LEAD, `incident ${incident.id} resolve`);
    expect(await lab.drain()).toMatchObject({ sent: 1, failed: 1 });
    const told = lab.chat.thread(incident.threadTs).filter((t) => t.includes("did not go"));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`has no transition named "Shipped"`);
    expect(told[0]).toContain("Done");
    expect((await lab.store.getTicket(ticket.id))?.state).toBe("open");
    const audit = await lab.recoveryStore.listAudit({ limit: 100 });
    expect(audit.some((a) => a.action === "ticket.resolve" && a.outcome === "error")).toBe(true);
  });
});
