import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/core/commands/parse.ts";
import { roleButton } from "../../src/core/messages/role-buttons.ts";
import { postmortemOf } from "../../src/core/tickets/draft.ts";
import { tokenDriftData, triageResults } from "../support/evidence.ts";
import { incidentLab, LEAD, STRANGER } from "../support/incident-lab.ts";

/**
 * Issue 41, items 1 and 5 on real SQLite through handleCommand: roles taken, handed over and
 * refused; follow-up actions added, listed, done, and a resolve that says which are open.
 */
async function open() {
  const l = await incidentLab({ hosts: { "node-3": triageResults(tokenDriftData()) } });
  await l.command(LEAD, "triage node-3");
  const incident = await l.store.findOpenIncident("node-3");
  if (!incident) throw new Error("no incident");
  return { l, id: incident.id };
}

describe("incident roles and follow-up actions", () => {
  it("parses roles, actions and their bad input", () => {
    expect(parseCommand("incident inc_1 role scribe <@U0BOB|bob>")).toMatchObject({
      action: "role",
      role: "scribe",
      user: { kind: "user", id: "U0BOB" },
    });
    expect(parseCommand("incident inc_1 role ic me")).toMatchObject({ role: "commander", user: { kind: "me" } });
    expect(parseCommand("incident inc_1 action rotate the token <@U0BOB>")).toMatchObject({
      action: "action",
      text: "rotate the token",
      owner: { kind: "user", id: "U0BOB" },
    });
    expect(parseCommand("incident inc_1 action 2 done")).toMatchObject({ action: "action-done", n: 2 });
    expect(parseCommand("incident inc_1 actions")).toMatchObject({ action: "actions" });
    expect(() => parseCommand("incident inc_1 role janitor me")).toThrow(/not an incident role/);
    expect(() => parseCommand("incident inc_1 role scribe @bob")).toThrow(/not a user clawops can name/);
    expect(() => parseCommand("incident inc_1 action page them @bob")).toThrow(/not a user clawops can name/);
  });

  it("sets and hands over roles on the timeline and header; refuses a stranger's assignment and a resolved incident", async () => {
    const { l, id } = await open();
    expect((await l.command(STRANGER, `incident ${id} role scribe me`)).error).toBeUndefined();
    // Giving someone else a role they do not hold needs resolve's permission.
    const refused = await l.command(STRANGER, `incident ${id} role comms <@U0BOB>`);
    expect(refused.error?.code).toBe("forbidden");
    expect((await l.store.getIncident(id))?.comms).toBeNull();
    expect((await l.command(LEAD, `incident ${id} role comms <@U0BOB>`)).error).toBeUndefined();
    // The header's button: the presser takes scribe from the stranger.
    const pressed = await l.press(LEAD, roleButton("scribe", id) as { actionId: string; value: string });
    expect(pressed.error).toBeUndefined();
    expect((await l.command(LEAD, `incident ${id} role commander me`)).error).toBeUndefined();
    expect(await l.store.getIncident(id)).toMatchObject({
      owner: LEAD,
      comms: "U0BOB",
      scribe: LEAD,
      state: "acknowledged",
    });
    const roles = (await l.store.incidentTimeline(id)).filter((e) => e.kind === "role").map((e) => e.text);
    expect(roles).toEqual(["took scribe", "made @U0BOB comms", `took scribe from @${STRANGER}`, "took commander"]);
    const header = l.chat.updated.at(-1);
    expect(JSON.stringify(header?.parts)).toContain("comms <@U0BOB>");

    expect((await l.command(LEAD, `incident ${id} resolve`)).error).toBeUndefined();
    const late = await l.command(LEAD, `incident ${id} role comms me`);
    expect(late.error?.code).toBe("incident_resolved");
    expect((await l.store.getIncident(id))?.comms).toBe("U0BOB");
  });

  it("records, lists and closes follow-up actions; a resolve with open ones says so, everywhere", async () => {
    const { l, id } = await open();
    expect((await l.command(LEAD, `incident ${id} action rotate the token by config <@U0BOB>`)).error).toBeUndefined();
    expect((await l.command(STRANGER, `incident ${id} action alert on 1008 closes`)).error).toBeUndefined();
    const listed = await l.command(LEAD, `incident ${id} actions`);
    expect(JSON.stringify(listed.ack)).toMatch(/#1.*rotate the token by config.*#2.*alert on 1008 closes/);
    expect((await l.command(LEAD, `incident ${id} action 2 done`)).error).toBeUndefined();
    expect((await l.command(LEAD, `incident ${id} action 2 done`)).error?.code).toBe("action_done");
    expect((await l.command(LEAD, `incident ${id} action 9 done`)).error?.code).toBe("unknown_action");

    const resolved = await l.command(LEAD, `incident ${id} resolve`);
    expect(JSON.stringify(resolved.ack)).toContain("1 follow-up action still open");
    expect(JSON.stringify(l.chat.updated.at(-1)?.parts)).toContain("1 follow-up action still open");
    expect(JSON.stringify((await l.command(LEAD, `incident ${id}`)).ack)).toContain("1 follow-up action still open");
    const after = await l.command(LEAD, `incident ${id} action more later`);
    expect(after.error?.code).toBe("incident_resolved");
    expect((await l.store.listIncidentActions({ incidentId: id })).length).toBe(2);

    const { markdown } = await postmortemOf(l.deps, id);
    expect(markdown).toContain("#1 (open) rotate the token by config — owner U0BOB");
    expect(markdown).toContain("#2 (done) alert on 1008 closes");
    expect(JSON.stringify((await l.command(LEAD, "report 1d")).ack)).toContain("1 open, 1 done");
    // Closed after the resolve: the header says none is open any more.
    expect((await l.command(LEAD, `incident ${id} action 1 done`)).error).toBeUndefined();
    expect(JSON.stringify(l.chat.updated.at(-1)?.parts)).not.toContain("still open");
  });
});
