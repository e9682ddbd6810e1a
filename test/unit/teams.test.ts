import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/adapters/http/app.ts";
import { TeamsChat } from "../../src/adapters/teams/chat.ts";
import { commandText } from "../../src/adapters/teams/envelope.ts";
import { withTeams } from "../../src/adapters/teams/routed.ts";
import { AppTokenSource } from "../../src/adapters/teams/token.ts";
import { BotFrameworkVerifier } from "../../src/adapters/teams/verify.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { seedHost } from "../support/harness.ts";
import { InMemoryRecoveryStore } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { freePort } from "../support/ports.ts";
import { type PostedActivity, TeamsStandIn } from "../support/teams-standin.ts";
import { RecordingChat, testDeps } from "../support/test-deps.ts";

/**
 * Microsoft Teams end to end: the control plane's hono app on a real loopback socket
 * (@hono/node-server, as `npm start` serves it), activities posted as the Bot Framework posts
 * them with a real RS256 connector token signed by the stand-in's published key
 * (test/support/teams-standin.ts, also the identity platform's token endpoint and Bot Connector
 * v3), the core with the fake transport.
 */
const APP_ID = "0a1b2c3d-0000-4000-8000-00000000b07a";
const APP_PASSWORD = "teams-app-password-for-tests";
const TENANT = "7e7e7e7e-0000-4000-8000-0000000000aa";
const CHANNEL = "19:0123456789abcdef0123456789abcdef@thread.tacv2";
const OPERATOR = "11111111-2222-4333-8444-555555555555";
const STRANGER = "99999999-2222-4333-8444-555555555555";

let ms: TeamsStandIn;
let chat: TeamsChat;
let deps: CoreDeps;
let recovery: InMemoryRecoveryStore;
let transport: FakeHostTransport;
let slackSide: RecordingChat;
let server: ReturnType<typeof serve>;
let base = "";
const pending: Promise<void>[] = [];
/** Waits for the work after every answer given so far (what runs after the HTTP answer). */
const settled = async () => {
  while (pending.length) await pending.shift();
};

beforeAll(async () => {
  ms = new TeamsStandIn({ appId: APP_ID, appPassword: APP_PASSWORD, tenantId: TENANT });
  await ms.start();
  const tokens = new AppTokenSource({
    appId: APP_ID,
    appPassword: APP_PASSWORD,
    tenantId: TENANT,
    loginUrl: ms.loginUrl,
  });
  chat = new TeamsChat({ tokens, serviceUrl: ms.serviceUrl, retry: { baseDelayMs: 1 } });
  recovery = new InMemoryRecoveryStore();
  transport = new FakeHostTransport();
  slackSide = new RecordingChat();
  const store = new InMemoryStore();
  deps = testDeps({
    store,
    transport,
    chat: withTeams(slackSide, chat),
    recovery: {
      store: recovery,
      authz: new Authorizer({
        incidentLeads: { users: [], userGroups: [], channels: [] },
        actions: { freeze: { users: [`teams:${OPERATOR}`], userGroups: [], channels: [] } },
      }),
      announceChannels: [],
      decisions: new DecisionBus(),
    },
  });
  await seedHost(store, "node-3");
  const app = createApp({
    deps,
    teams: {
      // No cooldown between key fetches, so the rotation test need not wait jose's 30 s.
      verifier: new BotFrameworkVerifier({ appId: APP_ID, metadataUrl: ms.metadataUrl, cooldownMs: 0 }),
      tenantId: TENANT,
      chat,
      commandName: "/openclaw",
    },
    runLater: (task) => pending.push(task),
  });
  const port = await freePort();
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await ms.stop();
});

