import { describe, expect, it } from "vitest";
import { MattermostCallError, MattermostClient } from "../../src/adapters/mattermost/client.ts";
import { toMattermost } from "../../src/adapters/mattermost/render.ts";

/**
 * The Mattermost client's waits and refusals, with the server's answers scripted and the sleep
 * recorded (no real waiting): which header a 429's wait comes from, what is not retried, and
 * that a refusal names the server's error id without the token.
 */
function client(answers: Response[]) {
  const waits: number[] = [];
  const seen: Request[] = [];
  const c = new MattermostClient({
    url: "https://chat.example.com/",
    token: "secret-bot-token",
    fetch: async (input, init) => {
      seen.push(new Request(input, init));
      const next = answers.shift();
      if (!next) throw new Error("no more answers");
      return next;
    },
    sleep: async (ms) => {
      waits.push(ms);
    },
    retry: { baseDelayMs: 100, maxDelayMs: 100 },
  });
  return { c, waits, seen };
}

const created = () => Response.json({ id: "post0000000000000000000001" }, { status: 201 });

describe("MattermostClient", () => {
  it("waits a 429's Retry-After, else its X-RateLimit-Reset, then calls again with the bot's Bearer token", async () => {
    const { c, waits, seen } = client([
      new Response("limit exceeded\n", { status: 429, headers: { "retry-after": "2", "x-ratelimit-reset": "5" } }),
      new Response("limit exceeded\n", { status: 429, headers: { "x-ratelimit-reset": "3" } }),
      created(),
    ]);
    const post = await c.json("POST", "/posts", { channel_id: "x", message: "m" });
    expect(post.id).toBe("post0000000000000000000001");
    expect(waits).toEqual([2000, 3000]);
    expect(seen.map((r) => r.url)).toEqual(Array(3).fill("https://chat.example.com/api/v4/posts"));
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer secret-bot-token");
  });

  it("does not retry Mattermost's considered refusal (403), and names its error id with what to do", async () => {
    const { c, waits } = client([
      Response.json(
        {
          id: "api.context.permissions.app_error",
          message: "You do not have the appropriate permissions.",
          status_code: 403,
        },
        { status: 403 },
      ),
    ]);
    const err = await c.json("POST", "/posts", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MattermostCallError);
    expect((err as Error).message).toContain("api.context.permissions.app_error");
    expect((err as Error).message).toContain("/invite @clawops");
    expect((err as Error).message).not.toContain("secret-bot-token");
    expect(waits).toEqual([]);
  });

  it("sends a command's response URL no bot token", async () => {
    const { c, seen } = client([new Response("", { status: 200 })]);
    await c.hook("https://chat.example.com/hooks/commands/abc", { text: "x" });
    expect(seen[0]?.headers.get("authorization")).toBeNull();
  });

  it("clips a post past Mattermost's 16,383 characters with a note instead of being refused", async () => {
    const post = await toMattermost({ text: "x", parts: [{ kind: "section", text: "y".repeat(20_000) }] }, null);
    expect(post.message.length).toBeLessThanOrEqual(16_383);
    expect(post.message).toContain("clipped");
  });
});
