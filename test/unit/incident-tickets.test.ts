import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundleRoutes } from "../../src/adapters/http/bundle-routes.ts";
import { isClawopsError } from "../../src/core/errors.ts";
import { incidentButton } from "../../src/core/messages/incident-buttons.ts";
import type { TicketConfig } from "../../src/core/ports/bundles.ts";
import { startTicketStandIns, type TicketStandIns } from "../support/bundle-standins.ts";
import { gatewayDownData, triageResults } from "../support/evidence.ts";
import { bundleCollect, type IncidentLab, incidentLab, LEAD, STRANGER } from "../support/incident-lab.ts";
import type { GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";

/**
 * Tickets opened, not only attached (issue 29, item 6), on real SQLite with the Jira and GitHub
 * stand-ins checking every request's documented shape: a new ticket carries the summary, the
 * findings, the timeline and the bundle; the same host and top finding gets a comment instead of
 * a second ticket; a GitHub ticket's bundle link lives as long as the ticket needs it. Bad input
 * changes nothing and is audited; the trackers' 429 and 5xx are met as the real ones send them.
 */
const DAY = 86_400_000;
let standIns: TicketStandIns;
let jira: JiraStandIn;
let github: GithubStandIn;
let tickets: TicketConfig;

beforeAll(async () => {
  standIns = await startTicketStandIns({ jira: { project: "OPS" } });
  ({ jira, github, tickets } = standIns);
});
afterAll(() => standIns.stop());
afterEach(() => {
  expect(jira.violations).toEqual([]);
  expect(github.violations).toEqual([]);
});

/** node-3's gateway is down: its triage finds it, and a bundle can be collected from it. */
function gatewayDown() {
  return [
    ...triageResults(gatewayDownData()),
    bundleCollect("2026-11-25T09:02:00.000Z", [
      { at: "2026-11-25T08:58:10.000Z", kind: "config-edit", detail: "openclaw.json edited (sha256 1f2e…)" },
    ]),
  ];
}

/** A triage command on node-3, run to its end; the host's open incident. */
async function failingIncident(lab: IncidentLab) {
  const reply = await lab.command(LEAD, "triage node-3");
  expect(reply.error).toBeUndefined();
  const incident = await lab.store.findOpenIncident("node-3");
  if (!incident) throw new Error("no incident opened");
  return incident;
}

async function audit(lab: IncidentLab) {
  return lab.recoveryStore.listAudit({ limit: 100 });
}

describe("ticket <incident> new", () => {
  it("opens a Jira issue with the summary, findings, timeline and the bundle attached; the same host and finding then gets a comment", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const first = await failingIncident(lab);
    lab.advance(60_000);
    await lab.command(LEAD, "bundle node-3");
    const stored = (await lab.store.incidentTimeline(first.id)).find(
      (e) => e.kind === "bundle" && / stored /.test(e.text),
    );
    expect(stored?.ref).toMatch(/^bundle_/);
    lab.advance(60_000);

    const issuesBefore = jira.issues.length;
    const reply = await lab.command(LEAD, `ticket ${first.id} new jira`);
    expect(reply.error).toBeUndefined();
    expect(jira.issues.length - issuesBefore).toBe(1);
    const issue = jira.issues.at(-1);
    expect(issue).toMatchObject({ project: "OPS", issueType: "Task", labels: ["clawops", "gateway-down"] });
    expect(issue?.summary).toContain("node-3");
    const description = JSON.stringify(issue?.description);
    // The summary and findings in the catalog's words, the timeline with who, the bundle.
    expect(description).toContain("gateway-down");
    expect(description).toContain("Timeline");
    expect(description).toContain(LEAD);
    expect(description).toContain(stored?.ref as string);
    // Jira holds the bundle itself: the zip that is in the blob store.
    const attachment = jira.attachments.find((a) => a.issueKey === issue?.key);
    const blob = await lab.blobs.get(`${stored?.ref}.zip`);
    expect(Buffer.compare(Buffer.from(attachment?.bytes ?? []), Buffer.from(blob?.bytes ?? []))).toBe(0);

    // The record, the timeline, the thread and the audit log all say so.
    const [ticket] = await lab.store.incidentTickets(first.id);
    expect(ticket).toMatchObject({
      system: "jira",
      key: issue?.key,
      host: "node-3",
      finding: "gateway-down",
      state: "open",
    });
    const timeline = await lab.store.incidentTimeline(first.id);
    expect(timeline.filter((e) => e.kind === "ticket").map((e) => e.text)).toEqual([
      expect.stringContaining(`opened ${issue?.key}`),
      expect.stringContaining(`attached to ${issue?.key}`),
    ]);
    expect(lab.chat.thread(first.threadTs).join("\n")).toContain(`Opened ${issue?.key}`);
    expect((await audit(lab)).some((e) => e.action === "ticket.open" && e.outcome === "ok" && e.actor === LEAD)).toBe(
      true,
    );
    const shown = await lab.command(LEAD, `incident ${first.id}`);
    expect(JSON.stringify(shown.ack)).toContain(issue?.key as string);

    // Resolved; the host fails again with the same top finding: a comment, not a second ticket.
    await lab.command(LEAD, `incident ${first.id} resolve`);
    lab.advance(DAY);
    const second = await failingIncident(lab);
    expect(second.id).not.toBe(first.id);
    await lab.command(LEAD, `ticket ${second.id} new`);
    expect(jira.issues.length - issuesBefore).toBe(1);
    const comment = jira.comments.at(-1);
    expect(comment?.issueKey).toBe(issue?.key);
    expect(JSON.stringify(comment?.body)).toContain(second.id);
    expect((await lab.store.incidentTickets(second.id)).map((t) => t.key)).toEqual([issue?.key]);
    expect(lab.chat.thread(second.threadTs).join("\n")).toContain(`already tracked in ${issue?.key}`);

    // Closed in Jira: the next incident of that problem opens a new ticket.
    jira.close(issue?.key as string);
    await lab.command(LEAD, `incident ${second.id} resolve`);
    lab.advance(DAY);
    const third = await failingIncident(lab);
    await lab.command(LEAD, `ticket ${third.id} new jira`);
    expect(jira.issues.length - issuesBefore).toBe(2);
    expect((await lab.store.incidentTickets(third.id))[0]?.key).toBe(jira.issues.at(-1)?.key);
    expect((await lab.store.getTicket(ticket?.id as string))?.state).toBe("closed");
  });

  it("GitHub: the issue links the bundle for 90 days, not 7, and the thread renews it", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const incident = await failingIncident(lab);
    await lab.command(LEAD, "bundle node-3");
    const bundleId = (await lab.store.incidentTimeline(incident.id)).find((e) => / stored /.test(e.text))
      ?.ref as string;
    const before = github.issues.length;
    await lab.command(LEAD, `ticket ${incident.id} new github`);
    expect(github.issues.length - before).toBe(1);
    const issue = github.issues.at(-1);
    expect(issue?.title).toContain("node-3");
    expect(issue?.body).toContain("## Findings");
    expect(issue?.body).toContain("## Timeline");
    const link = /\((https:\/\/clawops\.example\/bundles\/[^)\s]+)\)/.exec(issue?.body ?? "")?.[1] as string;
    expect(link).toContain(bundleId);
    const [ticket] = await lab.store.incidentTickets(incident.id);
    expect(ticket?.keptUntil).toBe(lab.now() + 90 * DAY);

    // Through the download route, as a reader of the issue would: still good after 80 days
    // (a bundle link's usual 7 days and the bundle's 14 days of retention are long gone).
    const routes = new Hono()
      .route("/bundles", bundleRoutes(lab.deps))
      .onError((err, c) => c.json({ ok: false }, isClawopsError(err) ? (err.status as 403) : 500));
    const download = (url: string) => routes.request(url.replace("https://clawops.example", ""));
    lab.advance(80 * DAY);
    expect((await download(link)).status).toBe(200);

    // Renewed from the thread (its button): a comment with the new link; the old link ends at day 90.
    const renewButton = incidentButton("ticket-renew", incident.id);
    const renew = await lab.press(LEAD, renewButton);
    expect(renew.error).toBeUndefined();
    await renew.later?.();
    const renewed = github.comments.at(-1);
    expect(renewed?.issue).toBe(issue?.number);
    const fresh = /\((https:\/\/clawops\.example\/bundles\/[^)\s]+)\)/.exec(renewed?.body ?? "")?.[1] as string;
    expect((await lab.store.getTicket(ticket?.id as string))?.keptUntil).toBe(lab.now() + 90 * DAY);
    lab.advance(20 * DAY);
    expect((await download(link)).status).toBe(403);
    expect((await download(fresh)).status).toBe(200);
    const timeline = await lab.store.incidentTimeline(incident.id);
    expect(timeline.some((e) => e.kind === "button" && e.actor === LEAD && e.text.includes("renew"))).toBe(true);
    expect(timeline.some((e) => e.kind === "ticket" && e.text.startsWith("renewed the bundle link"))).toBe(true);
  });

  it("with no bundle yet, collects one and delivers it to the new ticket", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const incident = await failingIncident(lab);
    await lab.command(LEAD, `ticket ${incident.id} new jira`);
    const key = jira.issues.at(-1)?.key;
    expect(JSON.stringify(jira.issues.at(-1)?.description)).toContain("being collected");
    // The bundle job ran after the ack, in the host's turn; its zip went to the new issue.
    expect(jira.attachments.some((a) => a.issueKey === key)).toBe(true);
    const [ticket] = await lab.store.incidentTickets(incident.id);
    expect(ticket?.bundleId).toMatch(/^bundle_/);
  });

  it("the Open ticket button: two presses at once open one ticket", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const incident = await failingIncident(lab);
    const before = github.issues.length + jira.issues.length;
    const button = incidentButton("ticket", incident.id);
    const [a, b] = await Promise.all([lab.press(LEAD, button), lab.press(LEAD, button)]);
    await Promise.all([a.later?.(), b.later?.()]);
    expect(github.issues.length + jira.issues.length - before).toBe(1);
    expect([a.error?.code, b.error?.code].sort()).toEqual(["ticket_busy", undefined]);
    const timeline = await lab.store.incidentTimeline(incident.id);
    expect(timeline.filter((e) => e.kind === "button").map((e) => e.actor)).toEqual([LEAD, LEAD]);
  });
});

