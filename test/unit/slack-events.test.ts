import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident, IncidentEvent } from "../../src/core/ports/incident-book.ts";
import { postmortemOf } from "../../src/core/tickets/draft.ts";
import { alertmanagerWebhook } from "../support/alertmanager.ts";
import { until } from "../support/harness.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { eventCallbackBody, postSlackEvent } from "../support/slack-signing.ts";

/**
 * The team's words on the record (issue 41, item 3) through Slack's Events API on a real Node
 * control plane: really signed `POST /slack/events` requests (test/support/slack-signing.ts,
 * node:crypto), each event shaped as Slack documents it (api.slack.com/events/message and its
 * message_changed / message_deleted subtypes, reaction_added, reaction_removed, url_verification).
 * The incident comes from an Alertmanager webhook (its startsAt ten minutes before detection);
 * its thread is the one clawops posted to the Slack stand-in.
 */

const CHANNEL = "C0EVENTS";
const ALERT_TOKEN = "alert-token-events-5c1e7a";
const LEAD = "U0LEAD";
const SRE = "U0SRE";
const STARTS_AT = new Date(Date.now() - 10 * 60_000);

let plane: SlackPlane;
let incident: Incident;
let thread: string;
let n = 0;
/** A fresh Slack ts, now. */
const newTs = () => `${Math.floor(Date.now() / 1000)}.${String(++n).padStart(6, "0")}`;
const post = (body: string, opts?: Parameters<typeof postSlackEvent>[3]) =>
  postSlackEvent(plane.cp.url, plane.secret, body, opts);
const timeline = async (): Promise<IncidentEvent[]> =>
  (await plane.cp.deps.store.incidentTimeline?.(incident.id)) ?? [];
const messages = async () => (await timeline()).filter((e) => e.kind === "message");

/** A person's reply in a thread, as Slack's `message` event (channel_type channel). */
function reply(user: string, text: string, ts = newTs(), threadTs = thread, channel = CHANNEL) {
  return { type: "message", channel, user, text, ts, thread_ts: threadTs, event_ts: ts, channel_type: "channel" };
}

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "events",
    hosts: ["node-3"],
    config: {
      incidents: { defaultChannel: CHANNEL, rules: [] },
      grouping: false,
      alerts: { token: ALERT_TOKEN, policy: { hostLabels: ["host"] } },
    },
  });
  // node-3 has no agent: the alert opens its incident thread (no triage follows).
  const res = await fetch(`${plane.cp.url}/alerts/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ALERT_TOKEN}` },
    body: alertmanagerWebhook({
      labels: { alertname: "OpenClawGatewayDown", host: "node-3", severity: "critical" },
      summary: "gateway on node-3 is down",
      startsAt: STARTS_AT.toISOString(),
      fingerprint: "fp-events-node-3",
    }),
  });
  expect(res.status).toBe(202);
  await until("the incident's thread", 5_000, async () => {
    const open = await plane.cp.deps.store.findOpenIncident?.("node-3");
    if (open?.threadTs) incident = open;
    return Boolean(open?.threadTs);
  });
  thread = incident.threadTs ?? "";
  expect([...plane.slack.messages.values()].some((m) => m.ts === thread && m.channel === CHANNEL)).toBe(true);
}, 90_000);

afterAll(() => plane.close());

