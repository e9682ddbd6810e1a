import { afterEach, describe, expect, it } from "vitest";
import { DiscordChat } from "../../src/adapters/discord/chat.ts";
import { withDiscord } from "../../src/adapters/discord/routed.ts";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import {
  incidentChannelName,
  parseChannelNameTemplate,
  parseChannelPolicy,
  slackChannelName,
} from "../../src/core/incidents/channel-policy.ts";
import type { IncidentChannelSettings } from "../../src/core/ports/deps.ts";
import type { Incident } from "../../src/core/ports/incident-book.ts";
import { NO_COUNTS } from "../../src/core/ports/incident-book.ts";
import { alertmanagerWebhook } from "../support/alertmanager.ts";
import { quietLogger } from "../support/loggers.ts";
import { addConversations, type SlackConversations } from "../support/slack-conversations.ts";
import { blockActionsBody, type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { SlackStandIn } from "../support/slack-standin.ts";
import { until } from "../support/until.ts";

/**
 * Incident channels (issue 41, item 2): a real Node control plane, really signed slash commands
 * and button presses, the Slack stand-in checking conversations.create / invite / archive as
 * documented and failing as Slack does (name_taken, a user it will not invite, a 429).
 */

const OPERATOR = "U0OPERATOR";
const OTHER = "U0OTHER";
const TODAY = () => new Date().toISOString().slice(0, 10).replace(/-/g, "");

const SETTINGS: IncidentChannelSettings = {
  mode: "manual",
  triggers: [],
  nameTemplate: "inc-<yyyymmdd>-<host>",
  isPrivate: false,
  archive: false,
};

let plane: SlackPlane | null = null;
afterEach(async () => {
  await plane?.close();
  plane = null;
});

const ALERT_TOKEN = "alert-token-incident-channels-0123456789";

async function rig(
  name: string,
  settings: Partial<IncidentChannelSettings> = {},
): Promise<{ p: SlackPlane; conv: SlackConversations }> {
  const botToken = `xoxb-0000-test-bot-token-${name}`;
  plane = await startSlackPlane({
    name,
    botToken,
    hosts: ["node-3", "node-4"],
    authz: { actions: { resolve: { users: [OPERATOR, OTHER] } } },
    // A 429's Retry-After is waited out for real: a budget that holds one.
    config: {
      incidentChannels: { ...SETTINGS, ...settings },
      // Alerts open threads here (the policy on an incident the pipeline raises).
      incidents: { defaultChannel: "C0INCIDENT", rules: [] },
      alerts: { token: ALERT_TOKEN, policy: { hostLabels: ["host"] } },
    },
  });
  return { p: plane, conv: addConversations(plane.slack, botToken) };
}

async function declare(p: SlackPlane, text: string): Promise<Incident> {
  const reply = await p.slash(OPERATOR, `incident new ${text}`);
  expect(reply.status).toBe(200);
  const id = /`(inc_[A-Za-z0-9]+)`/.exec(JSON.stringify(reply.body))?.[1] ?? "";
  const incident = await p.cp.store.getIncident(id);
  if (!incident) throw new Error(`no incident in ${JSON.stringify(reply.body)}`);
  return incident;
}

/** The incident's channel once opening it has ended (its timeline says so: the last step). */
async function openedChannel(p: SlackPlane, id: string): Promise<string> {
  await until("the channel opened", 10_000, async () =>
    (await p.cp.store.incidentTimeline(id)).find((e) => e.kind === "channel" && e.text.startsWith("opened")),
  );
  return (await stored(p, id)).ownChannel ?? "";
}

const stored = async (p: SlackPlane, id: string) => (await p.cp.store.getIncident(id)) as Incident;
/** The code a refused command's ack names (`error code \`…\``). */
const errorCode = (body: unknown) => /error code `([a-z_]+)`/.exec(JSON.stringify(body))?.[1];
const blocksText = (m: { text: string; blocks: unknown[] } | undefined) => JSON.stringify(m ?? null);

describe("incident channels", () => {
  it("the policy opens one for a sev1 at once: named from the template, the declarer invited, the header there, linked from the thread", async () => {
    const { p, conv } = await rig("chan-policy", { mode: "auto", triggers: ["sev1", "fleet"] });
    const sev3 = await declare(p, "sev3 on node-4 slow replies");
    const sev1 = await declare(p, "sev1 on node-3 replies stopped for everyone");
    const opened = await openedChannel(p, sev1.id);
    const channel = conv.channels.get(opened);
    expect(channel).toMatchObject({ name: `inc-${TODAY()}-node-3`, isPrivate: false, archived: false });
    expect([...(channel?.members ?? [])].sort()).toEqual([OPERATOR, p.slack.identity.user_id].sort());
    expect(p.slack.calls.find((c) => c.method === "conversations.create")?.body).toEqual({
      name: `inc-${TODAY()}-node-3`,
      is_private: false,
    });
    expect(p.slack.calls.find((c) => c.method === "conversations.invite")?.body).toEqual({
      channel: opened,
      users: OPERATOR,
    });
    // The second live header, in the new channel, top level.
    const record = await stored(p, sev1.id);
    const header = p.slack.messages.get(`${opened}/${record.ownChannelTs}`);
    expect(header?.threadTs).toBeNull();
    expect(header?.text).toBe("Incident: replies stopped for everyone");
    // The host thread links it, and its header names it.
    const thread = p.slack.thread("C0INCIDENT", record.threadTs ?? "");
    expect(thread.map((m) => m.text)).toContain(`Incident channel: <#${opened}>`);
    const threadHeader = p.slack.messages.get(`C0INCIDENT/${record.threadTs}`);
    expect(blocksText(threadHeader)).toContain(`*Channel:* <#${opened}>`);
    expect(blocksText(threadHeader)).not.toContain("Open a channel");
    // On the timeline and in the audit log; the sev3 got none.
    const timeline = await p.cp.store.incidentTimeline(sev1.id);
    expect(timeline.find((e) => e.kind === "channel")?.text).toBe(
      `opened its channel #inc-${TODAY()}-node-3 (<#${opened}>)`,
    );
    const audit = await p.cp.deps.recovery.store.listAudit({});
    expect(audit.filter((a) => a.action === "incident.channel").map((a) => [a.outcome, a.ref])).toEqual([
      ["ok", sev1.id],
    ]);
    expect((await stored(p, sev3.id)).ownChannel).toBeNull();
    // Raised to sev1 by a person: it gets one too.
    expect((await p.slash(OPERATOR, `incident ${sev3.id} sev 1`)).status).toBe(200);
    const raised = await openedChannel(p, sev3.id);
    expect(conv.channels.get(raised)?.name).toBe(`inc-${TODAY()}-node-4`);
    expect(p.slack.violations).toEqual([]);
  });

  it("the policy opens one for an incident an alert raised, once, however many alerts came at once", async () => {
    const { p, conv } = await rig("chan-alert", { mode: "auto", triggers: ["sev3"] });
    const fire = (fingerprint: string) =>
      fetch(`${p.cp.url}/alerts/alertmanager`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ALERT_TOKEN}` },
        body: alertmanagerWebhook({
          labels: { alertname: `GatewayDown${fingerprint}`, host: "node-3", severity: "critical" },
          summary: "gateway down",
          startsAt: new Date().toISOString(),
          fingerprint,
        }),
      });
    const answers = await Promise.all(["a1", "a2", "a3"].map(fire));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const [incident] = await p.cp.store.listIncidents({ open: true });
    expect(incident).toMatchObject({ source: "alert", severity: "sev3" });
    const opened = await openedChannel(p, incident?.id ?? "");
    expect(conv.channels.get(opened)?.name).toBe(`inc-${TODAY()}-node-3`);
    // Nobody to invite: `Alertmanager` is no chat user.
    expect(p.slack.calls.some((c) => c.method.startsWith("conversations.invite"))).toBe(false);
    const { threadTs } = await stored(p, incident?.id ?? "");
    await until("the link in the thread", 10_000, () =>
      p.slack.thread("C0INCIDENT", threadTs ?? "").some((m) => m.text.startsWith("Incident channel")),
    );
    expect(p.slack.calls.filter((c) => c.method.startsWith("conversations.create"))).toHaveLength(1);
    expect(p.slack.violations).toEqual([]);
  });

  it("the header's button and the command open one; an edit of the header edits both; a second ask is refused", async () => {
    const { p, conv } = await rig("chan-button");
    const incident = await declare(p, "sev2 on node-3 replies slow");
    // The header offers it (channels on, none yet).
    const header = p.slack.messages.get(`C0INCIDENT/${incident.threadTs}`);
    expect(blocksText(header)).toContain(`"action_id":"clawops_run:channel:${incident.id}"`);
    const press = await p.press(
      blockActionsBody({
        user: OTHER,
        channel: "C0INCIDENT",
        actionId: `clawops_run:channel:${incident.id}`,
        value: `incident ${incident.id} channel`,
        blockId: "clawops_incident_actions",
        label: "Open a channel",
        messageTs: incident.threadTs ?? "",
        responseUrl: p.slack.responseUrl("press-1"),
      }),
    );
    expect(press.status).toBe(200);
    const opened = await openedChannel(p, incident.id);
    // The presser and the declarer, in one call, comma-separated.
    expect(p.slack.calls.find((c) => c.method === "conversations.invite")?.body).toEqual({
      channel: opened,
      users: `${OTHER},${OPERATOR}`,
    });
    expect(conv.channels.get(opened)?.members.has(OTHER)).toBe(true);
    const record = await stored(p, incident.id);
    // "I'm on it": the thread's header and the channel's both say who owns it.
    expect((await p.slash(OTHER, `incident ${incident.id} ack`)).status).toBe(200);
    const inThread = p.slack.messages.get(`C0INCIDENT/${record.threadTs}`);
    const inChannel = p.slack.messages.get(`${opened}/${record.ownChannelTs}`);
    expect(blocksText(inThread)).toContain(`owner <@${OTHER}>`);
    expect(blocksText(inChannel)).toContain(`owner <@${OTHER}>`);
    expect(inChannel?.edits).toBeGreaterThan(0);
    // Asked again, by command: refused in the ack, nothing made.
    const again = await p.slash(OPERATOR, `incident ${incident.id} channel`);
    expect(errorCode(again.body)).toBe("incident_channel_exists");
    expect(p.slack.calls.filter((c) => c.method.startsWith("conversations.create"))).toHaveLength(1);
    expect(p.slack.violations).toEqual([]);
  });

  it("a template name taken gets -2; a name a person gives that is taken is a clear error, nothing made, audited", async () => {
    const { p, conv } = await rig("chan-taken");
    conv.taken.add(`inc-${TODAY()}-node-3`);
    const first = await declare(p, "sev2 on node-3 replies slow");
    const ack = await p.slash(OPERATOR, `incident ${first.id} channel`);
    expect(JSON.stringify(ack.body)).toContain("Opening a channel");
    const opened = await openedChannel(p, first.id);
    expect(conv.channels.get(opened)?.name).toBe(`inc-${TODAY()}-node-3-2`);
    expect(p.slack.calls.map((c) => c.method).filter((m) => m.startsWith("conversations.create"))).toEqual([
      "conversations.create:name_taken",
      "conversations.create",
    ]);

    const second = await declare(p, "sev2 on node-4 replies slow too");
    await p.slash(OPERATOR, `incident ${second.id} channel inc-${TODAY()}-node-3-2`);
    const record = await stored(p, second.id);
    const told = await until(
      "the failure told in the thread",
      10_000,
      () =>
        p.slack.thread("C0INCIDENT", record.threadTs ?? "").find((m) => m.text.startsWith("The channel of incident"))
          ?.blocks,
    );
    expect(JSON.stringify(told)).toContain(`A Slack channel named #inc-${TODAY()}-node-3-2 exists already`);
    expect(JSON.stringify(told)).toContain(`/openclaw incident ${second.id} channel <name>`);
    expect((await stored(p, second.id)).ownChannel).toBeNull();
    expect(conv.channels.size).toBe(1);
    const audit = await p.cp.deps.recovery.store.listAudit({});
    expect(audit.filter((a) => a.action === "incident.channel" && a.ref === second.id).map((a) => a.outcome)).toEqual([
      "refused",
    ]);
    expect((await p.cp.store.incidentTimeline(second.id)).find((e) => e.kind === "channel")?.text).toMatch(
      /^channel not opened: A Slack channel named/,
    );
    // A name Slack would refuse is refused before any call.
    const bad = await p.slash(OPERATOR, `incident ${second.id} channel Incident#3`);
    expect(errorCode(bad.body)).toBe("bad_request");
    expect(JSON.stringify(bad.body)).toContain("`incident-3`");
    expect(p.slack.violations).toEqual([]);
  });

  it("a person Slack will not invite: the channel made is archived again, the incident keeps none, the thread says who", async () => {
    const { p, conv } = await rig("chan-invite");
    conv.refuse.set(OTHER, "user_not_found");
    const incident = await declare(p, "sev2 on node-3 replies slow");
    expect((await p.slash(OTHER, `incident ${incident.id} ack`)).status).toBe(200);
    await p.slash(OPERATOR, `incident ${incident.id} channel`);
    const told = await until(
      "the failure told in the thread",
      10_000,
      () =>
        p.slack.thread("C0INCIDENT", incident.threadTs ?? "").find((m) => m.text.startsWith("The channel of incident"))
          ?.blocks,
    );
    expect(JSON.stringify(told)).toContain(`Slack would not invite <@${OTHER}>`);
    expect(JSON.stringify(told)).toContain("user_not_found");
    // One call for both, refused as a whole; then one each, to name who.
    expect(p.slack.calls.map((c) => c.method).filter((m) => m.startsWith("conversations."))).toEqual([
      "conversations.create",
      "conversations.invite:user_not_found",
      "conversations.invite",
      "conversations.invite:user_not_found",
      "conversations.archive",
    ]);
    expect([...conv.channels.values()].map((c) => c.archived)).toEqual([true]);
    expect((await stored(p, incident.id)).ownChannel).toBeNull();
    const audit = await p.cp.deps.recovery.store.listAudit({});
    expect(audit.filter((a) => a.action === "incident.channel").map((a) => a.outcome)).toEqual(["refused"]);
    expect(p.slack.violations).toEqual([]);
  });

  it("resolving archives the channel when opted in, after its header there says resolved; a resolved incident gets none", async () => {
    const { p, conv } = await rig("chan-archive", { archive: true });
    const incident = await declare(p, "sev2 on node-3 replies slow");
    // Slack rate-limits the first create: waited out (Retry-After), then made.
    p.slack.failNext("conversations.create", { kind: "ratelimited", retryAfterS: 1 });
    await p.slash(OPERATOR, `incident ${incident.id} channel`);
    const opened = await openedChannel(p, incident.id);
    expect(p.slack.faultsServed).toEqual(["conversations.create:ratelimited"]);
    expect((await p.slash(OPERATOR, `incident ${incident.id} resolve`)).status).toBe(200);
    await until("the archive", 10_000, () => conv.channels.get(opened)?.archived);
    const record = await stored(p, incident.id);
    expect(blocksText(p.slack.messages.get(`${opened}/${record.ownChannelTs}`))).toContain("✅ Resolved by");
    const methods = p.slack.calls.map((c) => c.method);
    expect(methods.lastIndexOf("chat.update")).toBeLessThan(methods.indexOf("conversations.archive"));
    expect((await p.cp.store.incidentTimeline(incident.id)).map((e) => e.text)).toContain(
      `archived its channel #inc-${TODAY()}-node-3`,
    );
    // Resolved: asking for a channel is refused, nothing is called.
    const late = await p.slash(OPERATOR, `incident ${incident.id} channel`);
    expect(errorCode(late.body)).toBe("incident_resolved");
    expect(methods.filter((m) => m.startsWith("conversations.create"))).toHaveLength(1);
    const audit = await p.cp.deps.recovery.store.listAudit({});
    expect(
      audit.some((a) => a.action === "command" && a.outcome === "refused" && a.detail.includes("incident_resolved")),
    ).toBe(true);
    expect(p.slack.violations).toEqual([]);
  });

  it("without the opt-in, resolving leaves the channel as it is", async () => {
    const { p, conv } = await rig("chan-keep");
    const incident = await declare(p, "sev2 on node-3 replies slow");
    await p.slash(OPERATOR, `incident ${incident.id} channel`);
    const opened = await openedChannel(p, incident.id);
    expect((await p.slash(OPERATOR, `incident ${incident.id} resolve`)).status).toBe(200);
    expect(conv.channels.get(opened)?.archived).toBe(false);
    expect(p.slack.calls.some((c) => c.method.startsWith("conversations.archive"))).toBe(false);
  });

  it("off by default: no button in the header, and the command says how to turn it on", async () => {
    plane = await startSlackPlane({
      name: "chan-off",
      hosts: ["node-3"],
      authz: { actions: { resolve: { users: [OPERATOR] } } },
    });
    const incident = await declare(plane, "sev1 on node-3 replies stopped");
    expect(blocksText(plane.slack.messages.get(`C0INCIDENT/${incident.threadTs}`))).not.toContain("Open a channel");
    const reply = await plane.slash(OPERATOR, `incident ${incident.id} channel`);
    expect(errorCode(reply.body)).toBe("not_configured");
    expect(JSON.stringify(reply.body)).toContain("CLAWOPS_INCIDENT_CHANNEL_POLICY");
  });
});

describe("the Slack adapter's conversations calls", () => {
  it("someone already in and the bot itself do not stop the others; a refused person is named; an archived channel's second archive is fine", async () => {
    const token = "xoxb-0000-test-bot-token-conv";
    const slack = new SlackStandIn(token);
    const conv = addConversations(slack, token);
    const chat = new SlackWebApiChat({ token, apiUrl: await slack.start(), logger: quietLogger });
    try {
      const made = await chat.createChannel({ name: "inc-x", isPrivate: true, beside: "C0INCIDENT" });
      expect(conv.channels.get(made.channel)).toMatchObject({ name: "inc-x", isPrivate: true });
      await chat.inviteToChannel(made.channel, [OPERATOR]);
      // OPERATOR is in already and U0CLAWOPS is the bot: Slack refuses the whole call; one each then.
      await chat.inviteToChannel(made.channel, [OPERATOR, slack.identity.user_id, OTHER]);
      expect([...(conv.channels.get(made.channel)?.members ?? [])].sort()).toEqual(
        [OPERATOR, OTHER, slack.identity.user_id].sort(),
      );
      expect(slack.calls.map((c) => c.method).filter((m) => m.startsWith("conversations.invite"))).toEqual([
        "conversations.invite",
        "conversations.invite:already_in_channel",
        "conversations.invite:already_in_channel",
        "conversations.invite:cant_invite_self",
        "conversations.invite",
      ]);
      conv.refuse.set("U0GUEST", "cant_invite");
      await expect(chat.inviteToChannel(made.channel, ["U0GUEST"])).rejects.toMatchObject({
        code: "channel_invite_failed",
        message: expect.stringContaining("Slack would not invite <@U0GUEST>"),
      });
      await expect(chat.createChannel({ name: "inc-x", isPrivate: false, beside: "C0INCIDENT" })).rejects.toMatchObject(
        {
          code: "channel_name_taken",
        },
      );
      await chat.archiveChannel(made.channel);
      await chat.archiveChannel(made.channel);
      expect(conv.channels.get(made.channel)?.archived).toBe(true);
      expect(slack.violations).toEqual([]);
    } finally {
      await slack.stop();
    }
  });
});

describe("a chat that cannot create channels", () => {
  it("Discord's incident gets a clear error, Slack's beside it goes to Slack", async () => {
    const discord = new DiscordChat({ token: "t", applicationId: "1", logger: quietLogger });
    const calls: string[] = [];
    const slackLike = {
      postMessage: async () => ({ ts: "1" }),
      updateMessage: async () => {},
      createChannel: async () => {
        calls.push("create");
        return { channel: "C1", name: "x" };
      },
      inviteToChannel: async () => {},
      archiveChannel: async () => {},
    };
    const chat = withDiscord(slackLike, discord);
    await expect(
      chat.createChannel?.({ name: "inc-x", isPrivate: false, beside: "discord:1200000000000000100" }),
    ).rejects.toMatchObject({
      code: "channels_unsupported",
      message: expect.stringContaining("cannot create channels"),
    });
    await chat.createChannel?.({ name: "inc-x", isPrivate: false, beside: "C0INCIDENT" });
    expect(calls).toEqual(["create"]);
    // Discord beside the console (or alone): the chat has no channels at all, so no header offers one.
    expect(withDiscord(null, discord).createChannel).toBeUndefined();
  });
});

describe("names and policy", () => {
  const incident = (over: Partial<Incident> = {}): Incident => ({
    id: "inc_abc123",
    source: "watch",
    state: "open",
    title: "t",
    hosts: ["Node_3.Prod"],
    channel: "C0INCIDENT",
    threadTs: "1.1",
    owner: null,
    openedAt: Date.UTC(2026, 10, 26, 23, 59),
    openedBy: "clawops watch",
    updatedAt: 0,
    resolvedAt: null,
    resolvedBy: null,
    phase: "failing",
    parentId: null,
    causes: [],
    counts: NO_COUNTS,
    lastSignalAt: 0,
    headerAt: null,
    headerStale: false,
    severity: "sev2",
    acknowledgedAt: null,
    comms: null,
    scribe: null,
    ...over,
  });

  it("lowercased, Slack-valid characters only, at most 80, the UTC day it opened", () => {
    expect(incidentChannelName("inc-<yyyymmdd>-<host>", incident())).toBe("inc-20261126-node_3-prod");
    expect(incidentChannelName("inc-<yyyymmdd>-<host>", incident({ source: "fleet" }))).toBe("inc-20261126-fleet");
    expect(incidentChannelName("<sev> <id> Ünïcode!!", incident())).toBe("sev2-inc_abc123-unicode");
    const long = incidentChannelName("inc-<host>", incident({ hosts: ["h".repeat(200)] }));
    expect(long.length).toBe(80);
    expect(incidentChannelName("inc-<host>", incident({ hosts: ["h".repeat(200)] }), 3).length).toBe(77);
    expect(slackChannelName("--a  b--")).toBe("a-b");
  });

  it("the policy and the template are checked at the start, in words", () => {
    expect(parseChannelPolicy(undefined)).toEqual({ mode: "off", triggers: [] });
    expect(parseChannelPolicy("manual")).toEqual({ mode: "manual", triggers: [] });
    expect(parseChannelPolicy("sev1, SEV2,fleet")).toEqual({ mode: "auto", triggers: ["sev1", "sev2", "fleet"] });
    expect(() => parseChannelPolicy("sev1,critical")).toThrow(/"critical" is neither/);
    expect(parseChannelNameTemplate(undefined)).toBe("inc-<yyyymmdd>-<host>");
    expect(() => parseChannelNameTemplate("inc-<date>")).toThrow(/<date> is not a placeholder/);
    expect(() => parseChannelNameTemplate("!!!")).toThrow(/makes no channel name/);
  });
});
