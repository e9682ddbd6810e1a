import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { scriptedHealthyResults } from "../support/evidence.ts";
import { HANG_MS, until } from "../support/until.ts";
import { connectScriptedAgent } from "./scripted-agent.ts";
import type { RecordedRequest } from "./signed-slack.ts";

/**
 * Discord's interactions endpoint inside workerd, through the Worker's real `fetch` export:
 * requests signed here with WebCrypto Ed25519 (the private half of the run's key pair,
 * vitest.workers.config.ts), the signature checked by discord-interactions in workerd, and the
 * answers' webhook calls caught by the outbound recorder.
 */
const fromHex = (hex: string) => new Uint8Array(hex.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? []);
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

async function signedHeaders(body: string, timestamp = Math.floor(Date.now() / 1000)): Promise<Record<string, string>> {
  const key = await crypto.subtle.importKey(
    "pkcs8",
    fromHex(env.DISCORD_TEST_PRIVATE_KEY),
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("Ed25519", key, new TextEncoder().encode(`${timestamp}${body}`));
  return {
    "content-type": "application/json",
    "x-signature-ed25519": toHex(new Uint8Array(signature)),
    "x-signature-timestamp": String(timestamp),
  };
}

async function interact(body: string, headers: Record<string, string>) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://clawops.example/discord/interactions", { method: "POST", body, headers }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json<Record<string, unknown>>() };
}

const calls = async () => (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();

function command(text: string): string {
  return JSON.stringify({
    id: `12500000000000${Math.floor(Math.random() * 1e5)}`,
    application_id: env.DISCORD_APPLICATION_ID,
    type: 2,
    token: "workers-interaction-token",
    version: 1,
    guild_id: "1200000000000000200",
    channel_id: "1200000000000000100",
    member: { user: { id: "1200000000000000300" } },
    data: { id: "1", name: "openclaw", type: 1, options: [{ name: "text", type: 3, value: text }] },
  });
}

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("Discord interactions on the Workers runtime", () => {
  it("answers a signed PING with PONG", async () => {
    const body = JSON.stringify({
      id: "1",
      application_id: env.DISCORD_APPLICATION_ID,
      type: 1,
      token: "t",
      version: 1,
    });
    expect(await interact(body, await signedHeaders(body))).toEqual({ status: 200, body: { type: 1 } });
  });

  it("defers a signed `/openclaw text:help` and edits the answer in through the interaction's webhook", async () => {
    const body = command("help");
    const res = await interact(body, await signedHeaders(body));
    expect(res).toEqual({ status: 200, body: { type: 5, data: { flags: 64 } } });
    const edits = (await calls()).filter(
      (c) =>
        c.method === "PATCH" &&
        c.url.endsWith("/webhooks/1200000000000000001/workers-interaction-token/messages/@original"),
    );
    expect(edits).toHaveLength(1);
    const answer = JSON.parse(edits[0]?.body ?? "{}") as { embeds?: { title?: string; description?: string }[] };
    expect(JSON.stringify(answer.embeds)).toContain("/openclaw triage");
  });

  it("refuses a forged signature and a stale timestamp with 401 and calls nobody", async () => {
    const body = command("help");
    const forged = await interact(body.replace("help", "hosts"), await signedHeaders(body));
    expect(forged.status).toBe(401);
    const stale = await interact(body, await signedHeaders(body, Math.floor(Date.now() / 1000) - 600));
    expect(stale.status).toBe(401);
    expect((stale.body.error as { code: string }).code).toBe("stale_request");
    expect(await calls()).toEqual([]);
  });

  it("a signed `/openclaw text:triage dnode-1` runs in the host's object and posts the answer in a Discord thread", async () => {
    const agent = await connectScriptedAgent("dnode-1", () => scriptedHealthyResults());
    try {
      const body = command("triage dnode-1");
      const res = await interact(body, await signedHeaders(body));
      expect(res.body).toEqual({ type: 5, data: { flags: 64 } });
      const discordCalls = async () => (await calls()).filter((c) => c.url.startsWith(env.DISCORD_API_URL));
      const header = await until("the incident header in the channel", HANG_MS, async () =>
        (await discordCalls()).find(
          (c) => c.method === "POST" && c.url.endsWith("/channels/1200000000000000100/messages"),
        ),
      );
      expect(header.body).toContain("dnode-1");
      const answer = await until("the answer with its buttons in the thread", HANG_MS, async () =>
        (await discordCalls()).find(
          (c) =>
            /\/channels\/1300\d+\/messages(\/\d+)?$/.test(c.url) &&
            c.body.includes("Triage dnode-1") &&
            c.body.includes('"label":"Run again"'),
        ),
      );
      expect(answer.body).toContain("clawops_run:triage:dnode-1|triage dnode-1");
      expect((await discordCalls()).some((c) => /\/messages\/\d+\/threads$/.test(c.url))).toBe(true);
      // The progress message edited to its end in the thread (the job's last step), so the host's object is done.
      await until("the progress edited to finished", HANG_MS, async () =>
        (await discordCalls()).find(
          (c) =>
            c.method === "PATCH" && /\/channels\/1300\d+\/messages\/\d+$/.test(c.url) && c.body.includes("finished"),
        ),
      );
      // Nothing of it went to Slack.
      expect((await calls()).filter((c) => c.url.startsWith(env.SLACK_API_URL))).toEqual([]);
    } finally {
      // The host object notes its agent gone (and logs it) before the run ends.
      agent.socket.close(1000, "test over");
      const host = env.HOSTS.get(env.HOSTS.idFromName("dnode-1"));
      await until("the agent to be gone", HANG_MS, async () => !(await host.isOnline()), 50);
    }
  });
});
