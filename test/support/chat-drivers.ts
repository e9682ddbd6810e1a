import { generateKeyPairSync, sign } from "node:crypto";
import type { AppCertificate } from "./app-certificate.ts";
import { DiscordStandIn } from "./discord-standin.ts";
import { MattermostStandIn, type StoredPost } from "./mattermost-standin.ts";
import { type PostedActivity, TeamsStandIn } from "./teams-standin.ts";
import { until } from "./until.ts";

/**
 * One chat, driven the way a person in it drives clawops, for the flows that must run end to end
 * from each chat on both runtimes (issue 43): its stand-in (which checks the documented API
 * shapes), the settings that turn it on, the command as the chat sends it (really signed or
 * tokened as the chat does it), a button pressed as the chat reports a press (through the chat's
 * own confirm step where Slack has a confirm dialog), and what the bot said in its channel.
 * The same driver serves the Node control plane and the Worker in workerd: both take the settings
 * as strings and serve the same routes.
 */
export interface ChatDriver {
  name: "Discord" | "Mattermost" | "Teams";
  /** The channel as clawops names it (`discord:…`, `mattermost:…`, `teams:…`). */
  channel: string;
  /** The person as the authorization file names them. */
  user: string;
  /** The person as clawops shows them in that chat's messages (a Discord mention, else the bold id). */
  shownAs: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The chat's settings for the control plane's environment (or the Worker's vars). */
  env(): Record<string, string>;
  /** `/openclaw <text>` as the chat sends it to `base`; resolves with the route's answer. */
  command(base: string, text: string): Promise<{ status: number; body: string }>;
  /**
   * Presses the newest button labelled `label` the bot posted, as the chat reports a press, and
   * answers the chat's own confirm question (Discord's `!|` button, Mattermost's dialog, Teams'
   * confirm card) when the button has one. Resolves once the press is accepted (2xx).
   */
  press(base: string, label: string): Promise<void>;
  /** Everything the bot said in its channel and the threads there (posts, edits, follow-ups), as one string. */
  said(): string;
  /** What the bot said inside a thread (reply chain, `root_id`) only. */
  saidInThreads(): string;
  /** Names of the files the bot uploaded (none on Teams, where a bundle is its signed link). */
  files(): string[];
  /** API calls the stand-in refused (a documented shape broken), as `METHOD path status`. */
  refused(): string[];
  /** Teams only: its stand-in (the identity platform's token requests and verified assertions). */
  teams?: TeamsStandIn;
}

const flat = (x: unknown) => JSON.stringify(x).replace(/\\n/g, "\n");

export function discordDriver(opts: { app: string; channel: string; user: string; token: string }): ChatDriver {
  const keys = generateKeyPairSync("ed25519");
  const publicKey = keys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
  const standIn = new DiscordStandIn(opts.token, opts.app, [opts.channel]);
  let seq = 0;
  const interaction = (body: Record<string, unknown>) =>
    JSON.stringify({
      id: String(1_360_000_000_000_000_000n + BigInt(++seq)),
      application_id: opts.app,
      version: 1,
      guild_id: "1360000000000000200",
      channel_id: opts.channel,
      member: { user: { id: opts.user, username: "op" }, roles: [] },
      ...body,
    });
  const post = async (base: string, body: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${base}/discord/interactions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), keys.privateKey).toString("hex"),
        "x-signature-timestamp": timestamp,
      },
      body,
    });
    return { status: res.status, body: await res.text() };
  };
  type Button = { custom_id: string; label: string };
  const buttonsOf = (m: Record<string, unknown> | null | undefined): Button[] =>
    ((m?.components ?? []) as { components: Button[] }[]).flatMap((r) => r.components);
  /** Every message the bot made, newest last: channel and thread messages, and interaction webhooks'. */
  const all = () => [
    ...[...standIn.messages.values()].map((m) => ({ id: m.id, body: m.body, edits: m.edits })),
    ...[...standIn.webhooks.values()].flatMap((w) => [
      ...(w.original ? [{ id: "1", body: w.original, edits: [] }] : []),
      ...w.followups.map((f) => ({ id: "1", body: f, edits: [] })),
    ]),
  ];
  const threadIds = () => new Set([...standIn.messages.values()].map((m) => m.id));
  return {
    name: "Discord",
    channel: `discord:${opts.channel}`,
    user: `discord:${opts.user}`,
    shownAs: `<@${opts.user}>`,
    start: () => standIn.start(),
    stop: () => standIn.stop(),
    env: () => ({
      DISCORD_PUBLIC_KEY: publicKey,
      DISCORD_APPLICATION_ID: opts.app,
      DISCORD_BOT_TOKEN: opts.token,
      DISCORD_API_URL: standIn.url,
    }),
    command: (base, text) =>
      post(
        base,
        interaction({
          type: 2,
          token: standIn.interaction(),
          data: { id: "1", name: "openclaw", type: 1, options: [{ name: "text", type: 3, value: text }] },
        }),
      ),
    async press(base, label) {
      const m = all()
        .reverse()
        .find((x) => buttonsOf(x.body).some((b) => b.label === label));
      const button = buttonsOf(m?.body).find((b) => b.label === label);
      if (!m || !button) throw new Error(`Discord: no button "${label}"`);
      const res = await post(
        base,
        interaction({
          type: 3,
          token: standIn.interaction(),
          message: { id: m.id, components: m.body.components },
          data: { custom_id: button.custom_id, component_type: 2 },
        }),
      );
      if (res.status !== 200) throw new Error(`Discord press ${label}: ${res.status} ${res.body}`);
      const answer = JSON.parse(res.body) as { type: number; data?: Record<string, unknown> };
      if (!button.custom_id.startsWith("?|")) return;
      // Discord has no confirm dialog: clawops asked, only to the presser, with a `!|` button.
      const confirm = buttonsOf(answer.data).find((b) => b.custom_id.startsWith("!|"));
      if (answer.type !== 4 || !confirm) throw new Error(`Discord: no confirm question for ${label}: ${res.body}`);
      const go = await post(
        base,
        interaction({
          type: 3,
          token: standIn.interaction(),
          message: { id: "1", flags: 64, components: answer.data?.components },
          data: { custom_id: confirm.custom_id, component_type: 2 },
        }),
      );
      if (go.status !== 200) throw new Error(`Discord confirm ${label}: ${go.status} ${go.body}`);
    },
    said: () => flat(all().flatMap((m) => [m.body, ...m.edits])),
    saidInThreads: () =>
      flat(
        [...standIn.messages.values()]
          .filter((m) => m.channel !== opts.channel && threadIds().has(m.channel))
          .flatMap((m) => [m.body, ...m.edits]),
      ),
    files: () => standIn.calls.flatMap((c) => (typeof c.body?.__file === "string" ? [c.body.__file] : [])),
    refused: () => standIn.calls.filter((c) => c.status >= 400).map((c) => `${c.method} ${c.path} ${c.status}`),
  };
}