describe("bad input changes nothing and is audited", () => {
  it("an unknown incident, a system not configured, someone not allowed, text holding a secret", async () => {
    const lab = await incidentLab({
      tickets: { jira: tickets.jira as NonNullable<TicketConfig["jira"]> },
      hosts: { "node-3": gatewayDown() },
    });
    const incident = await failingIncident(lab);
    const requests = () => jira.requests.length + github.requests.length;
    const before = requests();

    const unknown = await lab.command(LEAD, "ticket inc_nope new");
    expect(unknown.error?.code).toBe("unknown_incident");
    const notConfigured = await lab.command(LEAD, `ticket ${incident.id} new github`);
    expect(notConfigured.error?.code).toBe("ticket_not_configured");
    expect(notConfigured.error?.message).toContain("GITHUB_TOKEN");
    const forbidden = await lab.command(STRANGER, `ticket ${incident.id} new jira`);
    expect(forbidden.error?.code).toBe("forbidden");
    const renew = await lab.command(LEAD, `ticket ${incident.id} renew`);
    expect(renew.error?.code).toBe("no_ticket");
    const malformed = await lab.command(LEAD, "ticket ../x new");
    expect(malformed.error?.code).toBe("bad_request");

    // A secret typed into a freeze reason is on the timeline: no ticket carries it.
    await lab.command(LEAD, "freeze node-3 for 30m rotating xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx");
    const secret = await lab.command(LEAD, `ticket ${incident.id} new jira`);
    expect(secret.error?.code).toBe("ticket_refused");

    expect(requests()).toBe(before);
    expect(await lab.store.incidentTickets(incident.id)).toEqual([]);
    const refused = (await audit(lab)).filter((e) => e.action === "command" && e.outcome === "refused");
    expect(refused.map((e) => e.detail)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("unknown_incident"),
        expect.stringContaining("ticket_not_configured"),
        expect.stringContaining("forbidden"),
        expect.stringContaining("ticket_refused"),
      ]),
    );
  });
});

