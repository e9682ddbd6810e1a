import { describe, expect, it } from "vitest";
import { declareIncident, postSlashCommand } from "./signed-slack.ts";

/**
 * Issue 41, items 1 and 5 on Workers: a role and a follow-up action set through the Worker's
 * signed Slack command route land in the directory object's SQLite (migration 10) by RPC.
 */
describe("incident roles and follow-up actions in the directory object", () => {
  it("a signed role and action are stored, listed and said by the resolve", async () => {
    const { store, incident } = await declareIncident("sev3", "replies slow in support");
    const id = incident.id;
    const role = await postSlashCommand(`incident ${id} role scribe <@U0SCRIBE|scribe>`, { user: "U0OPERATOR" });
    expect(role.body.text).toContain("scribe");
    const action = await postSlashCommand(`incident ${id} action rotate the token <@U0OWNER>`, { user: "U0OPERATOR" });
    expect(action.body.text).toContain("Follow-up #1");
    expect(await store.getIncident(id)).toMatchObject({ scribe: "U0SCRIBE" });
    expect(await store.listIncidentActions({ incidentId: id })).toMatchObject([
      { n: 1, text: "rotate the token", owner: "U0OWNER", state: "open" },
    ]);
    const bad = await postSlashCommand(`incident ${id} role janitor me`, { user: "U0OPERATOR" });
    expect(bad.body.text).toContain("not an incident role");
    const resolved = await postSlashCommand(`incident ${id} resolve`, { user: "U0OPERATOR" });
    expect(resolved.body.text).toContain("1 follow-up action still open");
  });
});