export function mattermostDriver(opts: {
  channel: string;
  user: string;
  team: string;
  botToken: string;
  commandToken: string;
}): ChatDriver {
  const standIn = new MattermostStandIn(opts.botToken, [opts.channel]);
  type Action = { id: string; name: string; integration: { url: string; context: Record<string, unknown> } };
  const actionsOf = (p: StoredPost | undefined): Action[] =>
    ((p?.props.attachments ?? []) as { actions?: Action[] }[]).flatMap((a) => a.actions ?? []);
  const action = async (url: string, body: Record<string, unknown>) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.text() };
  };
  const posts = () => standIn.inChannel(opts.channel);
  return {
    name: "Mattermost",
    channel: `mattermost:${opts.channel}`,
    user: `mattermost:${opts.user}`,
    shownAs: `**mattermost:${opts.user}**`,
    start: () => standIn.start(),
    stop: () => standIn.stop(),
    env: () => ({
      MATTERMOST_URL: standIn.url,
      MATTERMOST_BOT_TOKEN: opts.botToken,
      MATTERMOST_COMMAND_TOKEN: opts.commandToken,
    }),
    async command(base, text) {
      const form = new URLSearchParams({
        channel_id: opts.channel,
        channel_name: "incidents",
        command: "/openclaw",
        response_url: standIn.responseUrl(),
        team_domain: "ops",
        team_id: opts.team,
        text,
        token: opts.commandToken,
        trigger_id: standIn.trigger(opts.user),
        user_id: opts.user,
        user_name: "op",
      });
      const res = await fetch(`${base}/mattermost/commands`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
      });
      return { status: res.status, body: await res.text() };
    },
    async press(base, label) {
      const post = [...posts()].reverse().find((p) => actionsOf(p).some((a) => a.name === label));
      const button = actionsOf(post).find((a) => a.name === label);
      if (!post || !button) throw new Error(`Mattermost: no button "${label}"`);
      // The integration URL is the route clawops wrote into the post: it must be the plane's own.
      if (!button.integration.url.startsWith(base))
        throw new Error(`Mattermost: ${label} goes to ${button.integration.url}`);
      const dialogs = standIn.dialogs.length;
      const res = await action(button.integration.url, {
        user_id: opts.user,
        user_name: "op",
        channel_id: opts.channel,
        channel_name: "incidents",
        team_id: opts.team,
        team_domain: "ops",
        post_id: post.id,
        trigger_id: standIn.trigger(opts.user),
        type: "",
        data_source: "",
        context: button.integration.context,
      });
      if (res.status !== 200) throw new Error(`Mattermost press ${label}: ${res.status} ${res.body}`);
      const dialog = standIn.dialogs[dialogs];
      if (!dialog) return;
      // A button with a confirm opened a dialog for the presser; submitting it is the confirmed press.
      const done = await action(dialog.url, {
        type: "dialog_submission",
        callback_id: String(dialog.dialog.callback_id ?? "clawops_confirm"),
        state: String(dialog.dialog.state),
        user_id: opts.user,
        channel_id: opts.channel,
        team_id: opts.team,
        submission: {},
        cancelled: false,
      });
      if (done.status !== 200) throw new Error(`Mattermost confirm ${label}: ${done.status} ${done.body}`);
    },
    said: () =>
      flat([
        ...posts().flatMap((p) => [p.message, p.props, ...p.edits]),
        ...[...standIn.hooks.values()].flatMap((h) => h.responses),
      ]),
    saidInThreads: () => flat(posts().flatMap((p) => (p.root_id ? [p.message, p.props, ...p.edits] : []))),
    files: () => [...standIn.files.values()].filter((f) => f.attached).map((f) => f.name),
    refused: () => standIn.calls.filter((c) => c.status >= 400).map((c) => `${c.method} ${c.path} ${c.status}`),
  };
}

