import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DirectoryStore } from "../../src/worker/directory-store.ts";
import { alertIncident } from "../support/incident-record.ts";
import { postSlackEvent } from "./signed-slack.ts";

/**
 * Slack's Events API on Workers (issue 41, item 3): really signed `POST /slack/events` requests
 * (WebCrypto here, independently of src/adapters/slack/verify.ts) through the Worker's real
 * `fetch` export and its hono app; the team's message lands on the incident's timeline in the
 * directory Durable Object's SQLite, reached by RPC.
 */
const CHANNEL = "C0WEVENTS";
const THREAD = "1764063200.000100";

const incident = () => alertIncident("inc_wevents", "edge-9", Date.now(), { channel: CHANNEL, threadTs: THREAD });

function callback(event: Record<string, unknown>, eventId: string): string {
  return JSON.stringify({
    token: "legacy-verification-token-unused",
    team_id: "T0001",
    api_app_id: "A0CLAWOPS",
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
  });
}

describe("POST /slack/events in workerd", () => {
  it("answers url_verification with its challenge, and refuses it unsigned", async () => {
    const body = JSON.stringify({ token: "x", challenge: "c2hhbGxlbmdlLXdvcmtlcnM", type: "url_verification" });
    const res = await postSlackEvent(body);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: "c2hhbGxlbmdlLXdvcmtlcnM" });
    const forged = await postSlackEvent(body, { secret: "not-the-signing-secret-000000" });
    expect(forged.status).toBe(401);
  });

  it("puts a thread reply on the incident's timeline in the directory object, once across a retry", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    const opened = await store.openIncident(incident(), "edge-9");
    const ts = `${Math.floor(Date.now() / 1000)}.000200`;
    const body = callback(
      {
        type: "message",
        channel: CHANNEL,
        user: "U0LEAD",
        text: "edge-9's gateway stopped after the deploy; restarting it",
        ts,
        thread_ts: THREAD,
        event_ts: ts,
        channel_type: "channel",
      },
      "Ev0WORKERS1",
    );
    expect((await postSlackEvent(body)).status).toBe(200);
    expect((await postSlackEvent(body, { headers: { "x-slack-retry-num": "1" } })).status).toBe(200);
    // A bot's post in the same thread (clawops' own carry bot_id) is not the team's words.
    const bot = callback(
      {
        type: "message",
        channel: CHANNEL,
        bot_id: "B0CLAWOPS",
        text: "triage",
        ts: `${Math.floor(Date.now() / 1000)}.000300`,
        thread_ts: THREAD,
      },
      "Ev0WORKERS2",
    );
    expect((await postSlackEvent(bot)).status).toBe(200);
    const said = (await store.incidentTimeline(opened.id)).filter((e) => e.kind === "message");
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({
      actor: "U0LEAD",
      text: "edge-9's gateway stopped after the deploy; restarting it",
      at: Math.round(Number(ts) * 1000),
      ref: `slack:${CHANNEL}:${ts}`,
    });
    expect(await store.teamMessage(CHANNEL, ts)).toMatchObject({ incidentId: opened.id, user: "U0LEAD", pins: 0 });
  });
});