describe("the trackers fail like the real ones", () => {
  it("a 429 on the create waits its Retry-After and opens one issue; a 503 is not retried (it may have opened one) and records nothing", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": gatewayDown() } });
    const incident = await failingIncident(lab);

    const before = jira.requests.length;
    jira.faults.push({ status: 503 });
    await lab.command(LEAD, `ticket ${incident.id} new jira`);
    expect(jira.requests.length - before).toBe(1);
    expect(await lab.store.incidentTickets(incident.id)).toEqual([]);
    expect(lab.chat.thread(incident.threadTs).join("\n")).toContain("No ticket was opened");
    const timeline = await lab.store.incidentTimeline(incident.id);
    expect(timeline.at(-1)?.text).toContain("HTTP 503");
    expect((await audit(lab)).some((e) => e.action === "ticket.open" && e.outcome === "error")).toBe(true);

    const issues = jira.issues.length;
    jira.faults.push({ status: 429, retryAfterS: 0 });
    await lab.command(LEAD, `ticket ${incident.id} new jira`);
    expect(jira.issues.length - issues).toBe(1);
    expect((await lab.store.incidentTickets(incident.id))[0]?.key).toBe(jira.issues.at(-1)?.key);
  });

  it("a GitHub comment that meets a 502 is retried with backoff; three in a row are told in the thread", async () => {
    const lab = await incidentLab({ tickets, hosts: { "node-3": triageResults(gatewayDownData()) } });
    const first = await failingIncident(lab);
    await lab.command(LEAD, `ticket ${first.id} new github`);
    await lab.command(LEAD, `incident ${first.id} resolve`);
    lab.advance(DAY);
    const second = await failingIncident(lab);
    const seenAgain = () => github.comments.filter((c) => c.body.includes("Seen again")).length;
    // Tries of the "seen again" comment (a bundle collected for the ticket comments too).
    const posts = () =>
      github.requests.filter((r) => r.path.endsWith("/comments") && r.raw.toString("utf8").includes("Seen again"))
        .length;
    const [before, postsBefore] = [seenAgain(), posts()];
    const comment = /^POST \/repos\/acme\/infra\/issues\/\d+\/comments$/;
    github.faults.push({ status: 502, on: comment });
    await lab.command(LEAD, `ticket ${second.id} new github`);
    expect(seenAgain() - before).toBe(1);
    expect(posts() - postsBefore).toBe(2);

    await lab.command(LEAD, `incident ${second.id} resolve`);
    lab.advance(DAY);
    const third = await failingIncident(lab);
    github.faults.push({ status: 502, on: comment }, { status: 502, on: comment }, { status: 502, on: comment });
    await lab.command(LEAD, `ticket ${third.id} new github`);
    expect(seenAgain() - before).toBe(1);
    expect(posts() - postsBefore).toBe(5);
    expect(lab.chat.thread(third.threadTs).join("\n")).toContain("HTTP 502");
    expect(await lab.store.incidentTickets(third.id)).toEqual([]);
  });
});
