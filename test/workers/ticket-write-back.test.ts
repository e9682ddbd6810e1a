import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { HANG_MS, until } from "../support/until.ts";
import { declareIncident, postSlashCommand, type RecordedRequest } from "./signed-slack.ts";

/**
 * A resolve written back to its Jira ticket on Workers (issue 41, item 4): the resolve queues
 * the comment and the transition in the directory object's outbox, and that object's alarm
 * delivers them to Jira Cloud REST v3 (the outbound recorder answers as Jira, checking the basic
 * auth, the ADF body and the transition id): the comment, the transitions looked up, the Done
 * transition posted by its id, each on the incident's timeline, the ticket closed.
 */
async function outbound(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("resolve → Jira, from the directory object's alarm", () => {
  it("comments on the incident's Jira issue and moves it through the Done transition", async () => {
    const { store, incident } = await declareIncident("sev3", "node-12 drops replies");
    const now = Date.now();
    await store.insertTicket({
      id: "tkt_resolve1",
      incidentId: incident.id,
      system: "jira",
      key: "OPS-77",
      url: "http://jira-standin.test/browse/OPS-77",
      host: "node-12",
      finding: "none",
      state: "open",
      openedAt: now,
      openedBy: "U0OPERATOR",
      updatedAt: now,
      bundleId: null,
      keptUntil: null,
    });

    const resolved = await postSlashCommand(`incident ${incident.id} resolve`, { user: "U0OPERATOR" });
    expect(resolved.status).toBe(200);
    expect((await store.getIncident(incident.id))?.state).toBe("resolved");

    const jira = await until("the transition", HANG_MS, async () => {
      const calls = (await outbound()).filter((c) => c.url.startsWith("http://jira-standin.test/"));
      return calls.some((c) => c.method === "POST" && c.url.endsWith("/transitions")) ? calls : null;
    });
    expect(jira.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      "POST /rest/api/3/issue/OPS-77/comment",
      "GET /rest/api/3/issue/OPS-77/transitions",
      "POST /rest/api/3/issue/OPS-77/transitions",
    ]);
    expect(JSON.parse(jira[2]?.body ?? "{}")).toEqual({ transition: { id: "31" } });
    expect(jira[0]?.body).toContain(incident.id);
    const lines = await until("the timeline", HANG_MS, async () => {
      const t = (await store.incidentTimeline(incident.id)).filter((e) => e.kind === "ticket").map((e) => e.text);
      return t.length >= 2 ? t : null;
    });
    expect(lines).toEqual(["commented on OPS-77 that the incident is resolved", "moved OPS-77 to Done"]);
    expect((await store.getTicket("tkt_resolve1"))?.state).toBe("closed");
  });
});
