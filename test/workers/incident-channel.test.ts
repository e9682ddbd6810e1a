import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DirectoryStore } from "../../src/worker/directory-store.ts";
import { HANG_MS, until } from "../support/until.ts";
import { postSlashCommand, type RecordedRequest } from "./signed-slack.ts";

/**
 * Incident channels on the Workers runtime (issue 41, item 2): `incident <id> channel` acked by
 * the Worker's real fetch, the channel made after the ack (waitUntil) through the same
 * SlackWebApiChat as on Node, recorded in the directory object's SQLite, archived on resolve
 * (CLAWOPS_INCIDENT_CHANNEL_ARCHIVE=1 in vitest.workers.config.ts). The outbound recorder answers
 * conversations.* as Slack does, a name made before being taken.
 */

async function slackCalls(): Promise<{ method: string; body: Record<string, unknown> }[]> {
  const calls = await (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
  return calls
    .filter((c) => c.url.startsWith(env.SLACK_API_URL))
    .map((c) => ({
      method: c.url.slice(env.SLACK_API_URL.length + 1),
      // chat.* and conversations.* take JSON; chat.getPermalink (a page's link) is form-encoded.
      body: c.body.startsWith("{") ? JSON.parse(c.body) : Object.fromEntries(new URLSearchParams(c.body)),
    }));
}

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

async function declare(title: string): Promise<string> {
  const reply = await postSlashCommand(`incident new sev2 ${title}`, { user: "U0OPERATOR" });
  expect(reply.status).toBe(200);
  const id = /`(inc_[A-Za-z0-9]+)`/.exec(JSON.stringify(reply.body))?.[1];
  if (!id) throw new Error(`no incident id in ${JSON.stringify(reply.body)}`);
  return id;
}

describe("incident channels on Workers", () => {
  it("`incident <id> channel` opens one after the ack, a taken name gets -2, resolving archives it", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
    const first = await declare("replies slow");
    const second = await declare("replies slow again");

    const ack = await postSlashCommand(`incident ${first} channel`, { user: "U0OPERATOR" });
    expect(ack.status).toBe(200);
    expect(ack.body.text).toContain("Opening a channel");
    const opened = await until("the first channel", HANG_MS, async () => (await store.getIncident(first))?.ownChannel);
    await postSlashCommand(`incident ${second} channel`, { user: "U0OPERATOR" });
    await until("the second channel", HANG_MS, async () => (await store.getIncident(second))?.ownChannel);

    const calls = await slackCalls();
    expect(calls.filter((c) => c.method === "conversations.create").map((c) => c.body)).toEqual([
      { name: `inc-${day}-incident`, is_private: false },
      { name: `inc-${day}-incident`, is_private: false },
      { name: `inc-${day}-incident-2`, is_private: false },
    ]);
    expect(calls.find((c) => c.method === "conversations.invite")?.body).toEqual({
      channel: opened,
      users: "U0OPERATOR",
    });
    // The header posted in the channel, the link in the incident's thread.
    expect(calls.some((c) => c.method === "chat.postMessage" && c.body.channel === opened)).toBe(true);
    const record = await store.getIncident(first);
    expect(record).toMatchObject({ ownChannelName: `inc-${day}-incident` });
    expect(
      calls.some(
        (c) =>
          c.method === "chat.postMessage" &&
          c.body.thread_ts === record?.threadTs &&
          c.body.text === `Incident channel: <#${opened}>`,
      ),
    ).toBe(true);
    expect((await store.incidentTimeline(first)).some((e) => e.kind === "channel" && e.text.startsWith("opened"))).toBe(
      true,
    );

    expect((await postSlashCommand(`incident ${first} resolve`, { user: "U0OPERATOR" })).status).toBe(200);
    const archived = await until("the archive", HANG_MS, async () =>
      (await slackCalls()).find((c) => c.method === "conversations.archive"),
    );
    expect(archived.body).toEqual({ channel: opened });
    // Its header in the channel was edited to resolved before.
    const edits = (await slackCalls()).filter((c) => c.method === "chat.update" && c.body.channel === opened);
    expect(JSON.stringify(edits.at(-1)?.body)).toContain("Resolved by");

    // A resolved incident gets no channel: refused in the ack.
    const late = await postSlashCommand(`incident ${first} channel`, { user: "U0OPERATOR" });
    expect(JSON.stringify(late.body)).toContain("incident_resolved");
  });
});
