import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/adapters/http/app.ts";
import { MattermostChat } from "../../src/adapters/mattermost/chat.ts";
import { ActionSigner } from "../../src/adapters/mattermost/context.ts";
import { withMattermost } from "../../src/adapters/mattermost/routed.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { DecisionBus } from "../../src/core/confirmations/decision-bus.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { seedHost } from "../support/harness.ts";
import { MattermostStandIn, type StoredPost } from "../support/mattermost-standin.ts";
import { InMemoryRecoveryStore } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { RecordingChat, testDeps } from "../support/test-deps.ts";

/**
 * Mattermost's slash command and button actions end to end: the control plane's hono app on a
 * real loopback socket (@hono/node-server, as `npm start` serves it), requests formed as
 * Mattermost sends them (the command's urlencoded form with its token; a press's JSON with the
 * button's context as the post carried it), the core with the fake transport, and the REST v4
 * stand-in (test/support/mattermost-standin.ts) receiving every post, edit, upload and dialog.
 */
const BOT_TOKEN = "mattermost-bot-token-for-tests";
const COMMAND_TOKEN = "mattermostcommandtoken0123456";
const TEAM = "team0000000000000000000001";
const CHANNEL = "chan0000000000000000000001";
const OPERATOR = "user0000000000000000000001";
const STRANGER = "user0000000000000000000002";

let mm: MattermostStandIn;
let chat: MattermostChat;
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
  mm = new MattermostStandIn(BOT_TOKEN, [CHANNEL]);
  await mm.start();
  chat = new MattermostChat({
    url: mm.url,
    token: BOT_TOKEN,
    actionsUrl: () => `${base}/mattermost/actions`,
    retry: { baseDelayMs: 1 },
  });
  recovery = new InMemoryRecoveryStore();
  transport = new FakeHostTransport();
  slackSide = new RecordingChat();
  const store = new InMemoryStore();
  deps = testDeps({
    store,
    transport,
    chat: withMattermost(slackSide, chat),
    recovery: {
      store: recovery,
      authz: new Authorizer({
        incidentLeads: { users: [], userGroups: [], channels: [] },
        actions: { freeze: { users: [`mattermost:${OPERATOR}`], userGroups: [], channels: [] } },
      }),
      announceChannels: [],
      decisions: new DecisionBus(),
    },
  });
  await seedHost(store, "node-3");
  const app = createApp({
    deps,
    mattermost: { commandToken: COMMAND_TOKEN, chat, commandName: "/openclaw" },
    runLater: (task) => pending.push(task),
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await mm.stop();
});

/** The slash command's form, as Mattermost posts it. */
function commandForm(text: string, opts: { token?: string | null; user?: string; responseUrl?: string } = {}) {
  const form = new URLSearchParams({
    channel_id: CHANNEL,
    channel_name: "incidents",
    command: "/openclaw",
    response_url: opts.responseUrl ?? mm.responseUrl(),
    team_domain: "ops",
    team_id: TEAM,
    text,
    trigger_id: mm.trigger(opts.user ?? OPERATOR),
    user_id: opts.user ?? OPERATOR,
    user_name: "op",
  });
  if (opts.token !== null) form.set("token", opts.token ?? COMMAND_TOKEN);
  return form.toString();
}

