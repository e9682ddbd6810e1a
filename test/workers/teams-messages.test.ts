import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { generateKeyPair, importPKCS8, SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { scriptedHealthyResults } from "../support/evidence.ts";
import { HANG_MS, until } from "../support/until.ts";
import { connectScriptedAgent } from "./scripted-agent.ts";
import type { RecordedRequest } from "./signed-slack.ts";

/**
 * Teams' messaging endpoint inside workerd, through the Worker's real `fetch` export: activities
 * with a connector token signed RS256 (jose, in workerd) by the key the Bot Framework stand-in
 * publishes, the token verified in workerd against those keys, and the Bot Connector v3 calls of
 * the answer caught by the outbound recorder (vitest.workers.config.ts).
 */
const CHANNEL = "19:0123456789abcdef0123456789abcdef@thread.tacv2";
let seq = 1_700_000_000_000;

async function connectorToken(key?: CryptoKey): Promise<string> {
  const signer = key ?? (await importPKCS8(env.TEAMS_TEST_PRIVATE_KEY, "RS256"));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ serviceUrl: env.TEAMS_SERVICE_URL })
    .setProtectedHeader({ alg: "RS256", kid: "workers-teams-key", typ: "JWT" })
    .setIssuer("https://api.botframework.com")
    .setAudience(env.MICROSOFT_APP_ID)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + 3600)
    .sign(signer);
}

function activity(text: string) {
  const id = String(seq++);
  return {
    type: "message",
    id,
    serviceUrl: env.TEAMS_SERVICE_URL,
    channelId: "msteams",
    from: { id: "29:1user", aadObjectId: "11111111-2222-4333-8444-555555555555" },
    conversation: {
      id: `${CHANNEL};messageid=${id}`,
      conversationType: "channel",
      tenantId: env.MICROSOFT_APP_TENANT_ID,
    },
    text: `<at>clawops</at> ${text}`,
    channelData: { channel: { id: CHANNEL }, tenant: { id: env.MICROSOFT_APP_TENANT_ID } },
  };
}

async function send(body: unknown, authorization: string | null) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://clawops.example/teams/messages", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json<Record<string, unknown>>() };
}

const calls = async () => (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
const connectorCalls = async () => (await calls()).filter((c) => c.url.startsWith(env.TEAMS_SERVICE_URL));

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("Teams' messaging endpoint on the Workers runtime", () => {
  it("refuses an activity without a token, or with one another key signed, with 401 and posts nothing", async () => {
    expect((await send(activity("triage tnode-1"), null)).status).toBe(401);
    const { privateKey } = await generateKeyPair("RS256");
    expect((await send(activity("triage tnode-1"), `Bearer ${await connectorToken(privateKey)}`)).status).toBe(401);
    expect(await connectorCalls()).toEqual([]);
  });

  it("answers `@clawops help` in reply to the message, with the bot's token", async () => {
    const a = activity("help");
    const res = await send(a, `Bearer ${await connectorToken()}`);
    expect(res.status).toBe(200);
    const reply = (await connectorCalls()).find((c) => c.method === "POST");
    expect(reply?.url).toBe(
      `${env.TEAMS_SERVICE_URL}v3/conversations/${encodeURIComponent(a.conversation.id)}/activities/${a.id}`,
    );
    expect(reply?.body).toContain("triage");
  });

  it("a triage runs in the host's object and posts its header and reply chain with buttons to Bot Connector", async () => {
    const agent = await connectScriptedAgent("tnode-1", () => scriptedHealthyResults());
    try {
      const res = await send(activity("triage tnode-1"), `Bearer ${await connectorToken()}`);
      expect(res.status).toBe(200);
      const header = await until("the header, a new post in the channel", HANG_MS, async () =>
        (await connectorCalls()).find(
          (c) =>
            c.method === "POST" &&
            c.url === `${env.TEAMS_SERVICE_URL}v3/conversations/${encodeURIComponent(CHANNEL)}/activities`,
        ),
      );
      expect(header.body).toContain("tnode-1");
      const answer = await until("the answer with its buttons in the reply chain", HANG_MS, async () =>
        (await connectorCalls()).find(
          (c) => c.body.includes("Triage tnode-1") && c.body.includes('"title":"Run again"'),
        ),
      );
      expect(answer.url).toContain(encodeURIComponent(`${CHANNEL};messageid=`));
      await until("the progress edited in place", HANG_MS, async () =>
        (await connectorCalls()).find((c) => c.method === "PUT"),
      );
      expect((await calls()).filter((c) => c.url.startsWith(env.SLACK_API_URL))).toEqual([]);
    } finally {
      agent.socket.close(1000, "test over");
      const host = env.HOSTS.get(env.HOSTS.idFromName("tnode-1"));
      await until("the agent to be gone", HANG_MS, async () => !(await host.isOnline()), 50);
    }
  });
});