/** A person's message in the channel, as Teams delivers it to the bot: the bot mentioned, in a new post. */
function message(text: string, opts: { user?: string; serviceUrl?: string; channelId?: string; tenant?: string } = {}) {
  const post = ms.userPost(CHANNEL);
  return {
    type: "message",
    id: post.id,
    timestamp: new Date().toISOString(),
    serviceUrl: opts.serviceUrl ?? ms.serviceUrl,
    channelId: opts.channelId ?? "msteams",
    from: { id: "29:1userAAAA", name: "Op", aadObjectId: opts.user ?? OPERATOR },
    conversation: {
      isGroup: true,
      conversationType: "channel",
      tenantId: opts.tenant ?? TENANT,
      id: post.conversation,
    },
    recipient: { id: `28:${APP_ID}`, name: "clawops" },
    text: `<at>clawops</at> ${text}`,
    textFormat: "plain",
    entities: [{ type: "mention", mentioned: { id: `28:${APP_ID}`, name: "clawops" }, text: "<at>clawops</at>" }],
    channelData: {
      teamsChannelId: CHANNEL,
      teamsTeamId: "19:team@thread.tacv2",
      channel: { id: CHANNEL },
      team: { id: "19:team@thread.tacv2" },
      tenant: { id: opts.tenant ?? TENANT },
    },
    locale: "en-US",
  };
}

/** A press on a card the bot posted (Action.Submit): a message activity whose value is the button's data. */
function pressOn(card: PostedActivity, title: string, user = OPERATOR) {
  const action = actionsOf(card).find((a) => a.title === title);
  if (!action) throw new Error(`no button ${title}`);
  const conversation = `${CHANNEL};messageid=${card.root || card.id}`;
  return {
    type: "message",
    id: ms.userAction(conversation),
    serviceUrl: ms.serviceUrl,
    channelId: "msteams",
    from: { id: "29:1userAAAA", name: "Op", aadObjectId: user },
    conversation: { isGroup: true, conversationType: "channel", tenantId: TENANT, id: conversation },
    recipient: { id: `28:${APP_ID}`, name: "clawops" },
    replyToId: card.id,
    value: action.data,
    channelData: { channel: { id: CHANNEL }, team: { id: "19:team@thread.tacv2" }, tenant: { id: TENANT } },
  };
}

type CardAction = { type: string; title: string; data: Record<string, unknown> };
function actionsOf(a: PostedActivity | undefined): CardAction[] {
  const body = ((a?.activity.attachments as { content: { body: Record<string, unknown>[] } }[] | undefined)?.[0]
    ?.content.body ?? []) as { type: string; actions?: CardAction[] }[];
  return body.flatMap((e) => (e.type === "ActionSet" ? (e.actions ?? []) : []));
}
const textOf = (a: PostedActivity | undefined) => JSON.stringify(a?.activity ?? {});

