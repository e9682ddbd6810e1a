import { afterAll, beforeAll, describe, it } from "vitest";
import { type ChatDriver, threeChats } from "../support/chat-drivers.ts";
import { triageFlow } from "../support/chat-flows.ts";
import { type GatewayPlane, startGatewayPlane } from "../support/gateway-plane.ts";

/**
 * A triage typed in Discord, Mattermost and Microsoft Teams, each answered from the real gateway
 * (issue 43: "against a real gateway for at least the triage"). One control plane as `npm start`
 * runs it, with all three chats on beside Slack (each pointed at its stand-in, which checks the
 * documented request shapes), a real agent enrolled against the shared OpenClaw gateway, and each
 * command really signed the way its chat signs it: Discord's Ed25519 over timestamp + body,
 * Mattermost's per-command token, the Bot Framework's RS256 JWT from the stand-in's OpenID keys.
 * Each chat's thread ends with the real gateway's matrix: every layer a healthy lab has green,
 * the lab's one warning (no model credentials, GATEWAY-FACTS §3) as its headline, no red.
 * The same on the Workers runtime: chats-workers.test.ts.
 */
const SECRET = "chats-gateway-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-chats-gateway";
const HOST = "node-3";

const chats = threeChats();
let plane: GatewayPlane;

beforeAll(async () => {
  await Promise.all(chats.map((c) => c.start()));
  plane = await startGatewayPlane({
    secret: SECRET,
    botToken: BOT_TOKEN,
    host: HOST,
    env: Object.assign({}, ...chats.map((c) => c.env())),
  });
}, 420_000);

afterAll(async () => {
  await plane?.close();
  await Promise.all(chats.map((c) => c.stop()));
});

describe("a triage from each chat, answered by the real gateway", () => {
  it.each(chats.map((chat) => [chat.name, chat] as [string, ChatDriver]))(
    "%s: the signed command's thread ends with the gateway's matrix",
    async (_name, chat) => {
      await triageFlow(chat, plane.cp.url, HOST, { version: plane.gw.version, token: plane.gw.token });
    },
  );
});
