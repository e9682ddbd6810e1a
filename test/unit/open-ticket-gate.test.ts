import { describe, expect, it } from "vitest";
import type { TicketConfig } from "../../src/core/ports/bundles.ts";
import { gatewayDownData, triageResults } from "../support/evidence.ts";
import { incidentLab, LEAD } from "../support/incident-lab.ts";

/**
 * No *Open ticket* where no ticket system is configured (issue 41, item 4): `incident <id>` (what
 * Slack, the console and `clawops incident <id>` show) offers the button only when a ticket could
 * be opened: Jira with JIRA_PROJECT, or GitHub with GITHUB_REPO. Jira configured only to attach
 * bundles (no project) offers none either.
 */
const offered = async (tickets: TicketConfig | undefined) => {
  const lab = await incidentLab({
    ...(tickets ? { tickets } : {}),
    hosts: { "node-3": triageResults(gatewayDownData()) },
  });
  await lab.command(LEAD, "triage node-3");
  const incident = await lab.store.findOpenIncident("node-3");
  const shown = await lab.command(LEAD, `incident ${incident?.id}`);
  expect(shown.error).toBeUndefined();
  const text = JSON.stringify(shown.ack);
  expect(text).toContain(`Incident ${incident?.id}`);
  return text.includes("Open ticket") || text.includes(`ticket ${incident?.id} new`);
};

describe("incident <id>: the Open ticket button", () => {
  it("is not offered without a ticket system", async () => {
    expect(await offered(undefined)).toBe(false);
  });
  it("is not offered with Jira set up only for attachments (no JIRA_PROJECT)", async () => {
    expect(
      await offered({ jira: { baseUrl: "https://acme.atlassian.example", email: "a@example.com", apiToken: "t" } }),
    ).toBe(false);
  });
  it("is offered with Jira and a project, or GitHub and a repository", async () => {
    expect(
      await offered({
        jira: { baseUrl: "https://acme.atlassian.example", email: "a@example.com", apiToken: "t", project: "OPS" },
      }),
    ).toBe(true);
    expect(await offered({ github: { apiUrl: "https://api.github.example", token: "t", repo: "acme/infra" } })).toBe(
      true,
    );
  });
});
