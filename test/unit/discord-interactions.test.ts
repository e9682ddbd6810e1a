import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiscordChat } from "../../src/adapters/discord/chat.ts";
import { withDiscord } from "../../src/adapters/discord/routed.ts";
import { createApp } from "../../src/adapters/http/app.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import { DiscordStandIn } from "../support/discord-standin.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { seedHost } from "../support/harness.ts";
import { InMemoryRecoveryStore } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { RecordingChat, testDeps } from "../support/test-deps.ts";

/**
 * Discord's interactions endpoint end to end in process: requests really signed with an
 * Ed25519 key pair, the control plane's hono app, the core with the fake transport, and the
 * Discord REST stand-in (test/support/discord-standin.ts) receiving every answer.
 */
const BOT_TOKEN = "discord-bot-token-for-tests";
const APP_ID = "1200000000000000001";
const CHANNEL = "1200000000000000100";
const GUILD = "1200000000000000200";
const OPERATOR = "1200000000000000300";
const STRANGER = "1200000000000000301";

const keys = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
/** The raw 32-byte public key, hex, as the Developer Portal shows it (the tail of its SPKI DER). */
const publicKeyHex = (k: KeyObject) => k.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");

let discord: DiscordStandIn;
let app: ReturnType<typeof createApp>;
let deps: CoreDeps;
let recovery: InMemoryRecoveryStore;
let transport: FakeHostTransport;
let slackSide: RecordingChat;
const pending: Promise<void>[] = [];
/** Waits for the work after every answer given so far (what Discord's 3 s would not wait for). */
const settled = async () => {
  while (pending.length) await pending.shift();
};

beforeAll(async () => {
  discord = new DiscordStandIn(BOT_TOKEN, APP_ID, [CHANNEL]);
  await discord.start();
  const chat = new DiscordChat({
    token: BOT_TOKEN,
    applicationId: APP_ID,
    apiUrl: discord.url,
    retry: { baseDelayMs: 1 },
  });
  recovery = new InMemoryRecoveryStore();
  transport = new FakeHostTransport();
  slackSide = new RecordingChat();
  const store = new InMemoryStore();
  deps = testDeps({
    store,
    transport,
    chat: withDiscord(slackSide, chat),
    recovery: {
      store: recovery,
      authz: new Authorizer({
        incidentLeads: { users: [], userGroups: [], channels: [] },
        actions: { freeze: { users: [`discord:${OPERATOR}`], userGroups: [], channels: [] } },
      }),
      announceChannels: [],
      decisions: new DecisionBus(),
    },
  });
  await seedHost(store, "node-3");
  app = createApp({
    deps,
    discord: { publicKey: publicKeyHex(keys.publicKey), chat, commandName: "openclaw" },
    runLater: (task) => pending.push(task),
  });
});
afterAll(() => discord.stop());

function signed(body: string, opts: { key?: KeyObject; timestamp?: number } = {}): Record<string, string> {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.from(timestamp + body), opts.key ?? keys.privateKey).toString("hex");
  return { "content-type": "application/json", "x-signature-ed25519": signature, "x-signature-timestamp": timestamp };
}

