import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { scriptedHealthyResults } from "../support/evidence.ts";
import { HANG_MS, until } from "../support/until.ts";
import { connectScriptedAgent } from "./scripted-agent.ts";
import type { RecordedRequest } from "./signed-slack.ts";

/**
 * Mattermost's slash command inside workerd, through the Worker's real `fetch` export: the
 * command's form with its token as Mattermost posts it, the token compared in workerd, and the
 * REST v4 calls of the answer caught by the outbound recorder (vitest.workers.config.ts).
 */
const CHANNEL = "chan0000000000000000000001";
const USER = "user0000000000000000000001";

function form(text: string, token = env.MATTERMOST_COMMAND_TOKEN): string {
  return new URLSearchParams({
    token,
    team_id: "team0000000000000000000001",
    channel_id: CHANNEL,
    user_id: USER,
    user_name: "op",
    command: "/openclaw",
    text,
    response_url: `${env.MATTERMOST_URL}/hooks/commands/hook0000000000000000000001`,
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
  }).toString();
}

async function command(body: string) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://clawops.example/mattermost/commands", {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json<Record<string, unknown>>() };
}

const calls = async () => (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
const mattermostCalls = async () => (await calls()).filter((c) => c.url.startsWith(env.MATTERMOST_URL));

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("Mattermost's slash command on the Workers runtime", () => {
  it("answers `/openclaw help` with the command's token, only to the person", async () => {
    const res = await command(form("help"));
    expect(res.status).toBe(200);
    expect(res.body.response_type).toBe("ephemeral");
    expect(String(res.body.text)).toContain("/openclaw triage");
  });

  it("refuses another token with 401 and calls nobody", async () => {
    const res = await command(form("triage mnode-1", "not-the-command-token"));
    expect(res.status).toBe(401);
    expect(await calls()).toEqual([]);
  });

  it("refuses a button press whose context clawops did not sign with 401, calling nobody", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://clawops.example/mattermost/actions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          user_id: USER,
          channel_id: CHANNEL,
          team_id: "team0000000000000000000001",
          post_id: "post0000000000000000000001",
          trigger_id: "trigger-forged",
          context: { a: "clawops_run:triage:mnode-1", v: "triage mnode-1", exp: 9_999_999_999, n: "n", s: "AAAA" },
        }),
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(401);
    expect(await calls()).toEqual([]);
  });

  it("a `/openclaw triage mnode-1` runs in the host's object and posts its thread (root_id) and buttons to Mattermost", async () => {
    const agent = await connectScriptedAgent("mnode-1", () => scriptedHealthyResults());
    try {
      const res = await command(form("triage mnode-1"));
      expect(String(res.body.text)).toContain("mnode-1");
      const header = await until("the header post in the channel", HANG_MS, async () =>
        (await mattermostCalls()).find(
          (c) => c.method === "POST" && c.url.endsWith("/api/v4/posts") && !c.body.includes('"root_id"'),
        ),
      );
      expect(header.body).toContain(`"channel_id":"${CHANNEL}"`);
      const answer = await until("the answer with its buttons in the thread", HANG_MS, async () =>
        (await mattermostCalls()).find(
          (c) => c.body.includes("Triage mnode-1") && c.body.includes('"name":"Run again"'),
        ),
      );
      // The buttons post back to this Worker, their context signed.
      expect(answer.body).toContain('"url":"https://clawops.example/mattermost/actions"');
      expect(answer.body).toMatch(/"s":"[A-Za-z0-9_-]{43}"/);
      expect((await mattermostCalls()).some((c) => c.body.includes('"root_id":"post'))).toBe(true);
      await until("the progress edited to finished", HANG_MS, async () =>
        (await mattermostCalls()).find(
          (c) => c.method === "PUT" && c.url.endsWith("/patch") && c.body.includes("finished"),
        ),
      );
      expect((await calls()).filter((c) => c.url.startsWith(env.SLACK_API_URL))).toEqual([]);
    } finally {
      agent.socket.close(1000, "test over");
      const host = env.HOSTS.get(env.HOSTS.idFromName("mnode-1"));
      await until("the agent to be gone", HANG_MS, async () => !(await host.isOnline()), 50);
    }
  });
});