async function command(body: string) {
  const res = await fetch(`${base}/mattermost/commands`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body,
  });
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check.
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function action(body: Record<string, unknown>) {
  const res = await fetch(`${base}/mattermost/actions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check.
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

type Action = { id: string; name: string; integration: { url: string; context: Record<string, unknown> } };
const actionsOf = (p: StoredPost | undefined) =>
  ((p?.props.attachments ?? []) as { actions: Action[] }[]).flatMap((a) => a.actions);

/** A press on a button of `post`, as Mattermost posts it to the button's integration URL. */
function press(post: StoredPost, button: Action, user = OPERATOR) {
  return {
    user_id: user,
    user_name: "op",
    channel_id: post.channel_id,
    channel_name: "incidents",
    team_id: TEAM,
    team_domain: "ops",
    post_id: post.id,
    trigger_id: mm.trigger(user),
    type: "",
    data_source: "",
    context: button.integration.context,
  };
}

const answerPost = () => [...mm.posts.values()].find((p) => actionsOf(p).some((a) => a.name === "Run again"));
const button = (name: string) => actionsOf(answerPost()).find((a) => a.name === name) as Action;

describe("POST /mattermost/commands", () => {
  it("refuses a wrong or missing token with 401 before any work", async () => {
    const calls = mm.calls.length;
    const forged = await command(commandForm("triage node-3", { token: "not-the-command-token" }));
    expect(forged.status).toBe(401);
    expect(forged.body.text).toContain("MATTERMOST_COMMAND_TOKEN");
    const missing = await command(commandForm("triage node-3", { token: null }));
    expect(missing.status).toBe(401);
    await settled();
    expect(mm.calls.length).toBe(calls);
    expect(transport.dispatched).toEqual([]);
  });

  it("refuses a body over its cap with 413", async () => {
    const res = await command(commandForm("x".repeat(20 * 1024)));
    expect(res.status).toBe(413);
  });

  it("acks `/openclaw triage node-3` only to the person, then posts the triage in a thread (root_id) with buttons, edited in place", async () => {
    transport.addHost("node-3", { results: healthyResults().map((result) => ({ result, delayMs: 1 })) });
    const res = await command(commandForm("triage node-3"));
    expect(res.status).toBe(200);
    expect(res.body.response_type).toBe("ephemeral");
    expect(res.body.text).toContain("Triage of **node-3** started");
    await settled();
    const posts = mm.inChannel(CHANNEL);
    const root = posts.find((p) => !p.root_id);
    expect(root, "the incident's header post").toBeDefined();
    const replies = posts.filter((p) => p.root_id === root?.id);
    expect(replies.length).toBeGreaterThan(0);
    const answer = answerPost();
    expect(answer?.root_id).toBe(root?.id);
    expect(answer?.message).toContain("Triage node-3");
    expect(actionsOf(answer).map((a) => a.name)).toContain("Freeze 30 min");
    for (const a of actionsOf(answer)) expect(a.integration.url).toBe(`${base}/mattermost/actions`);
    // The header and the progress were edited in place (PUT /posts/{id}/patch), nothing refused.
    expect(posts.some((p) => p.edits.length > 0)).toBe(true);
    expect(mm.calls.filter((c) => c.status >= 400)).toEqual([]);
    expect(slackSide.posted).toEqual([]);
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.some((a) => a.actor === `mattermost:${OPERATOR}` && a.source === "mattermost")).toBe(true);
  });

  it("a command the authorization file allows nobody is refused in Mattermost's words and audited", async () => {
    const res = await command(commandForm("unfreeze node-3"));
    expect(res.body.text).toContain("Nobody is allowed to `unfreeze` from Mattermost yet");
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.some((a) => a.actor === `mattermost:${OPERATOR}` && a.outcome === "refused")).toBe(true);
  });

  it("answers later through the command's response_url, and never through an address not on the Mattermost server", async () => {
    const hook = mm.responseUrl();
    await deps.chat.respondEphemeral?.(hook, { text: "only you", parts: [] });
    const id = hook.split("/").pop() ?? "";
    expect(mm.hooks.get(id)?.responses[0]).toMatchObject({ response_type: "ephemeral", text: "only you" });
    await expect(
      chat.respondEphemeral("http://127.0.0.1:1/hooks/commands/x", { text: "x", parts: [] }),
    ).rejects.toThrow(/Not this Mattermost server/);
  });
});

describe("POST /mattermost/actions", () => {
  it("a Run again press with its signed context runs the presser's triage; the same press again is refused", async () => {
    const post = answerPost() as StoredPost;
    const before = transport.dispatched.length;
    const body = press(post, button("Run again"));
    const res = await action(body);
    expect(res.status).toBe(200);
    expect(res.body.ephemeral_text).toContain("Triage of **node-3** started");
    await settled();
    expect(transport.dispatched.length).toBeGreaterThan(before);
    const dispatched = transport.dispatched.length;
    const replayed = await action(body);
    expect(replayed.status).toBe(409);
    expect(replayed.body.ephemeral_text).toContain("already handled");
    await settled();
    expect(transport.dispatched.length).toBe(dispatched);
  });

  it("refuses a forged context (changed value, no signature, another key) with 401 and runs nothing", async () => {
    const post = answerPost() as StoredPost;
    const again = button("Run again");
    const dispatched = transport.dispatched.length;
    const changed = { ...again.integration.context, v: "freeze node-3 for 1h" };
    const unsigned = { a: "clawops_run:triage:node-3", v: "triage node-3", exp: 9_999_999_999, n: "x" };
    const otherKey = {
      ...(await new ActionSigner("another-bot-token").sign({ a: "clawops_run:triage:node-3", v: "triage node-3" })),
    };
    for (const context of [changed, unsigned, otherKey]) {
      const res = await action({ ...press(post, again), context });
      expect(res.status).toBe(401);
      expect(res.body.ephemeral_text).toContain("nothing was run");
    }
    await settled();
    expect(transport.dispatched.length).toBe(dispatched);
    const audit = await recovery.listAudit({ order: "asc" });
    expect(audit.filter((a) => a.outcome === "refused" && a.detail.includes("not one clawops signed"))).toHaveLength(3);
  });

  it("refuses an expired context", async () => {
    const post = answerPost() as StoredPost;
    const old = new ActionSigner(BOT_TOKEN, { nowSeconds: () => Math.floor(Date.now() / 1000) - 40 * 24 * 3600 });
    const context = { ...(await old.sign({ a: "clawops_run:triage:node-3", v: "triage node-3" })) };
    const res = await action({ ...press(post, button("Run again")), context });
    expect(res.status).toBe(409);
    expect(res.body.ephemeral_text).toContain("expired");
  });

  it("Freeze 30 min asks first in a dialog for the presser; its state is the presser's alone, used once", async () => {
    const post = answerPost() as StoredPost;
    const res = await action(press(post, button("Freeze 30 min")));
    expect(res).toEqual({ status: 200, body: {} });
    const dialog = mm.dialogs.at(-1);
    expect(dialog?.url).toBe(`${base}/mattermost/actions`);
    expect(dialog?.dialog.title).toBeTruthy();
    const state = String(dialog?.dialog.state);
    const submission = (user: string) => ({
      type: "dialog_submission",
      callback_id: "clawops_confirm",
      state,
      user_id: user,
      channel_id: CHANNEL,
      team_id: TEAM,
      submission: {},
      cancelled: false,
    });
    // Someone else submitting the presser's dialog proves nothing.
    expect((await action(submission(STRANGER))).status).toBe(401);
    expect((await recovery.listFreezes?.())?.length ?? 0).toBe(0);
    const done = await action(submission(OPERATOR));
    expect(done).toEqual({ status: 200, body: {} });
    await settled();
    expect((await recovery.listFreezes?.())?.length ?? 0).toBe(1);
    expect((await action(submission(OPERATOR))).status).toBe(409);
  });

  it("an Approve press asks in a dialog; an unknown confirmation does nothing and says so in the dialog", async () => {
    const post = answerPost() as StoredPost;
    // A button as clawops posts it under an approval request (its context signed by the chat's own signer).
    const context = {
      ...(await chat.signer.sign({
        a: "clawops_approve",
        v: "cf_00000000000000000000",
        c: 1,
        q: ["Are you sure?", "Run `gateway.restart` on *node-3* now?", "Approve"],
      })),
    };
    const asked = await action({ ...press(post, button("Run again")), context });
    expect(asked).toEqual({ status: 200, body: {} });
    const dialog = mm.dialogs.at(-1);
    expect(dialog?.dialog.introduction_text).toBe("Run `gateway.restart` on **node-3** now?");
    const res = await action({
      type: "dialog_submission",
      callback_id: "clawops_confirm",
      state: String(dialog?.dialog.state),
      user_id: OPERATOR,
      channel_id: CHANNEL,
      team_id: TEAM,
      submission: {},
      cancelled: false,
    });
    expect(res.status).toBe(200);
    expect(res.body.error).toContain("Nothing was done");
  });

  it("a press whose trigger_id Mattermost did not make opens no dialog and does nothing", async () => {
    const post = answerPost() as StoredPost;
    const dialogs = mm.dialogs.length;
    const res = await action({ ...press(post, button("Freeze 30 min")), trigger_id: "forged-trigger" });
    expect(res.body.ephemeral_text).toContain("could not be opened");
    expect(mm.dialogs.length).toBe(dialogs);
  });
});

describe("the Mattermost chat port", () => {
  it("retries a 429 after X-RateLimit-Reset, and a 5xx, posting once", async () => {
    mm.failNext({ status: 429, reset: 1 }, { status: 503 });
    const { ts } = await deps.chat.postMessage({
      channel: `mattermost:${CHANNEL}`,
      text: "after the limit",
      parts: [],
    });
    expect(mm.posts.get(ts)?.message).toBe("after the limit");
    const tail = mm.calls.slice(-3).map((c) => c.status);
    expect(tail).toEqual([429, 503, 201]);
    expect(mm.inChannel(CHANNEL).filter((p) => p.message === "after the limit")).toHaveLength(1);
  });

  it("a post the server made before failing (a 500, a lost answer) is not made twice", async () => {
    mm.failNext({ status: 500, acted: true }, { reset: true, acted: true });
    const { ts } = await deps.chat.postMessage({ channel: `mattermost:${CHANNEL}`, text: "exactly once", parts: [] });
    expect(
      mm
        .inChannel(CHANNEL)
        .filter((p) => p.message === "exactly once")
        .map((p) => p.id),
    ).toEqual([ts]);
  });

  it("uploads a file into the channel, then replies in the thread with its file_ids", async () => {
    const root = await deps.chat.postMessage({ channel: `mattermost:${CHANNEL}`, text: "bundle thread", parts: [] });
    const { fileId } = (await deps.chat.uploadFile?.({
      channel: `mattermost:${CHANNEL}`,
      threadTs: root.ts,
      filename: "bundle-node-3.tar.gz",
      title: "Bundle node-3",
      bytes: new Uint8Array([1, 2, 3]),
      initialComment: "The bundle for node-3",
    })) ?? { fileId: "" };
    expect(mm.files.get(fileId)).toMatchObject({ name: "bundle-node-3.tar.gz", size: 3, attached: true });
    const reply = mm.inChannel(CHANNEL).find((p) => p.file_ids.includes(fileId));
    expect(reply?.root_id).toBe(root.ts);
  });

  it("sends a mattermost: channel's message to Mattermost and any other to the chat it had", async () => {
    const before = slackSide.posted.length;
    await deps.chat.postMessage({ channel: "C0INCIDENT", text: "to slack", parts: [] });
    expect(slackSide.posted.length).toBe(before + 1);
    await expect(deps.chat.postMessage({ channel: "mattermost:not-an-id", text: "x", parts: [] })).rejects.toThrow(
      /Not a Mattermost channel/,
    );
  });
});
