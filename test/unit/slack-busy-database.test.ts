import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_ACTION_PREFIX } from "../../src/core/messages/buttons.ts";
import { blockActionsBody, type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";

/**
 * Issue 44, item 5: a database another process holds the write lock of answered Slack's signed
 * requests with HTTP 503, and Slack then shows its own generic failure ("dispatch_failed") instead
 * of clawops' words. Slack asks for a 200 within 3 s with the message in it: the slash command
 * gets clawops' "busy, try again" as its ephemeral answer, and a button press gets it at the
 * press's response_url. A real Node control plane, a real SQLite file locked by a second
 * connection, really signed requests, Slack's stand-in.
 */
const CHANNEL = "C0INCIDENT";
let plane: SlackPlane;
let other: DatabaseSync;

beforeAll(async () => {
  plane = await startSlackPlane({ name: "busy-db", channel: CHANNEL });
  other = new DatabaseSync(join(plane.dir, "clawops.sqlite"));
  other.exec("BEGIN IMMEDIATE");
}, 90_000);

afterAll(async () => {
  if (other.isTransaction) other.exec("ROLLBACK");
  other.close();
  await plane.close();
});

describe("Slack, with the database busy", () => {
  it("a slash command gets 200 with clawops' busy message, not a 503", async () => {
    const res = await plane.slash("U0OPERATOR", "hosts");
    expect(res.status).toBe(200);
    expect(res.body.response_type).toBe("ephemeral");
    expect(res.body.text).toMatch(
      /The database is busy: another process holds the write lock of .*clawops\.sqlite, so nothing was changed\. Try again in a few seconds/,
    );
    expect(JSON.stringify(res.body.blocks)).toContain("database_busy");
  }, 90_000);

  it("a button press gets 200, and the busy message reaches the presser at its response_url", async () => {
    const id = randomUUID();
    const body = blockActionsBody({
      user: "U0OPERATOR",
      channel: CHANNEL,
      actionId: `${RUN_ACTION_PREFIX}triage:node-1`,
      value: "triage node-1",
      blockId: "clawops_triage_actions",
      label: "Run again",
      responseUrl: plane.slack.responseUrl(id),
    });
    const res = await plane.press(body);
    expect(res.status).toBe(200);
    const mine = () => plane.slack.responses.filter((r) => r.path.includes(id));
    await plane.slack.waitFor(() => mine().length > 0, 10_000, "the press's answer at its response_url");
    expect(String(mine()[0]?.body.text)).toContain("The database is busy");
  }, 90_000);

  it("once the lock is let go, the same command is answered as usual", async () => {
    other.exec("ROLLBACK");
    const res = await plane.slash("U0OPERATOR", "hosts");
    expect(res.status).toBe(200);
    expect(res.body.text).not.toContain("busy");
  }, 90_000);
});
