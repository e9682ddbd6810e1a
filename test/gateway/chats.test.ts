import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiscordStandIn } from "../support/discord-standin.ts";
import { type GatewayPlane, startGatewayPlane } from "../support/gateway-plane.ts";
import { MattermostStandIn } from "../support/mattermost-standin.ts";
import { TeamsStandIn } from "../support/teams-standin.ts";
import { until } from "../support/until.ts";

/**
 * A triage typed in Discord, Mattermost and Microsoft Teams, each answered from the real gateway
 * (issue 43: "against a real gateway for at least the triage"). One control plane as `npm start`
 * runs it, with all three chats on beside Slack (each pointed at its stand-in, which checks the
 * documented request shapes), a real agent enrolled against the shared OpenClaw gateway, and each
 * command really signed the way its chat signs it: Discord's Ed25519 over timestamp + body,
 * Mattermost's per-command token, the Bot Framework's RS256 JWT from the stand-in's OpenID keys.
 * Each chat's thread ends with the real gateway's matrix: every layer a healthy lab has green,
 * the lab's one warning (no model credentials, GATEWAY-FACTS §3) as its headline, no red.
 */
const SECRET = "chats-gateway-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-chats-gateway";
const HOST = "node-3";

const DISCORD_APP = "1300000000000000001";
const DISCORD_CHANNEL = "1300000000000000100";
const DISCORD_USER = "1300000000000000300";
const DISCORD_TOKEN = "discord-chats-gateway-bot-token";
const discordKeys = generateKeyPairSync("ed25519");
const DISCORD_PUBLIC_KEY = discordKeys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");

const MM_CHANNEL = "chan0000000000000000000001";
const MM_USER = "user0000000000000000000001";
const MM_TEAM = "team0000000000000000000001";
const MM_BOT_TOKEN = "mattermost-chats-gateway-bot-token";
const MM_COMMAND_TOKEN = "mattermostchatsgatewaycmdtok";

const TEAMS_APP = "0b7e6f6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
const TEAMS_TENANT = "7f1e2d3c-4b5a-4968-8776-655443322110";
const TEAMS_PASSWORD = "teams-chats-gateway-app-password";
const TEAMS_CHANNEL = "19:chatsgateway0123456789abcdef@thread.tacv2";
const TEAMS_USER = "11111111-2222-4333-8444-555555555555";

/** What a healthy lab's matrix says on every chat (the markdown the three renderers share). */
const HEADLINE = `🟡 Triage ${HOST}: 1 layer to watch`;
const GREEN = ["Process", "Port", "Transport", "Auth", "Scope", "Config", "Workspace"].map((l) => `🟢 **${l}**: ok`);
const WARNING = "🟡 **Model routing**: warn — No credentials for a model provider in use";

let plane: GatewayPlane;
let discord: DiscordStandIn;
let mm: MattermostStandIn;
let teams: TeamsStandIn;

beforeAll(async () => {
  discord = new DiscordStandIn(DISCORD_TOKEN, DISCORD_APP, [DISCORD_CHANNEL]);
  await discord.start();
  mm = new MattermostStandIn(MM_BOT_TOKEN, [MM_CHANNEL]);
  await mm.start();
  teams = new TeamsStandIn({ appId: TEAMS_APP, appPassword: TEAMS_PASSWORD, tenantId: TEAMS_TENANT });
  await teams.start();
  plane = await startGatewayPlane({
    secret: SECRET,
    botToken: BOT_TOKEN,
    host: HOST,
    env: {
      DISCORD_PUBLIC_KEY,
      DISCORD_APPLICATION_ID: DISCORD_APP,
      DISCORD_BOT_TOKEN: DISCORD_TOKEN,
      DISCORD_API_URL: discord.url,
      MATTERMOST_URL: mm.url,
      MATTERMOST_BOT_TOKEN: MM_BOT_TOKEN,
      MATTERMOST_COMMAND_TOKEN: MM_COMMAND_TOKEN,
      MICROSOFT_APP_ID: TEAMS_APP,
      MICROSOFT_APP_PASSWORD: TEAMS_PASSWORD,
      MICROSOFT_APP_TENANT_ID: TEAMS_TENANT,
      TEAMS_OPENID_METADATA_URL: teams.metadataUrl,
      TEAMS_LOGIN_URL: teams.loginUrl,
      TEAMS_SERVICE_URL: teams.serviceUrl,
    },
  });
}, 420_000);

