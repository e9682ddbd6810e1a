import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TicketConfig } from "../../src/core/ports/bundles.ts";
import { gatewayDownData, triageResults } from "../support/evidence.ts";
import { bundleCollect, type IncidentLab, incidentLab, LEAD } from "../support/incident-lab.ts";
import { JiraStandIn } from "../support/ticket-standins.ts";

/**
 * The ticket's link first, its bundle when ready (issue 41, item 4): opening a ticket posts the
 * link in the incident's thread as soon as the issue exists; the bundle is attached after, by the
 * ticket's own run (a stored bundle) or by the bundle job it starts (a new one), and said then.
 * Checked at the moment the Jira stand-in receives the attachment: the link is in the thread already.
 */
let jira: JiraStandIn;
let tickets: TicketConfig;

beforeAll(async () => {
  jira = new JiraStandIn("oncall@example.com", "jira-token-abc");
  await jira.start();
  tickets = { jira: { baseUrl: jira.url, email: "oncall@example.com", apiToken: "jira-token-abc", project: "OPS" } };
});
afterAll(() => jira.stop());
afterEach(() => expect(jira.violations).toEqual([]));

async function lab() {
  return incidentLab({
    tickets,
    hosts: {
      "node-3": [
        ...triageResults(gatewayDownData()),
        bundleCollect("2026-11-25T09:02:00.000Z", [
          { at: "2026-11-25T08:58:10.000Z", kind: "config-edit", detail: "edit" },
        ]),
      ],
    },
  });
}

/** What the incident's thread held when each attachment reached Jira. */
function threadAtAttachment(l: IncidentLab, threadTs: () => string | null): string[][] {
  const seen: string[][] = [];
  l.bundles.fetch = (input, init) => {
    if (String(input).endsWith("/attachments")) seen.push(l.chat.thread(threadTs()));
    return fetch(input, init);
  };
  return seen;
}

async function failing(l: IncidentLab) {
  await l.command(LEAD, "triage node-3");
  const incident = await l.store.findOpenIncident("node-3");
  if (!incident) throw new Error("no incident");
  return incident;
}

describe("ticket <incident> new: the link at once, the bundle when ready", () => {
  it("a stored bundle: the link is posted before the attachment is sent, and the attachment is said after", async () => {
    const l = await lab();
    const incident = await failing(l);
    await l.command(LEAD, "bundle node-3");
    const seen = threadAtAttachment(l, () => incident.threadTs);
    await l.command(LEAD, `ticket ${incident.id} new jira`);
    const key = jira.issues.at(-1)?.key as string;
    expect(seen).toHaveLength(1);
    const atAttach = seen[0]?.join("\n") ?? "";
    expect(atAttach).toContain(`Opened ${key}`);
    expect(atAttach).toContain("is being attached; said here when it is");
    expect(atAttach).not.toContain("is attached to");
    const after = l.chat.thread(incident.threadTs);
    const opened = after.findIndex((t) => t.includes(`Opened ${key}`));
    const attached = after.findIndex((t) => t.includes(`is attached to ${key}`));
    expect(opened).toBeGreaterThan(-1);
    expect(attached).toBeGreaterThan(opened);
  });

  it("no bundle yet: the link is posted before the bundle job collects and attaches one", async () => {
    const l = await lab();
    const incident = await failing(l);
    const seen = threadAtAttachment(l, () => incident.threadTs);
    await l.command(LEAD, `ticket ${incident.id} new jira`);
    const key = jira.issues.at(-1)?.key as string;
    expect(seen).toHaveLength(1);
    const atAttach = seen[0]?.join("\n") ?? "";
    expect(atAttach).toContain(`Opened ${key}`);
    expect(atAttach).toContain(`A bundle is being collected; it goes to ${key} when stored`);
    expect(jira.attachments.filter((a) => a.issueKey === key)).toHaveLength(1);
  });
});
