import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackCallError, SlackClient } from "../../src/adapters/slack/client.ts";
import { slackUserGroupResolver } from "../../src/adapters/slack/usergroups.ts";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import { quietLogger } from "../support/harness.ts";
import { type SlackFault, SlackStandIn } from "../support/slack-standin.ts";

/** The one Slack client: what it retries, what it does not, and its budget (loopback stand-in). */
const BOT_TOKEN = "xoxb-client-test-token";
let slack: SlackStandIn;

beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  slack.extraMethods.set("usergroups.users.list", () => ({ ok: true, users: ["U1", "U2"] }));
  await slack.start();
});
afterAll(() => slack.stop());

/** Waits recorded at full length, slept at 1/100; the client's clock counts them in full. */
function timing() {
  const waits: number[] = [];
  let waited = 0;
  return {
    waits,
    now: () => Date.now() + waited,
    sleep: (ms: number) => {
      waits.push(ms);
      waited += ms;
      return new Promise<void>((r) => setTimeout(r, Math.ceil(ms / 100)));
    },
  };
}
const quiet = quietLogger;
const chatWith = (t: ReturnType<typeof timing>, budgetMs = 30_000) =>
  new SlackWebApiChat({ token: BOT_TOKEN, apiUrl: slack.url, logger: quiet, retry: { budgetMs }, ...t });
const msg = (channel: string) => ({ channel, text: "hello", parts: [{ kind: "section" as const, text: "hello" }] });

describe("SlackClient", () => {
  it("retries a 5xx, a reset and a 429 (after its Retry-After) and then succeeds", async () => {
    const t = timing();
    slack.failNext(
      "chat.postMessage",
      { kind: "http", status: 503 },
      { kind: "reset" },
      { kind: "ratelimited", retryAfterS: 3 },
    );
    const { ts } = await chatWith(t).postMessage(msg("C0RETRY"));
    expect(slack.topLevel("C0RETRY").map((m) => m.ts)).toEqual([ts]);
    expect(t.waits).toHaveLength(3);
    expect(t.waits[2]).toBe(3_000);
    // Backoff with jitter: half to full of 0.5 s, then of 1 s.
    expect(t.waits[0]).toBeGreaterThanOrEqual(250);
    expect(t.waits[0]).toBeLessThanOrEqual(500);
    expect(t.waits[1]).toBeGreaterThanOrEqual(500);
    expect(t.waits[1]).toBeLessThanOrEqual(1_000);
  });

  it("does not retry Slack's ok:false answers; the error names Slack's code and the fix", async () => {
    const t = timing();
    slack.channelErrors.set("C0OUT", "not_in_channel");
    const err = await chatWith(t)
      .postMessage(msg("C0OUT"))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackCallError);
    expect((err as SlackCallError).code).toBe("slack_api");
    expect((err as SlackCallError).slackError).toBe("not_in_channel");
    expect((err as SlackCallError).transient).toBe(false);
    expect((err as Error).message).toContain("/invite @clawops");
    expect(t.waits).toEqual([]);

    const bad = new SlackClient({ token: "xoxb-wrong", apiUrl: slack.url, ...t });
    const auth = await bad.api("chat.postMessage", { channel: "C1", text: "x" }).catch((e: unknown) => e);
    expect((auth as SlackCallError).slackError).toBe("invalid_auth");
    expect((auth as Error).message).toContain("SLACK_BOT_TOKEN");
    expect(t.waits).toEqual([]);
    slack.violations.length = 0; // the wrong token was on purpose
  });

  it("a try the budget cuts short is reported with the failure before it, not as the only cause", async () => {
    // Slack answers 503, then the next try hangs until the budget ends it (a loaded or slow link):
    // the person is told it was Slack failing (HTTP 503), not only that time ran out.
    let calls = 0;
    const hanging: typeof fetch = (_url, init) => {
      calls += 1;
      if (calls === 1) return Promise.resolve(new Response("upstream down", { status: 503 }));
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true });
      });
    };
    const client = new SlackClient({
      token: BOT_TOKEN,
      apiUrl: slack.url,
      fetch: hanging,
      retry: { budgetMs: 600, baseDelayMs: 20, maxDelayMs: 20 },
    });
    const err = await client.api("chat.postMessage", { channel: "C1", text: "x" }).catch((e: unknown) => e);
    expect(calls).toBe(2);
    expect((err as SlackCallError).transient).toBe(true);
    expect((err as SlackCallError).slackError).toBe("http_503");
    expect((err as Error).message).toMatch(
      /chat\.postMessage failed after 2 attempts in [\d.]+ s: HTTP 503, then the call budget ran out\./,
    );
  });

  it("gives up when the next wait would pass the budget, and says it kept failing", async () => {
    const t = timing();
    slack.failNext("chat.update", ...Array.from({ length: 40 }, () => ({ kind: "http", status: 502 }) as SlackFault));
    const started = slack.faultsServed.length;
    const err = await chatWith(t, 5_000)
      .updateMessage({ ...msg("C0X"), ts: "1.1" })
      .catch((e: unknown) => e);
    slack.faults.delete("chat.update");
    expect((err as SlackCallError).transient).toBe(true);
    expect((err as SlackCallError).slackError).toBe("http_502");
    expect((err as Error).message).toMatch(/chat\.update failed after \d+ attempts in [\d.]+ s: HTTP 502/);
    expect(t.waits.reduce((a, b) => a + b, 0)).toBeLessThan(5_000);
    expect(slack.faultsServed.length - started).toBe(t.waits.length + 1);
  });

  it("a Retry-After longer than the budget fails at once instead of sleeping past it", async () => {
    const t = timing();
    slack.failNext("chat.postMessage", { kind: "ratelimited", retryAfterS: 60 });
    const err = await chatWith(t, 10_000)
      .postMessage(msg("C0LONG"))
      .catch((e: unknown) => e);
    expect((err as SlackCallError).slackError).toBe("ratelimited");
    expect(t.waits).toEqual([]);
  });

  it("the upload flow and user-group lookups retry like every other call", async () => {
    const t = timing();
    const chat = chatWith(t);
    const { ts } = await chat.postMessage(msg("C0UP"));
    slack.failNext("files.getUploadURLExternal", { kind: "ratelimited", retryAfterS: 1 });
    slack.failNext("upload", { kind: "reset" });
    slack.failNext("files.completeUploadExternal", { kind: "http", status: 500 });
    const since = slack.uploads.size;
    await chat.uploadFile({
      channel: "C0UP",
      threadTs: ts,
      filename: "b.zip",
      title: "bundle",
      bytes: new Uint8Array([1, 2, 3]),
      initialComment: "here",
    });
    const up = await slack.waitForUpload(since, 1_000, "upload");
    expect(up.bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(t.waits).toHaveLength(3);
    expect(t.waits[0]).toBe(1_000);

    slack.failNext("usergroups.users.list", { kind: "ratelimited", retryAfterS: 2 }, { kind: "http", status: 503 });
    const client = new SlackClient({ token: BOT_TOKEN, apiUrl: slack.url, ...t });
    const users = await slackUserGroupResolver({ token: BOT_TOKEN, apiUrl: slack.url, client })("S0ONCALL");
    expect(users).toEqual(["U1", "U2"]);
    expect(t.waits[3]).toBe(2_000);
    expect(slack.violations).toEqual([]);
  });
});
