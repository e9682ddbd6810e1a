import { afterAll, beforeAll, describe, it } from "vitest";
import { type ChatDriver, threeChats } from "../support/chat-drivers.ts";
import { triageFlow } from "../support/chat-flows.ts";
import { type SharedGateway, sharedGateway } from "../support/gateway/control.ts";
import { startWorkerdPlane, type WorkerdPlaneWithAgent } from "../support/workerd-plane.ts";

/**
 * A triage typed in Discord, Mattermost and Microsoft Teams on the Workers runtime, answered by
 * the real gateway (issue 43: "on Node and in workerd … against a real gateway for at least the
 * triage"; Node is test/gateway/chats.test.ts). wrangler.toml's Worker in workerd with all three
 * chats on (each pointed at its stand-in), a real clawops-agent enrolled through the Worker and
 * run against the shared OpenClaw gateway, its socket in its host's Durable Object where the
 * triage runs; each command really signed as its chat signs it.
 */
const SECRET = "chats-workers-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-chats-workers";
const ADMIN_TOKEN = "chats-workers-admin-token-5b1e";
const HOST = "wk-chats-1";

const chats = threeChats();
let gw: SharedGateway;
let plane: WorkerdPlaneWithAgent;

beforeAll(async () => {
  gw = sharedGateway();
  await gw.restoreHealthy();
  await Promise.all(chats.map((c) => c.start()));
  plane = await startWorkerdPlane({
    name: "chats-workers",
    secret: SECRET,
    botToken: BOT_TOKEN,
    adminToken: ADMIN_TOKEN,
    vars: { CLAWOPS_WATCH_INTERVAL_S: "0", ...Object.assign({}, ...chats.map((c) => c.env())) },
    agent: { host: HOST, env: { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin } },
  });
}, 420_000);

afterAll(async () => {
  await plane?.stop();
  await Promise.all(chats.map((c) => c.stop()));
  await gw?.restoreHealthy();
}, 120_000);

describe("a triage from each chat on Workers (workerd), answered by the real gateway", () => {
  it.each(chats.map((chat) => [chat.name, chat] as [string, ChatDriver]))(
    "%s: the signed command's thread ends with the gateway's matrix",
    async (_name, chat) => {
      await triageFlow(chat, plane.url, HOST, { version: gw.version, token: gw.token });
    },
  );
});