describe("POST /slack/events", () => {
  it("answers the url_verification handshake with its challenge", async () => {
    const body = JSON.stringify({
      token: "legacy-verification-token-unused",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
  });

  it("refuses a forged or stale request (401) and records nothing of it", async () => {
    const before = (await timeline()).length;
    const body = eventCallbackBody(reply(LEAD, "forged words"));
    const forged = await postSlackEvent(plane.cp.url, "not-the-signing-secret-000000", body);
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.text).error.code).toBe("bad_signature");
    // Signed right, ten minutes old: refused on its headers, before its body is read.
    const stale = await post(body, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.text).error.code).toBe("stale_request");
    const unsigned = await fetch(`${plane.cp.url}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(unsigned.status).toBe(401);
    expect((await timeline()).length).toBe(before);
  });

  it("puts a thread reply on the incident's timeline with who and when, once however often Slack retries it", async () => {
    const ts = newTs();
    const body = eventCallbackBody(reply(LEAD, "gateway on node-3 stopped right after the 12:34 deploy"), "Ev0REPLY01");
    expect((await post(body)).status).toBe(200);
    // Slack's retries carry the same event_id and body, with X-Slack-Retry-Num.
    for (const retry of ["1", "2"]) {
      const again = await post(body, {
        headers: { "x-slack-retry-num": retry, "x-slack-retry-reason": "http_timeout" },
      });
      expect(again.status).toBe(200);
    }
    // The same message delivered under another event_id is still one entry.
    expect((await post(eventCallbackBody(reply(LEAD, "x", ts), "Ev0REPLY02"))).status).toBe(200);
    expect((await post(eventCallbackBody(reply(LEAD, "x", ts), "Ev0REPLY03"))).status).toBe(200);
    const said = (await messages()).filter((e) => e.text.includes("12:34 deploy"));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ actor: LEAD, kind: "message", ref: expect.stringContaining(`slack:${CHANNEL}:`) });
    // When: the message's own ts.
    const sentTs = JSON.parse(body).event.ts as string;
    expect(said[0]?.at).toBe(Math.round(Number(sentTs) * 1000));
    expect((await messages()).filter((e) => e.ref === `slack:${CHANNEL}:${ts}`)).toHaveLength(1);
  });

  it("scrubs a secret out of a message and cuts a long one", async () => {
    await post(
      eventCallbackBody(reply(SRE, "env had OPENCLAW_GATEWAY_TOKEN=ocgw_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c set")),
    );
    await post(eventCallbackBody(reply(SRE, `long ${"word ".repeat(400)}`)));
    const all = await messages();
    expect(JSON.stringify(all)).not.toContain("ocgw_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c");
    expect(all.some((e) => e.text.includes("OPENCLAW_GATEWAY_TOKEN=[REDACTED:"))).toBe(true);
    const long = all.find((e) => e.text.startsWith("long "));
    expect(long?.text.length).toBeLessThanOrEqual(480);
    expect(long?.text.endsWith("…")).toBe(true);
  });

  it("follows an edit and a deletion in place: the entry changes, no second one", async () => {
    const ts = newTs();
    await post(eventCallbackBody(reply(SRE, "rolling back to 2026.9.5", ts)));
    const edited = {
      type: "message",
      subtype: "message_changed",
      hidden: true,
      channel: CHANNEL,
      ts: newTs(),
      event_ts: newTs(),
      message: {
        type: "message",
        user: SRE,
        text: "not rolling back: the token drifted, restarting instead",
        ts,
        thread_ts: thread,
        edited: { user: SRE, ts: newTs() },
      },
      previous_message: { type: "message", user: SRE, text: "rolling back to 2026.9.5", ts, thread_ts: thread },
    };
    expect((await post(eventCallbackBody(edited))).status).toBe(200);
    let entries = (await messages()).filter((e) => e.ref === `slack:${CHANNEL}:${ts}`);
    expect(entries.map((e) => e.text)).toEqual(["not rolling back: the token drifted, restarting instead (edited)"]);

    // Marked a key moment, then deleted: the key moment's entry never held its words.
    const pinned = {
      type: "reaction_added",
      user: LEAD,
      reaction: "pushpin",
      item: { type: "message", channel: CHANNEL, ts },
      item_user: SRE,
      event_ts: newTs(),
    };
    expect((await post(eventCallbackBody(pinned))).status).toBe(200);
    const deleted = {
      type: "message",
      subtype: "message_deleted",
      hidden: true,
      channel: CHANNEL,
      ts: newTs(),
      deleted_ts: ts,
      event_ts: newTs(),
      previous_message: { type: "message", user: SRE, text: "not rolling back", ts, thread_ts: thread },
    };
    expect((await post(eventCallbackBody(deleted))).status).toBe(200);
    entries = (await messages()).filter((e) => e.ref === `slack:${CHANNEL}:${ts}`);
    expect(entries.map((e) => e.text)).toEqual(["(message deleted)"]);
    expect(JSON.stringify(await timeline())).not.toContain("restarting instead");
    expect(await plane.cp.deps.store.teamMessage?.(CHANNEL, ts)).toMatchObject({ pins: 0, text: "(message deleted)" });
  });

  it("ignores bots (clawops' own posts included), other channels, other threads and top-level talk", async () => {
    const before = (await timeline()).length;
    const bot = { ...reply("U0CLAWOPSBOT", "🔴 triage of node-3"), bot_id: "B0CLAWOPS", app_id: "A0CLAWOPS" };
    const botMessage = {
      ...reply("", "an integration's post"),
      subtype: "bot_message",
      bot_id: "B0OTHER",
      user: undefined,
    };
    const foreign = reply(LEAD, "same ts, another channel", thread.replace(/\d$/, "9"), thread, "C0ELSEWHERE");
    const otherThread = reply(LEAD, "a thread clawops did not open", newTs(), "1700000000.000100");
    const topLevel = { type: "message", channel: CHANNEL, user: LEAD, text: "lunch?", ts: newTs(), event_ts: newTs() };
    const join = { ...reply(LEAD, "<@U0LEAD> has joined the channel"), subtype: "channel_join" };
    for (const event of [bot, botMessage, foreign, otherThread, topLevel, join]) {
      const res = await post(eventCallbackBody(event));
      expect(res.status).toBe(200);
    }
    // A 📌 on a message clawops never recorded (its own header) marks nothing.
    const pinHeader = {
      type: "reaction_added",
      user: LEAD,
      reaction: "pushpin",
      item: { type: "message", channel: CHANNEL, ts: thread },
      item_user: "U0CLAWOPSBOT",
      event_ts: newTs(),
    };
    expect((await post(eventCallbackBody(pinHeader))).status).toBe(200);
    // A request type Slack may add later is acknowledged; a signed body that is no event is refused, clearly.
    expect((await post(JSON.stringify({ type: "some_future_type", token: "x" }))).status).toBe(200);
    const notJson = await post("payload=not-json");
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text).error.code).toBe("bad_request");
    const noId = await post(JSON.stringify({ type: "event_callback", event: { type: "message" } }));
    expect(noId.status).toBe(400);
    expect(JSON.parse(noId.text).error.message).toContain("Not a Slack Events API request");
    expect((await timeline()).length).toBe(before);
  });

  it("in the incident's own channel, top-level talk goes on its timeline too; the same talk elsewhere does not", async () => {
    const own = "C0OWNINC";
    const book = plane.cp.deps.store;
    await book.updateIncident?.(incident.id, ["open", "acknowledged"], {
      ownChannel: own,
      ownChannelName: "inc-20261126-node-3",
      ownChannelTs: "1790000000.000900",
    });
    const said = "rolling back the 12:30 config push now";
    const ts = newTs();
    const top = { type: "message", channel: own, user: SRE, text: said, ts, event_ts: ts, channel_type: "channel" };
    expect((await post(eventCallbackBody(top))).status).toBe(200);
    const entry = (await messages()).find((e) => e.text.includes(said));
    expect(entry).toMatchObject({ actor: SRE, kind: "message" });
    // The same words at the top of the host's channel (not the incident's own) are not its record.
    const elsewhere = { ...top, channel: CHANNEL, ts: newTs(), text: "rolling back elsewhere" };
    expect((await post(eventCallbackBody(elsewhere))).status).toBe(200);
    expect((await messages()).some((e) => e.text.includes("rolling back elsewhere"))).toBe(false);
    await book.updateIncident?.(incident.id, ["open", "acknowledged"], {
      ownChannel: null,
      ownChannelName: null,
      ownChannelTs: null,
    });
  });

  it("marks a 📌'd message a key moment (and unmarks it), and the postmortem lists it from the alert's startsAt", async () => {
    const ts = newTs();
    await post(eventCallbackBody(reply(LEAD, "decided: restart the gateway under a freeze, then resolve", ts)));
    const pin = (type: "reaction_added" | "reaction_removed", user: string, reaction = "pushpin") => ({
      type,
      user,
      reaction,
      item: { type: "message", channel: CHANNEL, ts },
      item_user: LEAD,
      event_ts: newTs(),
    });
    await post(eventCallbackBody(pin("reaction_added", SRE, "eyes")));
    await post(eventCallbackBody(pin("reaction_added", SRE)));
    await post(eventCallbackBody(pin("reaction_removed", SRE)));
    await post(eventCallbackBody(pin("reaction_added", LEAD)));
    const retried = eventCallbackBody(pin("reaction_added", SRE), "Ev0PIN0001");
    await post(retried);
    await post(retried, { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } });
    const moments = (await timeline()).filter((e) => e.kind === "key-moment" && e.ref === `slack:${CHANNEL}:${ts}`);
    expect(moments.map((e) => [e.actor, e.text.split(":")[0]])).toEqual([
      [SRE, "marked a key moment"],
      [SRE, "unmarked a key moment"],
      [LEAD, "marked a key moment"],
    ]);
    const stored = await plane.cp.deps.store.teamMessage?.(CHANNEL, ts);
    expect(stored).toMatchObject({ pins: 2, pinnedBy: LEAD });

    const { markdown } = await postmortemOf(plane.cp.deps, incident.id);
    const keyMoments = markdown.split("## Key moments and decisions")[1]?.split("\n## ")[0] ?? "";
    expect(keyMoments).toMatch(
      /- [0-9-]+ [0-9:]+ UTC @U0LEAD: decided: restart the gateway under a freeze, then resolve \(marked by @U0LEAD\)/,
    );
    expect(keyMoments).toContain("**Decisions**");
    // The impact window starts at the alert's startsAt, not at detection.
    const startsAt = `${STARTS_AT.toISOString().slice(0, 19).replace("T", " ")} UTC`;
    expect(markdown).toContain(`| Earliest evidence | ${startsAt} | the alert's startsAt`);
    // Written as Markdown, not escaped chat text (the draft's "what changed" had `\``).
    expect(markdown).toContain("`/openclaw bundle node-3`");
    expect(markdown).not.toContain("\\`");
    // The deleted message's words and the pasted token are not in the draft.
    expect(markdown).not.toContain("restarting instead");
    expect(markdown).not.toContain("ocgw_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c");
  });
});