async function post(body: string, headers: Record<string, string>) {
  const res = await app.request("/discord/interactions", { method: "POST", body, headers });
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check.
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

let seq = 0;
/** An application command as Discord sends it from a server channel. */
function command(text: string, user = OPERATOR) {
  const token = discord.interaction();
  const body = JSON.stringify({
    id: String(1_250_000_000_000_000_000n + BigInt(++seq)),
    application_id: APP_ID,
    type: 2,
    token,
    version: 1,
    guild_id: GUILD,
    channel_id: CHANNEL,
    member: { user: { id: user, username: "op" }, roles: [] },
    data: { id: "1200000000000000999", name: "openclaw", type: 1, options: [{ name: "text", type: 3, value: text }] },
  });
  return { token, body };
}

/** A press on `customId` of the message `messageId`, as Discord sends it. */
function press(customId: string, message: Record<string, unknown>, user = OPERATOR) {
  const token = discord.interaction();
  const body = JSON.stringify({
    id: String(1_250_000_000_000_000_000n + BigInt(++seq)),
    application_id: APP_ID,
    type: 3,
    token,
    version: 1,
    guild_id: GUILD,
    channel_id: CHANNEL,
    member: { user: { id: user, username: "op" }, roles: [] },
    message,
    data: { custom_id: customId, component_type: 2 },
  });
  return { token, body };
}

const textOf = (m: Record<string, unknown> | null | undefined) =>
  [
    m?.content ?? "",
    ...((m?.embeds ?? []) as { title?: string; description?: string }[]).flatMap((e) => [
      e.title ?? "",
      e.description ?? "",
    ]),
  ].join("\n");

const buttonsOf = (m: Record<string, unknown> | undefined) =>
  ((m?.components ?? []) as { components: { custom_id: string; label: string }[] }[]).flatMap((r) => r.components);

describe("POST /discord/interactions", () => {
  it("answers a signed PING with PONG", async () => {
    const body = JSON.stringify({ id: "1", application_id: APP_ID, type: 1, token: "t", version: 1 });
    const res = await post(body, signed(body));
    expect(res).toEqual({ status: 200, body: { type: 1 } });
  });

  it("refuses a forged or missing signature and a stale timestamp with 401, before any work", async () => {
    const { body } = command("triage node-3");
    const calls = discord.calls.length;
    const forged = await post(body, signed(body, { key: other.privateKey }));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("bad_signature");
    const missing = await post(body, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("bad_signature");
    // Signed right, but over another body: Discord's bytes only.
    const tampered = await post(body.replace("triage", "freeze"), signed(body));
    expect(tampered.status).toBe(401);
    const stale = await post(body, signed(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }));
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe("stale_request");
    await settled();
    expect(discord.calls.length).toBe(calls);
    expect(transport.dispatched).toEqual([]);
  });

  it("refuses a body over its cap with 413", async () => {
    const body = JSON.stringify({ type: 1, pad: "x".repeat(300 * 1024) });
    const res = await post(body, signed(body));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });

  it("defers a signed `/openclaw text:triage node-3`, answers through the webhook, and posts the triage in a thread with buttons", async () => {
    transport.addHost("node-3", { results: healthyResults().map((result) => ({ result, delayMs: 1 })) });
    const { token, body } = command("triage node-3");
    const res = await post(body, signed(body));
    expect(res).toEqual({ status: 200, body: { type: 5, data: { flags: 64 } } });
    await settled();
    expect(textOf(discord.webhooks.get(token)?.original)).toContain("Triage of **node-3** started");
    const posted = discord.inChannel(CHANNEL);
    expect(posted.length).toBeGreaterThan(0);
    const thread = discord.inChannel(posted[0]?.id ?? "");
    const answer = thread.find((m) => buttonsOf(m.body).length > 0);
    expect(answer, "the triage answer in the thread").toBeDefined();
    expect(textOf(answer?.body)).toContain("Triage node-3");
    expect(buttonsOf(answer?.body).map((b) => b.label)).toContain("Run again");
    // Every edit found its message (a thread's replies live in the thread's channel).
    expect(discord.calls.filter((c) => c.status >= 400)).toEqual([]);
    expect(thread.some((m) => m.edits.length > 0)).toBe(true);
    expect(slackSide.posted).toEqual([]);
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.some((a) => a.actor === `discord:${OPERATOR}` && a.source === "discord")).toBe(true);
  });

  it("a Freeze 30 min press asks first; the confirmed press by a user the authorization file does not allow is refused and audited", async () => {
    const answer = [...discord.messages.values()].find((m) => buttonsOf(m.body).length > 0);
    const buttons = buttonsOf(answer?.body);
    const freeze = buttons.find((b) => b.label === "Freeze 30 min");
    expect(freeze?.custom_id.startsWith("?|")).toBe(true);
    const ask = press(freeze?.custom_id ?? "", { id: answer?.id, components: answer?.body.components });
    const asked = await post(ask.body, signed(ask.body));
    expect(asked.body.type).toBe(4);
    expect(asked.body.data.flags).toBe(64);
    const confirm = asked.body.data.components[0].components[0];
    expect(confirm.custom_id).toBe(`!${freeze?.custom_id.slice(1)}`);

    const go = press(confirm.custom_id, { id: "1", components: asked.body.data.components }, STRANGER);
    const pressed = await post(go.body, signed(go.body));
    expect(pressed.body).toEqual({ type: 6 });
    await settled();
    expect(textOf(discord.webhooks.get(go.token)?.followups[0])).toContain("not allowed");
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.some((a) => a.actor === `discord:${STRANGER}` && a.outcome === "refused")).toBe(true);
    expect((await recovery.listFreezes?.())?.length ?? 0).toBe(0);
  });

  it("a Run again press runs the presser's triage: deferred, its ack as a follow-up only they see", async () => {
    const answer = [...discord.messages.values()].find((m) => buttonsOf(m.body).length > 0);
    const again = buttonsOf(answer?.body).find((b) => b.label === "Run again");
    const before = transport.dispatched.length;
    const p = press(again?.custom_id ?? "", { id: answer?.id });
    const res = await post(p.body, signed(p.body));
    expect(res.body).toEqual({ type: 6 });
    await settled();
    const ack = discord.webhooks.get(p.token)?.followups[0];
    expect(ack?.flags).toBe(64);
    expect(textOf(ack)).toContain("Triage of **node-3** started");
    expect(transport.dispatched.length).toBeGreaterThan(before);
    // A redelivered press (same interaction id) runs nothing more.
    const dispatched = transport.dispatched.length;
    await post(p.body, signed(p.body));
    await settled();
    expect(transport.dispatched.length).toBe(dispatched);
  });

  it("a command the authorization file allows nobody is refused, says so in Discord's words, and is audited", async () => {
    const { token, body } = command("unfreeze node-3");
    await post(body, signed(body));
    await settled();
    expect(textOf(discord.webhooks.get(token)?.original)).toContain("Nobody is allowed to `unfreeze` from Discord yet");
    const audit = await recovery.listAudit({ order: "asc" });
    expect(
      audit.some((a) => a.actor === `discord:${OPERATOR}` && a.outcome === "refused" && a.source === "discord"),
    ).toBe(true);
  });

  it("an Approve press goes through the recovery's approval handling: an unknown confirmation does nothing and says so to the presser", async () => {
    const p = press("!|clawops_approve|conf_00000000000000000000", { id: "1" });
    const res = await post(p.body, signed(p.body));
    expect(res.body).toEqual({ type: 6 });
    await settled();
    const told = discord.webhooks.get(p.token)?.followups[0];
    expect(told?.flags).toBe(64);
    expect(textOf(told)).toContain("Nothing was done");
  });

  it("offers enrolled host names as the person types the text option", async () => {
    const body = JSON.stringify({
      ...JSON.parse(command("x").body),
      type: 4,
      data: {
        id: "1",
        name: "openclaw",
        type: 1,
        options: [{ name: "text", type: 3, value: "triage no", focused: true }],
      },
    });
    const res = await post(body, signed(body));
    expect(res.body).toEqual({ type: 8, data: { choices: [{ name: "triage node-3", value: "triage node-3" }] } });
    const none = body.replace("triage no", "triage zz");
    expect((await post(none, signed(none))).body).toEqual({ type: 8, data: { choices: [] } });
  });

  it("a crafted button id runs nothing and is audited as refused", async () => {
    const crafted = press("clawops_run:triage:node-3|freeze node-3 for 1h", { id: "1" });
    const res = await post(crafted.body, signed(crafted.body));
    expect(res.body).toEqual({ type: 6 });
    await settled();
    expect(textOf(discord.webhooks.get(crafted.token)?.followups[0])).toContain("Nothing was run");
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.some((a) => a.outcome === "refused" && a.detail.includes("clawops_run:triage:node-3"))).toBe(true);
  });
});