async function send(activity: unknown, authorization?: string | null) {
  const auth = authorization === undefined ? `Bearer ${await ms.token()}` : authorization;
  const res = await fetch(`${base}/teams/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth === null ? {} : { authorization: auth }) },
    body: JSON.stringify(activity),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check.
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const answerCard = () => ms.botPosts(CHANNEL).find((p) => actionsOf(p).some((a) => a.title === "Run again"));

describe("POST /teams/messages: proof of the caller", () => {
  it("refuses a missing, malformed, forged, expired, wrong-audience or wrong-issuer token with 401 before any work, audited", async () => {
    const calls = ms.calls.length;
    const cases: [string, string | null][] = [
      ["no Authorization header", null],
      ["is not a Bearer JWT", "Basic abc"],
      ["not signed by a Bot Framework key", `Bearer ${await ms.token({ key: "unpublished" })}`],
      ["has expired", `Bearer ${await ms.token({ expiresInS: -600 })}`],
      ["not for this bot", `Bearer ${await ms.token({ aud: "ffffffff-0000-4000-8000-000000000000" })}`],
      ["issuer is not the Bot Framework", `Bearer ${await ms.token({ iss: "https://sts.windows.net/evil/" })}`],
    ];
    for (const [why, auth] of cases) {
      const res = await send(message("triage node-3"), auth);
      expect(res.status, why).toBe(401);
      expect(res.body.error.message).toContain(why);
    }
    await settled();
    expect(ms.calls.length).toBe(calls);
    expect(transport.dispatched).toEqual([]);
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.filter((a) => a.source === "teams" && a.outcome === "refused")).toHaveLength(cases.length);
  });

  it("refuses with 403 a key not endorsed for Teams, a serviceUrl the token was not issued for, another channel or tenant", async () => {
    const calls = ms.calls.length;
    // A published Bot Framework key, but endorsed for another channel (skype) only.
    const notEndorsed = await send(message("triage node-3"), `Bearer ${await ms.token({ key: "other" })}`);
    expect(notEndorsed.status).toBe(403);
    expect(notEndorsed.body.error.message).toContain("not endorsed for Teams");
    const otherChannel = await send(message("triage node-3", { channelId: "webchat" }));
    expect(otherChannel.status).toBe(403);
    const moved = await send(message("triage node-3", { serviceUrl: "http://127.0.0.1:1/connector/" }));
    expect(moved.status).toBe(403);
    expect(moved.body.error.message).toContain("serviceUrl");
    const tenant = await send(message("triage node-3", { tenant: "00000000-0000-4000-8000-000000000000" }));
    expect(tenant.status).toBe(403);
    await settled();
    expect(ms.calls.length).toBe(calls);
    expect(transport.dispatched).toEqual([]);
  });

  it("keeps the keys between requests, and follows a rotation without a restart", async () => {
    const fetched = ms.keyFetches;
    await send({ ...message("x"), text: "openclaw help" });
    expect(ms.keyFetches).toBe(fetched);
    await ms.rotate();
    const res = await send({ ...message("x"), text: "openclaw help" });
    expect(res.status).toBe(200);
    expect(ms.keyFetches).toBe(fetched + 1);
    await settled();
  });

  it("says the keys could not be read, not that the token is bad, while the metadata is unreachable (the route answers 503)", async () => {
    const verifier = new BotFrameworkVerifier({ appId: APP_ID, metadataUrl: "http://127.0.0.1:1/openid" });
    const check = await verifier.verify(`Bearer ${await ms.token()}`);
    expect(check).toMatchObject({ ok: false, reason: "keys" });
  });

  it("refuses a body over its cap with 413", async () => {
    const res = await send(message("x".repeat(200 * 1024)));
    expect(res.status).toBe(413);
  });
});

describe("commands as bot messages", () => {
  it("`@clawops triage node-3` is answered in reply to the message, then the triage posts its thread as a reply chain with buttons, edited in place", async () => {
    transport.addHost("node-3", { results: healthyResults().map((result) => ({ result, delayMs: 1 })) });
    const activity = message("triage node-3");
    const res = await send(activity);
    expect(res).toEqual({ status: 200, body: {} });
    await settled();
    const posts = ms.botPosts(CHANNEL);
    const ack = posts.find((p) => p.root === activity.id);
    expect(textOf(ack)).toContain("Triage of **node-3** started");
    // The incident's header is a new post in the channel; the answer a reply in its chain.
    const header = posts.find((p) => p.root === "" && textOf(p).includes("node-3"));
    expect(header).toBeDefined();
    const answer = answerCard();
    expect(answer?.root).toBe(header?.id);
    expect(textOf(answer)).toContain("Triage node-3");
    expect(actionsOf(answer).map((a) => a.title)).toContain("Freeze 30 min");
    // The header and the progress were edited in place (PUT …/activities/{id}); nothing refused.
    expect(posts.some((p) => p.edits.length > 0)).toBe(true);
    expect(ms.calls.filter((c) => c.status >= 400)).toEqual([]);
    expect(ms.calls.every((c) => c.method === "PUT" || c.method === "POST")).toBe(true);
    // One token for all of it, asked with the client credentials.
    expect(ms.tokenRequests).toHaveLength(1);
    expect(ms.tokenRequests[0]).toMatchObject({ grant_type: "client_credentials", client_id: APP_ID });
    expect(slackSide.posted).toEqual([]);
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.some((a) => a.actor === `teams:${OPERATOR}` && a.source === "teams")).toBe(true);
  });

  it("takes `openclaw help` typed without a mention, and an activity delivered twice runs once", async () => {
    const activity = { ...message("x"), text: "openclaw help" };
    expect((await send(activity)).status).toBe(200);
    await settled();
    const replies = () => ms.botPosts(CHANNEL).filter((p) => p.root === activity.id);
    expect(replies()).toHaveLength(1);
    expect(textOf(replies()[0])).toContain("triage");
    expect((await send(activity)).status).toBe(200);
    await settled();
    expect(replies()).toHaveLength(1);
  });

  it("refuses a user the authorization file does not know, in Teams' words, audited", async () => {
    const activity = message("freeze node-3 for 30m token rotation", { user: STRANGER });
    await send(activity);
    await settled();
    const reply = ms.botPosts(CHANNEL).find((p) => p.root === activity.id);
    expect(textOf(reply)).toContain("You are not allowed to `freeze`");
    const nobody = message("unfreeze node-3");
    await send(nobody);
    await settled();
    expect(textOf(ms.botPosts(CHANNEL).find((p) => p.root === nobody.id))).toContain(
      "Nobody is allowed to `unfreeze` from Microsoft Teams yet",
    );
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.some((a) => a.actor === `teams:${STRANGER}` && a.outcome === "refused")).toBe(true);
    expect((await recovery.listFreezes?.())?.length ?? 0).toBe(0);
  });
});

describe("a message's text as the command", () => {
  it("takes off the bot's mention and the command's name, and reads Teams' HTML escapes", () => {
    expect(commandText("<at>clawops</at>&nbsp;triage node-3", "openclaw")).toBe("triage node-3");
    expect(commandText("<at>clawops</at> openclaw freeze node-3 for 1h a &amp; b", "openclaw")).toBe(
      "freeze node-3 for 1h a & b",
    );
    expect(commandText("/openclaw status all", "openclaw")).toBe("status all");
    expect(commandText("openclawx status", "openclaw")).toBe("openclawx status");
    expect(commandText("  <at>clawops</at>  ", "openclaw")).toBe("");
  });
});

describe("card buttons", () => {
  it("Run again runs the presser's triage, answered in the chain", async () => {
    const card = answerCard() as PostedActivity;
    const before = transport.dispatched.length;
    const press = pressOn(card, "Run again");
    expect(await send(press)).toEqual({ status: 200, body: {} });
    await settled();
    expect(transport.dispatched.length).toBeGreaterThan(before);
    expect(
      ms.botPosts(CHANNEL).some((p) => p.root === card.root && textOf(p).includes("Triage of **node-3** started")),
    ).toBe(true);
    // The same press delivered again does nothing.
    const dispatched = transport.dispatched.length;
    await send(press);
    await settled();
    expect(transport.dispatched.length).toBe(dispatched);
  });

  it("Freeze 30 min asks first with its confirm card; its confirm button freezes, for an allowed user only", async () => {
    const card = answerCard() as PostedActivity;
    const posted = ms.botPosts(CHANNEL).length;
    await send(pressOn(card, "Freeze 30 min"));
    await settled();
    const question = ms
      .botPosts(CHANNEL)
      .slice(posted)
      .find((p) => actionsOf(p).length === 2);
    expect(question?.root).toBe(card.root);
    expect((await recovery.listFreezes?.())?.length ?? 0).toBe(0);
    const yes = actionsOf(question)[0]?.title as string;
    await send(pressOn(question as PostedActivity, yes, STRANGER));
    await settled();
    expect((await recovery.listFreezes?.())?.length ?? 0).toBe(0);
    await send(pressOn(question as PostedActivity, yes));
    await settled();
    expect((await recovery.listFreezes?.())?.length ?? 0).toBe(1);
  });

  it("an Approve press goes through the approval handling: an unknown confirmation does nothing and says so in the chain", async () => {
    const card = answerCard() as PostedActivity;
    const press = pressOn(card, "Run again");
    const approve = { ...press, value: { clawops: "press", a: "clawops_approve", v: "cf_00000000000000000000" } };
    const posted = ms.botPosts(CHANNEL).length;
    expect((await send(approve)).status).toBe(200);
    await settled();
    const reply = ms
      .botPosts(CHANNEL)
      .slice(posted)
      .find((p) => p.root === card.root);
    expect(textOf(reply)).toContain("Nothing was done");
  });

  it("an Action.Execute invoke gets its invoke response and runs the same press", async () => {
    const card = answerCard() as PostedActivity;
    const before = transport.dispatched.length;
    const press = pressOn(card, "Run again");
    const invoke = {
      ...press,
      type: "invoke",
      name: "adaptiveCard/action",
      value: { action: { type: "Action.Execute", verb: "run", data: press.value } },
    };
    const res = await send(invoke);
    expect(res.status).toBe(200);
    expect(res.body.statusCode).toBe(200);
    await settled();
    expect(transport.dispatched.length).toBeGreaterThan(before);
  });
});

describe("the Teams chat port", () => {
  it("retries a 429 after its Retry-After and a 503, posting once", async () => {
    ms.failNext({ status: 429, retryAfter: 0 }, { status: 503 });
    const { ts } = await deps.chat.postMessage({ channel: `teams:${CHANNEL}`, text: "after the limit", parts: [] });
    expect(ms.activities.get(ts)?.activity.text).toBe("after the limit");
    expect(ms.calls.slice(-3).map((c) => c.status)).toEqual([429, 503, 201]);
    expect(ms.botPosts(CHANNEL).filter((p) => p.activity.text === "after the limit")).toHaveLength(1);
  });

  it("a post the service may have made (a 500) is not sent again; an edit is retried", async () => {
    ms.failNext({ status: 500, acted: true });
    await expect(
      deps.chat.postMessage({ channel: `teams:${CHANNEL}`, text: "exactly once", parts: [] }),
    ).rejects.toThrow(/not retried: it may have been posted/);
    expect(ms.botPosts(CHANNEL).filter((p) => p.activity.text === "exactly once")).toHaveLength(1);
    const { ts } = await deps.chat.postMessage({ channel: `teams:${CHANNEL}`, text: "v1", parts: [] });
    ms.failNext({ status: 500 });
    await deps.chat.updateMessage({ channel: `teams:${CHANNEL}`, ts, text: "v2", parts: [] });
    expect(ms.activities.get(ts)?.activity.text).toBe("v2");
  });

  it("says which setting to check when the token is refused, never the secret", async () => {
    const wrong = new TeamsChat({
      tokens: new AppTokenSource({
        appId: APP_ID,
        appPassword: "wrong-secret",
        tenantId: TENANT,
        loginUrl: ms.loginUrl,
      }),
      serviceUrl: ms.serviceUrl,
    });
    const err = await wrong.postMessage({ channel: `teams:${CHANNEL}`, text: "x", parts: [] }).catch((e: Error) => e);
    expect(String(err)).toContain("AADSTS7000215");
    expect(String(err)).toContain("MICROSOFT_APP_PASSWORD");
    expect(String(err)).not.toContain("wrong-secret");
  });

  it("a bundle points at its signed link, a postmortem draft is posted as text, and a reply address on another host gets no token", async () => {
    const { ts: root } = await deps.chat.postMessage({ channel: `teams:${CHANNEL}`, text: "root", parts: [] });
    await deps.chat.uploadFile?.({
      channel: `teams:${CHANNEL}`,
      threadTs: root,
      filename: "clawops-bundle-node-3.zip",
      title: "Repro bundle",
      bytes: new Uint8Array([80, 75]),
      initialComment: "Repro bundle `b_1`",
    });
    const note = ms.botPosts(CHANNEL).find((p) => p.root === root);
    expect(String(note?.activity.text)).toContain("signed link in the summary above");
    // A postmortem draft is the message itself; a long one clipped to fit.
    for (const draft of ["# Postmortem\n\nWhat happened.", `# Postmortem\n\n${"x".repeat(30_000)}`]) {
      await deps.chat.uploadFile?.({
        channel: `teams:${CHANNEL}`,
        threadTs: root,
        filename: "postmortem-inc_1.md",
        title: "Postmortem draft inc_1",
        bytes: new TextEncoder().encode(draft),
        initialComment: "📋 Postmortem draft of `inc_1`",
      });
    }
    const drafts = ms.botPosts(CHANNEL).filter((p) => p.root === root && String(p.activity.text).includes("inc_1"));
    expect(String(drafts[0]?.activity.text)).toContain("What happened.");
    expect(String(drafts[1]?.activity.text)).toContain("clipped: Teams takes about 28 KB a message");
    await expect(
      chat.respondEphemeral("http://127.0.0.2:1/v3/conversations/x/activities/1", { text: "x", parts: [] }),
    ).rejects.toThrow(/Not a Teams reply address/);
  });
});
