import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DIRECTORY_NAME, DirectoryRecoveryStore, DirectoryStore } from "../../src/worker/directory-store.ts";
import { HANG_MS, until } from "../support/until.ts";
import { postSlashCommand, type RecordedRequest } from "./signed-slack.ts";

/**
 * Paging on the Workers runtime (issue 40, item 2): the page is queued in the directory
 * object's SQLite after the record, and delivered by that object's alarm to PagerDuty's Events
 * API v2 (the outbound recorder answers for it, checking the routing key): trigger on a
 * declared sev1, acknowledge and resolve with the incident, each on its timeline.
 */

async function outboundCalls(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}
const pages = async () =>
  (await outboundCalls())
    .filter((c) => c.url === env.PAGERDUTY_EVENTS_URL)
    .map(
      (c) =>
        JSON.parse(c.body) as {
          event_action: string;
          dedup_key: string;
          routing_key: string;
          payload?: Record<string, unknown>;
        },
    );

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("paging from the directory object's alarm", () => {
  it("a declared sev1 is triggered, then acknowledged and resolved with the incident", async () => {
    const declared = await postSlashCommand("incident new sev1 replies stopped for every customer", {
      user: "U0OPERATOR",
    });
    expect(declared.status).toBe(200);
    expect(declared.body.text).toContain("declared");
    const store = new DirectoryStore(env.DIRECTORY);
    const [incident] = await store.listIncidents({ open: true });
    expect(incident).toMatchObject({
      source: "declared",
      severity: "sev1",
      title: "replies stopped for every customer",
    });
    const triggered = await until("the trigger", HANG_MS, async () =>
      (await pages()).find((p) => p.event_action === "trigger"),
    );
    expect(triggered).toMatchObject({ dedup_key: incident?.id, routing_key: env.CLAWOPS_PAGERDUTY_ROUTING_KEY });
    expect(triggered.payload).toMatchObject({
      severity: "critical",
      summary: "[sev1] replies stopped for every customer",
    });

    expect((await postSlashCommand(`incident ${incident?.id} ack`, { user: "U0OPERATOR" })).status).toBe(200);
    expect((await postSlashCommand(`incident ${incident?.id} resolve`, { user: "U0OPERATOR" })).status).toBe(200);
    await until("acknowledge and resolve", HANG_MS, async () => (await pages()).length >= 3);
    expect((await pages()).map((p) => p.event_action)).toEqual(["trigger", "acknowledge", "resolve"]);
    const timeline = await until("the timeline", HANG_MS, async () => {
      const t = await store.incidentTimeline(incident?.id ?? "");
      return t.filter((e) => e.kind === "page").length === 3 ? t : null;
    });
    expect(timeline.filter((e) => e.kind === "page").map((e) => e.text.split(" (")[0])).toEqual([
      "paged PagerDuty",
      "acknowledged the page at PagerDuty",
      "resolved the page at PagerDuty",
    ]);
  });
});

describe("the directory object's alarm keeps the outbox's wake", () => {
  it("a freeze set with a later expiry does not push a queued delivery's alarm back", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    const now = Date.now();
    const due = now + 60_000;
    // A delivery waiting for its retry (an escalation step of an incident that is gone: settled when it runs).
    await store.enqueueOutbox({
      id: "out_wake_test",
      key: "escalate:inc_gone:0:1",
      kind: "escalate",
      incidentId: "inc_gone",
      body: JSON.stringify({ incidentId: "inc_gone", level: 0, round: 1 }),
      nextAt: due,
      createdAt: now,
    });
    const stub = env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));
    const alarm = () => runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(await alarm()).toBeLessThanOrEqual(due);
    await new DirectoryRecoveryStore(env.DIRECTORY).putFreeze({
      target: "node-8",
      owner: "U0OPERATOR",
      reason: "kernel upgrade",
      source: "slack",
      createdAt: now,
      expiresAt: now + 4 * 3_600_000,
      channel: "C0INCIDENT",
      notices: [],
    });
    expect(await alarm()).toBeLessThanOrEqual(due);
  });
});
