import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../src/node/server.ts";
import { DiscordStandIn } from "../support/discord-standin.ts";
import { until } from "../support/harness.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";

/**
 * The Node control plane with Discord alone (no Slack): its real HTTP server and SQLite, the
 * route mounted by the start's wiring, a signed command answered through the stand-in's webhook,
 * and the console off (Discord takes its place, as Slack does).
 */
const APP_ID = "1200000000000000001";
const CHANNEL = "1200000000000000100";
const TOKEN = "discord-node-test-bot-token";
const keys = generateKeyPairSync("ed25519");
const publicKey = keys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");

let discord: DiscordStandIn;
let plane: NodePlane;
let cp: ControlPlane;

beforeAll(async () => {
  discord = new DiscordStandIn(TOKEN, APP_ID, [CHANNEL]);
  await discord.start();
  plane = await startNodePlane({
    name: "discord-node",
    authz: { actions: { freeze: { users: ["discord:1200000000000000300"] } } },
    config: {
      console: false,
      discord: { publicKey, applicationId: APP_ID, botToken: TOKEN, apiUrl: discord.url },
      recovery: { announceChannels: [] },
      watch: { intervalMs: 0 },
    },
  });
  cp = plane.cp;
});

afterAll(async () => {
  await plane?.close();
  await discord?.stop();
});

function signed(body: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    "content-type": "application/json",
    "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), keys.privateKey).toString("hex"),
    "x-signature-timestamp": timestamp,
  };
}

describe("Discord on the Node control plane", () => {
  it("serves POST /discord/interactions: a signed `/openclaw text:hosts` is deferred, then answered through the webhook", async () => {
    const token = discord.interaction();
    const body = JSON.stringify({
      id: "1250000000000000001",
      application_id: APP_ID,
      type: 2,
      token,
      version: 1,
      guild_id: "1200000000000000200",
      channel_id: CHANNEL,
      member: { user: { id: "1200000000000000300" } },
      data: { id: "1", name: "openclaw", type: 1, options: [{ name: "text", type: 3, value: "hosts" }] },
    });
    const res = await fetch(`${cp.url}/discord/interactions`, { method: "POST", headers: signed(body), body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 5, data: { flags: 64 } });
    const answer = await until("the edited answer", 10_000, () => discord.webhooks.get(token)?.original);
    expect(JSON.stringify(answer)).toContain("No hosts");
  });

  it("has no console while Discord takes its place", async () => {
    const res = await fetch(`${cp.url}/console`);
    expect(res.status).toBe(404);
  });
});