export function teamsDriver(opts: {
  app: string;
  tenant: string;
  /** The app's credential: its password, or a certificate (the app registration holds it; clawops its key and thumbprint). */
  password?: string;
  certificate?: AppCertificate;
  channel: string;
  /** The person's Entra object id. */
  user: string;
}): ChatDriver {
  const standIn = new TeamsStandIn({
    appId: opts.app,
    tenantId: opts.tenant,
    ...(opts.password ? { appPassword: opts.password } : {}),
    ...(opts.certificate ? { certificate: opts.certificate.certificate } : {}),
  });
  type CardAction = { type: string; title: string; data: Record<string, unknown> };
  const actionsOf = (a: PostedActivity | undefined): CardAction[] => {
    const body = ((a?.activity.attachments as { content: { body: Record<string, unknown>[] } }[] | undefined)?.[0]
      ?.content.body ?? []) as { type: string; actions?: CardAction[] }[];
    return body.flatMap((e) => (e.type === "ActionSet" ? (e.actions ?? []) : []));
  };
  const send = async (base: string, activity: Record<string, unknown>) => {
    const res = await fetch(`${base}/teams/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await standIn.token()}` },
      body: JSON.stringify(activity),
    });
    return { status: res.status, body: await res.text() };
  };
  const common = (conversation: string) => ({
    serviceUrl: standIn.serviceUrl,
    channelId: "msteams",
    from: { id: "29:1flowsuser", name: "Op", aadObjectId: opts.user },
    conversation: { isGroup: true, conversationType: "channel", tenantId: opts.tenant, id: conversation },
    recipient: { id: `28:${opts.app}`, name: "clawops" },
    channelData: {
      teamsChannelId: opts.channel,
      channel: { id: opts.channel },
      team: { id: "19:flowsteam@thread.tacv2" },
      tenant: { id: opts.tenant },
    },
  });
  /** Action.Submit: a message activity whose value is the button's data, in the card's chain. */
  const submit = (card: PostedActivity, action: CardAction) => {
    const conversation = `${opts.channel};messageid=${card.root || card.id}`;
    return {
      type: "message",
      id: standIn.userAction(conversation),
      replyToId: card.id,
      value: action.data,
      ...common(conversation),
    };
  };
  return {
    name: "Teams",
    teams: standIn,
    channel: `teams:${opts.channel}`,
    user: `teams:${opts.user}`,
    shownAs: `**teams:${opts.user}**`,
    start: () => standIn.start(),
    stop: () => standIn.stop(),
    env: () => ({
      MICROSOFT_APP_ID: opts.app,
      ...(opts.password ? { MICROSOFT_APP_PASSWORD: opts.password } : {}),
      ...(opts.certificate
        ? {
            MICROSOFT_APP_CERTIFICATE_THUMBPRINT: opts.certificate.sha1,
            MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: opts.certificate.privateKey,
          }
        : {}),
      MICROSOFT_APP_TENANT_ID: opts.tenant,
      TEAMS_OPENID_METADATA_URL: standIn.metadataUrl,
      TEAMS_LOGIN_URL: standIn.loginUrl,
      TEAMS_SERVICE_URL: standIn.serviceUrl,
    }),
    command(base, text) {
      const post = standIn.userPost(opts.channel);
      return send(base, {
        type: "message",
        id: post.id,
        timestamp: new Date().toISOString(),
        text: `<at>clawops</at> ${text}`,
        textFormat: "plain",
        entities: [{ type: "mention", mentioned: { id: `28:${opts.app}`, name: "clawops" }, text: "<at>clawops</at>" }],
        ...common(post.conversation),
      });
    },
    async press(base, label) {
      const card = [...standIn.botPosts(opts.channel)]
        .reverse()
        .find((p) => actionsOf(p).some((a) => a.title === label));
      const button = actionsOf(card).find((a) => a.title === label);
      if (!card || !button) throw new Error(`Teams: no button "${label}"`);
      const before = standIn.botPosts(opts.channel).length;
      const res = await send(base, submit(card, button));
      if (res.status !== 200) throw new Error(`Teams press ${label}: ${res.status} ${res.body}`);
      if (!(button.data as { q?: unknown }).q) return;
      // Teams' cards have no dialog: clawops replied with a confirm card; its first button confirms,
      // pressed here as an Action.Execute invoke (Universal Actions), which Teams sends as `invoke`.
      const question = await until("the Teams confirm card", 30_000, () =>
        standIn
          .botPosts(opts.channel)
          .slice(before)
          .find((p) => actionsOf(p).length === 2),
      );
      const yes = actionsOf(question)[0] as CardAction;
      const pressed = submit(question, yes);
      const invoke = await send(base, {
        ...pressed,
        type: "invoke",
        name: "adaptiveCard/action",
        value: { action: { type: "Action.Execute", verb: "press", data: yes.data } },
      });
      if (invoke.status !== 200 || (JSON.parse(invoke.body) as { statusCode?: number }).statusCode !== 200)
        throw new Error(`Teams confirm ${label}: ${invoke.status} ${invoke.body}`);
    },
    said: () => flat(standIn.botPosts(opts.channel).flatMap((a) => [a.activity, ...a.edits])),
    saidInThreads: () =>
      flat(
        standIn
          .botPosts(opts.channel)
          .filter((a) => a.root)
          .flatMap((a) => [a.activity, ...a.edits]),
      ),
    // Teams takes no file in a channel without Graph: a bundle is its signed link in the chain.
    files: () => [],
    refused: () => standIn.calls.filter((c) => c.status >= 400).map((c) => `${c.method} ${c.path} ${c.status}`),
  };
}

/**
 * The three chats with fixed ids, each its own stand-in; Teams with its app password, or with
 * `teamsCertificate` as its credential instead.
 */
export function threeChats(teamsCertificate?: AppCertificate): ChatDriver[] {
  return [
    discordDriver({
      app: "1360000000000000001",
      channel: "1360000000000000100",
      user: "1360000000000000300",
      token: "discord-flows-bot-token",
    }),
    mattermostDriver({
      channel: "flowschan00000000000000001",
      user: "flowsuser00000000000000001",
      team: "flowsteam00000000000000001",
      botToken: "mattermost-flows-bot-token",
      commandToken: "mattermostflowscommandtoken1",
    }),
    teamsDriver({
      app: "4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
      tenant: "8e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
      ...(teamsCertificate ? { certificate: teamsCertificate } : { password: "teams-flows-app-password" }),
      channel: "19:flowschannel0123456789abcdef@thread.tacv2",
      user: "22222222-3333-4444-8555-666666666666",
    }),
  ];
}
