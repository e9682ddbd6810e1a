import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiscordChat } from "../../src/adapters/discord/chat.ts";
import { withDiscord } from "../../src/adapters/discord/routed.ts";
import { MattermostChat } from "../../src/adapters/mattermost/chat.ts";
import { withMattermost } from "../../src/adapters/mattermost/routed.ts";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import { incidentMirrorsProblem, mirrorsOf, parseIncidentMirrors } from "../../src/core/incidents/mirrors.ts";
import { drainOutbox, MAX_ATTEMPTS } from "../../src/core/incidents/outbox.ts";
import { moveIncidentAndTell, noteIncident } from "../../src/core/incidents/pipeline.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { controlPlaneSettings, loadNodeConfig } from "../../src/node/config/load.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { DiscordStandIn } from "../support/discord-standin.ts";
import { gatewayDownData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { enrolledHost, quietLogger, testDeps } from "../support/harness.ts";
import { MattermostStandIn } from "../support/mattermost-standin.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * Issue 43, item 5: one incident announced on several chats, one of them holding the buttons.
 * Real SQLite; the Slack, Discord (REST v10) and Mattermost (API v4) stand-ins over loopback,
 * each checking the documented request shapes; the real chat clients routed by channel prefix as
 * the runtimes wire them. The watch raises the incident on Slack (the incident channel); its
 * mirrors on Discord and Mattermost follow through the outbox's drain.
 */
const T0 = Date.UTC(2026, 10, 26, 3, 0);
const SLACK_CHANNEL = "C0ONCALL";
const DISCORD_CHANNEL = "1290000000000000001";
const MM_CHANNEL = MattermostStandIn.id();
const MIRRORS = [`discord:${DISCORD_CHANNEL}`, `mattermost:${MM_CHANNEL}`];
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const DOWN: StepResult[] = toResults(gatewayDownData()).filter((x) => QUICK.has(x.step));

let slack: SlackStandIn;
let discord: DiscordStandIn;
let mm: MattermostStandIn;

beforeAll(async () => {
  slack = new SlackStandIn("xoxb-mirrors-test-token");
  discord = new DiscordStandIn("discord-mirrors-bot-token", "1290000000000000099", [DISCORD_CHANNEL]);
  mm = new MattermostStandIn("mattermost-mirrors-bot-token", [MM_CHANNEL]);
  await Promise.all([slack.start(), discord.start(), mm.start()]);
});
afterAll(async () => {
  await Promise.all([slack.stop(), discord.stop(), mm.stop()]);
});

async function rig(host: string, mirrors: string[] = MIRRORS) {
  const clock = { t: T0, now: () => clock.t };
  const store = new SqliteStore(":memory:");
  await store.insertHost(enrolledHost(host, T0));
  const transport = new FakeHostTransport().addHost(host, { results: toResults(gatewayDownData()) });
  const slackChat = new SlackWebApiChat({ token: "xoxb-mirrors-test-token", apiUrl: slack.url, logger: quietLogger });
  const discordChat = new DiscordChat({
    token: "discord-mirrors-bot-token",
    applicationId: "1290000000000000099",
    apiUrl: discord.url,
    logger: quietLogger,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });
  const clientClock = () => {
    let t = 0;
    return {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
  };
  const mmChat = new MattermostChat({
    url: mm.url,
    token: "mattermost-mirrors-bot-token",
    actionsUrl: () => "http://127.0.0.1:9/mattermost/actions",
    logger: quietLogger,
    // A Mattermost that keeps answering 5xx gives each call back after three tries: the client's
    // budget and waits run on a clock of their own that its sleeps move, so the call gives up on
    // the 503 it was answered, never on a loopback answer a loaded machine was slow to give.
    retry: { budgetMs: 60_000, baseDelayMs: 20_000, maxDelayMs: 20_000 },
    ...clientClock(),
  });
  const chat = withMattermost(withDiscord(slackChat, discordChat), mmChat);
  const deps = testDeps({
    store,
    transport,
    chat,
    clock,
    incidents: { rules: [], defaultChannel: SLACK_CHANNEL, mirrors },
  });
  const watch = new WatchService(deps);
  let seq = 0;
  return {
    clock,
    store,
    deps,
    /** Two failing probes: the watch holds the failure and raises the host's incident. */
    async failTwice() {
      for (let i = 0; i < 2; i++) {
        clock.t += 30_000;
        const prev = await store.getWatch(host);
        const hash = watchComparable(DOWN);
        await watch.receive(
          host,
          prev?.last.hash === hash
            ? { type: "watch.digest", seq: ++seq, at: clock.t, hash }
            : { type: "watch.state", seq: ++seq, at: clock.t, hash, results: DOWN },
        );
      }
      await watch.idle();
      for (let i = 0; i < 200; i++) {
        if ((await store.listJobs({ host })).every((j) => j.status !== "running")) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    incident: async () => {
      const [open] = await store.listIncidents({ open: true });
      if (!open) throw new Error("no open incident");
      return open;
    },
    timeline: async (id: string) => (await store.incidentTimeline(id)).map((e) => e.text),
    mirrorItems: async () => (await store.listOutbox({ limit: 500 })).filter((i) => i.kind === "mirror"),
  };
}

const json = (v: unknown) => JSON.stringify(v);
/** Discord messages in a thread: the thread's id is its parent message's. */
const discordThread = (parent: string) => [...discord.messages.values()].filter((m) => m.channel === parent);
const mmReplies = (root: string) => [...mm.posts.values()].filter((p) => p.root_id === root);

describe("an incident on Slack mirrored on Discord and Mattermost", () => {
  it("announces it on all three, the header edited everywhere, buttons only on Slack", async () => {
    const r = await rig("node-3");
    await r.failTwice();
    const incident = await r.incident();
    expect(incident.channel).toBe(SLACK_CHANNEL);
    const slackRoot = slack.topLevel(SLACK_CHANNEL).find((m) => m.ts === incident.threadTs);
    expect(slackRoot).toBeTruthy();
    // Slack holds the buttons.
    expect(slackRoot?.blocks.some((b) => b.type === "actions")).toBe(true);
    // Record first, deliver after: nothing has gone to a mirror before the drain.
    expect(discord.inChannel(DISCORD_CHANNEL)).toHaveLength(0);
    expect(mm.inChannel(MM_CHANNEL)).toHaveLength(0);

    const drained = await drainOutbox(r.deps);
    expect(drained.failed).toBe(0);
    expect(drained.retrying).toBe(0);

    // Discord: the header as a message in the channel, a thread started from it, the announcement there.
    const [dRoot, ...dMore] = discord.inChannel(DISCORD_CHANNEL);
    expect(dMore).toHaveLength(0);
    expect(json(dRoot?.body)).toContain("Incident: OpenClaw gateway on node-3");
    expect(json(dRoot?.body)).toContain("Buttons and approvals:");
    expect(json(dRoot?.body)).toContain("in Slack, channel `C0ONCALL`");
    expect(json(dRoot?.body)).toContain(`https://clawops-test.slack.com/archives/${SLACK_CHANNEL}/p`);
    expect(dRoot?.body.components ?? []).toEqual([]);
    expect(discord.calls.some((c) => c.method === "POST" && c.path.endsWith(`/messages/${dRoot?.id}/threads`))).toBe(
      true,
    );
    const dReplies = discordThread(dRoot?.id ?? "");
    expect(dReplies.map((m) => json(m.body)).filter((b) => b.includes("is failing since"))).toHaveLength(1);
    // The triage's final answer too, once, its buttons (on Slack) replaced by the line.
    const dResults = dReplies.map((m) => json(m.body)).filter((b) => b.includes("Triage node-3"));
    expect(dResults).toHaveLength(1);
    expect(dResults[0]).toContain("Gateway is not running");
    expect(dResults[0]).toContain("Buttons and approvals:");
    for (const m of dReplies) expect(m.body.components ?? []).toEqual([]);
    const slackResult = slack
      .thread(SLACK_CHANNEL, incident.threadTs ?? "")
      .find((m) => m.text.includes("Triage node-3"));
    expect(slackResult?.blocks.some((b) => b.type === "actions")).toBe(true);

    // Mattermost: the header as a root post, the announcement a reply with its root_id.
    const mmRoots = mm.inChannel(MM_CHANNEL).filter((p) => p.root_id === "");
    expect(mmRoots).toHaveLength(1);
    const mmRoot = mmRoots[0];
    expect(json(mmRoot)).toContain("Incident: OpenClaw gateway on node-3");
    expect(json(mmRoot)).toContain("Buttons and approvals:");
    expect(json(mmRoot?.props)).not.toContain('"actions"');
    expect(mmReplies(mmRoot?.id ?? "").filter((p) => json(p).includes("is failing since"))).toHaveLength(1);
    const mmResults = mmReplies(mmRoot?.id ?? "").filter((p) => p.message.includes("Triage node-3"));
    expect(mmResults).toHaveLength(1);
    expect(json(mmResults[0]?.props)).not.toContain('"actions"');

    // Each mirror thread is stored on the incident.
    expect(await r.store.incidentMirrors(incident.id)).toEqual([
      { incidentId: incident.id, channel: MIRRORS[0], ts: dRoot?.id, givenUpAt: null, error: null },
      { incidentId: incident.id, channel: MIRRORS[1], ts: mmRoot?.id, givenUpAt: null, error: null },
    ]);

    // "I'm on it": the header is edited in place on Slack at once, and on both mirrors by the drain.
    const slackEditsBefore = slackRoot?.edits ?? 0;
    await moveIncidentAndTell(r.deps, incident.id, "acknowledged", "U0OPS");
    expect(slack.topLevel(SLACK_CHANNEL).find((m) => m.ts === incident.threadTs)?.edits).toBeGreaterThan(
      slackEditsBefore,
    );
    expect(json(slack.topLevel(SLACK_CHANNEL).find((m) => m.ts === incident.threadTs)?.blocks)).toContain("U0OPS");
    await drainOutbox(r.deps);
    const dEdits = discord.messages.get(dRoot?.id ?? "")?.edits ?? [];
    expect(dEdits.length).toBeGreaterThan(0);
    expect(json(dEdits.at(-1))).toContain("U0OPS");
    expect(json(dEdits.at(-1))).toContain("Buttons and approvals:");
    expect(dEdits.at(-1)?.components ?? []).toEqual([]);
    const mmEdits = mm.posts.get(mmRoot?.id ?? "")?.edits ?? [];
    expect(mmEdits.length).toBeGreaterThan(0);
    expect(json(mmEdits.at(-1))).toContain("U0OPS");
    expect(json(mmEdits.at(-1))).not.toContain('"actions"');
    // Still one thread on each mirror: an edit is never a new post.
    expect(discord.inChannel(DISCORD_CHANNEL)).toHaveLength(1);
    expect(mm.inChannel(MM_CHANNEL).filter((p) => p.root_id === "")).toHaveLength(1);
  });

  it("a mirror answering 429 then OK posts once, and the primary and the other mirror are not held", async () => {
    const r = await rig("node-4");
    await r.failTwice();
    await drainOutbox(r.deps);
    const incident = await r.incident();
    const [dRoot] = (await r.store.incidentMirrors(incident.id)).filter((m) => m.channel === MIRRORS[0]);
    const [mmRoot] = (await r.store.incidentMirrors(incident.id)).filter((m) => m.channel === MIRRORS[1]);
    // Discord rate-limits longer than the client's budget: the client gives the call back, the outbox retries.
    discord.failNext({ status: 429, retryAfter: 60 });
    const note = { text: "node-4: the gateway answers again on :18789", parts: [] };
    await noteIncident(r.deps, { host: "node-4" }, note);
    // Slack had it at once.
    expect(slack.thread(SLACK_CHANNEL, incident.threadTs ?? "").filter((m) => m.text === note.text)).toHaveLength(1);
    const first = await drainOutbox(r.deps);
    expect(first).toMatchObject({ sent: 1, retrying: 1, failed: 0 });
    expect(discord.calls.filter((c) => c.status === 429)).toHaveLength(1);
    expect(mmReplies(mmRoot?.ts ?? "").filter((p) => p.message.includes("answers again"))).toHaveLength(1);
    expect(discordThread(dRoot?.ts ?? "").filter((m) => json(m.body).includes("answers again"))).toHaveLength(0);

    r.clock.t += 11_000;
    expect(await drainOutbox(r.deps)).toMatchObject({ sent: 1, retrying: 0, failed: 0 });
    expect(discordThread(dRoot?.ts ?? "").filter((m) => json(m.body).includes("answers again"))).toHaveLength(1);
    r.clock.t += 60 * 60_000;
    await drainOutbox(r.deps);
    expect(discordThread(dRoot?.ts ?? "").filter((m) => json(m.body).includes("answers again"))).toHaveLength(1);
    expect(slack.thread(SLACK_CHANNEL, incident.threadTs ?? "").filter((m) => m.text === note.text)).toHaveLength(1);
    expect((await r.timeline(incident.id)).filter((t) => t.includes("mirror"))).toEqual([]);
  });

  it("a mirror its chat refuses (no such channel) is given up at its first try, not retried for 20 minutes", async () => {
    // A Discord channel id the bot cannot see (deleted, or the bot never invited): 404, code 10003.
    const unknown = "1290000000000000077";
    const r = await rig("node-6", [`discord:${unknown}`]);
    await r.failTwice();
    const incident = await r.incident();
    const refused = () => discord.calls.filter((c) => c.status === 404 && c.path.includes(unknown)).length;
    const before = refused();
    const first = await drainOutbox(r.deps);
    expect(first.failed).toBeGreaterThanOrEqual(1);
    expect(refused() - before).toBe(1);
    const [mirror] = await r.store.incidentMirrors(incident.id);
    expect(mirror?.givenUpAt).not.toBeNull();
    const gaveUp = (await r.timeline(incident.id)).filter((t) => t.includes("was given up"));
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toContain(
      `The mirror in Discord (discord:${unknown}) was given up at try 1: the chat refused it`,
    );
    expect(gaveUp[0]).toContain("Unknown Channel");
    // Nothing more is tried there, later drains included.
    r.clock.t += 60 * 60_000;
    await drainOutbox(r.deps);
    expect(refused() - before).toBe(1);
    expect((await r.mirrorItems()).filter((i) => i.state === "pending")).toEqual([]);
  });

  it("a mirror down for good is given up, said once on the timeline, the primary untouched", async () => {
    const r = await rig("node-5");
    // Mattermost answers 503 to everything from here on (more faults than this test makes calls;
    // the last test in this file to call it).
    mm.failNext(...Array.from({ length: 400 }, () => ({ status: 503 as const })));
    {
      await r.failTwice();
      const incident = await r.incident();
      const slackBefore = slack.thread(SLACK_CHANNEL, incident.threadTs ?? "").length;
      for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
        await drainOutbox(r.deps);
        r.clock.t += 16 * 60_000;
      }
      const [dMirror, mmMirror] = await r.store.incidentMirrors(incident.id);
      expect(dMirror?.ts).toBeTruthy();
      expect(mmMirror?.ts).toBeNull();
      expect(mmMirror?.givenUpAt).not.toBeNull();
      expect(mmMirror?.error).toContain("503");
      const gaveUp = (await r.timeline(incident.id)).filter((t) => t.includes("was given up"));
      expect(gaveUp).toHaveLength(1);
      expect(gaveUp[0]).toContain(`The mirror in Mattermost (${MIRRORS[1]}) was given up after ${MAX_ATTEMPTS} tries`);

      // Later posts: Slack and Discord as ever; nothing more is tried on Mattermost, nothing more said.
      const mmCalls = mm.calls.length;
      await noteIncident(r.deps, { host: "node-5" }, { text: "node-5: still down after the restart", parts: [] });
      await moveIncidentAndTell(r.deps, incident.id, "acknowledged", "U0OPS");
      await drainOutbox(r.deps);
      expect(mm.calls.length).toBe(mmCalls);
      expect(discordThread(dMirror?.ts ?? "").filter((m) => json(m.body).includes("still down"))).toHaveLength(1);
      expect((await r.timeline(incident.id)).filter((t) => t.includes("was given up"))).toHaveLength(1);
      // The primary: its thread has only what the incident said, no word of the mirror.
      const slackThread = slack.thread(SLACK_CHANNEL, incident.threadTs ?? "");
      expect(slackThread.length).toBe(slackBefore + 1);
      expect(slackThread.some((m) => m.text.includes("mirror"))).toBe(false);
      expect((await r.mirrorItems()).filter((i) => i.state === "pending")).toEqual([]);
    }
  });
});

describe("CLAWOPS_INCIDENT_MIRRORS", () => {
  it("takes channels on other chats by their prefix, and refuses what it cannot use with the reason", () => {
    expect(parseIncidentMirrors(" discord:1234567890123456789 , mattermost:4xp9fdt7pbgeddg6ch5ju8ijha ")).toEqual([
      "discord:1234567890123456789",
      "mattermost:4xp9fdt7pbgeddg6ch5ju8ijha",
    ]);
    expect(parseIncidentMirrors(undefined)).toEqual([]);
    // A chat's ids as they are (a Teams channel's has `:`, `@`, `.`), and Slack's for a primary elsewhere.
    expect(parseIncidentMirrors("teams:19:4a1b2c@thread.tacv2,C0SLACK")).toEqual([
      "teams:19:4a1b2c@thread.tacv2",
      "C0SLACK",
    ]);
    expect(() => parseIncidentMirrors("discord:1 2")).toThrow(/not a channel id/);
    expect(() => parseIncidentMirrors("discord:1,discord:1")).toThrow(/twice/);
    expect(incidentMirrorsProblem({ CLAWOPS_INCIDENT_MIRRORS: "discord:1" })).toMatch(/set CLAWOPS_INCIDENT_CHANNEL/);
    expect(
      incidentMirrorsProblem({ CLAWOPS_INCIDENT_MIRRORS: "discord:1", CLAWOPS_INCIDENT_CHANNEL: "discord:1" }),
    ).toMatch(/the incident channel itself/);
    expect(
      incidentMirrorsProblem({ CLAWOPS_INCIDENT_MIRRORS: "discord:1", CLAWOPS_INCIDENT_CHANNEL: "C0X" }),
    ).toBeNull();
    // Only incidents of the incident channel are mirrored.
    const deps = { incidents: { rules: [], defaultChannel: "C0X", mirrors: ["discord:1"] } };
    expect(mirrorsOf(deps, { channel: "C0X" })).toEqual(["discord:1"]);
    expect(mirrorsOf(deps, { channel: "C0ELSEWHERE" })).toEqual([]);
    expect(mirrorsOf(deps, { channel: null })).toEqual([]);
  });

  it("is read by the Node start with the incident channel, and refused without it or naming it, with the reason", async () => {
    const slackVars = { SLACK_SIGNING_SECRET: "s".repeat(32), SLACK_BOT_TOKEN: "xoxb-mirrors-config-token" };
    const good = await loadNodeConfig({
      ...slackVars,
      CLAWOPS_INCIDENT_CHANNEL: "C0INC",
      CLAWOPS_INCIDENT_MIRRORS: "discord:1234567890123456789",
    });
    if (!good.ok) expect.fail(good.problems.join("\n"));
    const settings = controlPlaneSettings(good.config, quietLogger);
    expect(settings.incidents).toMatchObject({ defaultChannel: "C0INC", mirrors: ["discord:1234567890123456789"] });

    const alone = await loadNodeConfig({ ...slackVars, CLAWOPS_INCIDENT_MIRRORS: "discord:1234567890123456789" });
    if (alone.ok) expect.fail("mirrors without an incident channel were accepted");
    expect(alone.problems.join("\n")).toMatch(/CLAWOPS_INCIDENT_MIRRORS .*set CLAWOPS_INCIDENT_CHANNEL/);
    const bad = await loadNodeConfig({
      ...slackVars,
      CLAWOPS_INCIDENT_CHANNEL: "C0INC",
      CLAWOPS_INCIDENT_MIRRORS: "C0INC",
    });
    if (bad.ok) expect.fail("the incident channel as its own mirror was accepted");
    expect(bad.problems.join("\n")).toMatch(/CLAWOPS_INCIDENT_MIRRORS names the incident channel itself/);
  });
});