describe("one chat port for Slack and Discord", () => {
  it("sends a discord: channel's message to Discord and any other to the chat it had", async () => {
    const before = slackSide.posted.length;
    const { ts } = await deps.chat.postMessage({ channel: `discord:${CHANNEL}`, text: "to discord", parts: [] });
    await deps.chat.postMessage({ channel: "C0INCIDENT", text: "to slack", parts: [] });
    expect(discord.messages.get(ts)?.body.content).toBe("to discord");
    expect(slackSide.posted.slice(before).map((m) => [m.channel, m.text])).toEqual([["C0INCIDENT", "to slack"]]);
  });
});

describe("the Discord chat port against Discord's failures", () => {
  const chat = () =>
    new DiscordChat({
      token: BOT_TOKEN,
      applicationId: APP_ID,
      apiUrl: discord.url,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
    });

  it("waits out a 429 (body retry_after, global too) and posts once", async () => {
    discord.failNext({ status: 429, retryAfter: 0.01 }, { status: 429, retryAfter: 0.01, global: true });
    const before = discord.inChannel(CHANNEL).length;
    const { ts } = await chat().postMessage({ channel: `discord:${CHANNEL}`, text: "hello", parts: [] });
    expect(discord.messages.get(ts)?.body.content).toBe("hello");
    expect(discord.inChannel(CHANNEL).length).toBe(before + 1);
  });

  it("retries a 502 from Discord's edge, but not a 500 on a create, which may have posted", async () => {
    discord.failNext({ status: 502 });
    const { ts } = await chat().postMessage({ channel: `discord:${CHANNEL}`, text: "after 502", parts: [] });
    expect(discord.messages.get(ts)).toBeDefined();
    discord.failNext({ status: 500 });
    const before = discord.messages.size;
    await expect(chat().postMessage({ channel: `discord:${CHANNEL}`, text: "after 500", parts: [] })).rejects.toThrow(
      /may have been posted/,
    );
    expect(discord.messages.size).toBe(before);
  });

  it("edits a message after a 5xx, and names Discord's code for an unknown channel", async () => {
    const c = chat();
    const { ts } = await c.postMessage({ channel: `discord:${CHANNEL}`, text: "v1", parts: [] });
    discord.failNext({ status: 500 });
    await c.updateMessage({ channel: `discord:${CHANNEL}`, ts, text: "v2", parts: [] });
    expect(discord.messages.get(ts)?.body.content).toBe("v2");
    await expect(c.postMessage({ channel: "discord:1200000000000000555", text: "x", parts: [] })).rejects.toThrow(
      /10003/,
    );
  });

  it("uploads a file into the thread as a message with the attachment (multipart, payload_json)", async () => {
    const c = chat();
    const { ts: parent } = await c.postMessage({ channel: `discord:${CHANNEL}`, text: "header", parts: [] });
    const { fileId } = await c.uploadFile({
      channel: `discord:${CHANNEL}`,
      threadTs: parent,
      filename: "bundle-node-3.tar.gz",
      title: "Repro bundle node-3",
      bytes: new Uint8Array([1, 2, 3]),
      initialComment: "Bundle for node-3",
    });
    expect(fileId).toMatch(/^\d+$/);
    const [posted] = discord.inChannel(parent);
    expect(posted?.body.content).toBe("Bundle for node-3");
    expect(posted?.body.__file).toBe("bundle-node-3.tar.gz");
    expect(posted?.body.attachments).toEqual([
      { id: 0, filename: "bundle-node-3.tar.gz", description: "Repro bundle node-3" },
    ]);
  });

  it("replies in a thread started once, even when another process started it first", async () => {
    const c = chat();
    const { ts: parent } = await c.postMessage({ channel: `discord:${CHANNEL}`, text: "header", parts: [] });
    await chat().postMessage({ channel: `discord:${CHANNEL}`, threadTs: parent, text: "first", parts: [] });
    await c.postMessage({ channel: `discord:${CHANNEL}`, threadTs: parent, text: "second", parts: [] });
    expect(discord.inChannel(parent).map((m) => m.body.content)).toEqual(["first", "second"]);
  });
});