afterAll(async () => {
  await plane?.close();
  await Promise.all([discord?.stop(), mm?.stop(), teams?.stop()]);
});

/** Every text a chat was given (posts and their edits), as one string to search. */
const everything = (bodies: unknown[]) => JSON.stringify(bodies).replace(/\\n/g, "\n");

function expectHealthyMatrix(said: string): void {
  expect(said).toContain(HEADLINE);
  for (const line of GREEN) expect(said).toContain(line);
  expect(said).toContain(WARNING);
  expect(said).toContain(`gateway ${plane.gw.version}`);
  expect(said).not.toContain("🔴");
  expect(said).not.toContain(plane.gw.token);
}

describe("a triage from each chat, answered by the real gateway", () => {
  it("Discord: a signed `/openclaw text:triage node-3` is deferred, and its thread ends with the gateway's matrix", async () => {
    const token = discord.interaction();
    const body = JSON.stringify({
      id: "1350000000000000001",
      application_id: DISCORD_APP,
      type: 2,
      token,
      version: 1,
      guild_id: "1300000000000000200",
      channel_id: DISCORD_CHANNEL,
      member: { user: { id: DISCORD_USER } },
      data: { id: "1", name: "openclaw", type: 1, options: [{ name: "text", type: 3, value: `triage ${HOST}` }] },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${plane.cp.url}/discord/interactions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), discordKeys.privateKey).toString("hex"),
        "x-signature-timestamp": timestamp,
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 5, data: { flags: 64 } });
    const said = await until("the gateway's matrix in the Discord thread", 120_000, () => {
      const text = everything([...discord.messages.values()].flatMap((m) => [m.body, ...m.edits]));
      return text.includes(HEADLINE) ? text : undefined;
    });
    expectHealthyMatrix(said);
    expect(discord.calls.filter((c) => c.status >= 400)).toEqual([]);
  });

  it("Mattermost: `/openclaw triage node-3` with the command's token is acked to the person, and its thread ends with the matrix", async () => {
    const form = new URLSearchParams({
      channel_id: MM_CHANNEL,
      channel_name: "incidents",
      command: "/openclaw",
      response_url: mm.responseUrl(),
      team_domain: "ops",
      team_id: MM_TEAM,
      text: `triage ${HOST}`,
      token: MM_COMMAND_TOKEN,
      trigger_id: mm.trigger(MM_USER),
      user_id: MM_USER,
      user_name: "op",
    });
    const res = await fetch(`${plane.cp.url}/mattermost/commands`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { response_type?: string }).response_type).toBe("ephemeral");
    const said = await until("the gateway's matrix in the Mattermost thread", 120_000, () => {
      const text = everything(mm.inChannel(MM_CHANNEL).flatMap((p) => [p.message, p.props, ...p.edits]));
      return text.includes(HEADLINE) ? text : undefined;
    });
    expectHealthyMatrix(said);
    expect(mm.calls.filter((c) => c.status >= 400)).toEqual([]);
  });

  it("Teams: `@clawops triage node-3` with a Bot Framework token is answered in its reply chain with the matrix", async () => {
    const post = teams.userPost(TEAMS_CHANNEL);
    const res = await fetch(`${plane.cp.url}/teams/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await teams.token()}` },
      body: JSON.stringify({
        type: "message",
        id: post.id,
        serviceUrl: teams.serviceUrl,
        channelId: "msteams",
        from: { id: "29:1chatsuser", aadObjectId: TEAMS_USER },
        conversation: { id: post.conversation, conversationType: "channel", tenantId: TEAMS_TENANT },
        text: `<at>clawops</at> triage ${HOST}`,
        channelData: { channel: { id: TEAMS_CHANNEL }, tenant: { id: TEAMS_TENANT } },
      }),
    });
    expect(res.status).toBe(200);
    const said = await until("the gateway's matrix in the Teams reply chain", 120_000, () => {
      const text = everything(teams.botPosts(TEAMS_CHANNEL).flatMap((a) => [a.activity, ...a.edits]));
      return text.includes(HEADLINE) ? text : undefined;
    });
    expectHealthyMatrix(said);
    expect(teams.calls.filter((c) => c.status >= 400)).toEqual([]);
  });
});
