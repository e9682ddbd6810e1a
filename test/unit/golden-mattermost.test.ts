import { describe, expect, it } from "vitest";
import { ActionSigner } from "../../src/adapters/mattermost/context.ts";
import { MATTERMOST_LIMITS, toMattermost } from "../../src/adapters/mattermost/render.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

/**
 * Mattermost golden files, one per message kind: the exact post body clawops sends to
 * `POST /api/v4/posts` and `PUT /api/v4/posts/{id}/patch`, buttons signed with a fixed key,
 * clock and nonce so the bytes are stable. A change here must be on purpose
 * (`npx vitest run --project unit -u test/unit/golden-mattermost.test.ts` rewrites them).
 * Each is also held to what Mattermost enforces: 16,383 characters a post, action ids of
 * letters and digits only (the press comes back through `/posts/{id}/actions/{action id}`).
 */
const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const signer = new ActionSigner("golden-bot-token", { nowSeconds: () => 1_764_000_000, nonce: () => "goldennonce" });
const buttons = { url: "https://clawops.example/mattermost/actions", signer };

describe("Mattermost message goldens", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))("%s", async (name, make) => {
    const post = await toMattermost(make(), buttons);
    expect(post.message.length).toBeGreaterThan(0);
    expect(post.message.length).toBeLessThanOrEqual(MATTERMOST_LIMITS.message);
    const actions = post.props.attachments.flatMap((a) => a.actions);
    const ids = actions.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const a of actions) {
      expect(a.id).toMatch(/^[A-Za-z0-9]+$/);
      expect((await signer.check(a.integration.context)).ok).toBe(true);
    }
    await expect(pretty(post)).toMatchFileSnapshot(`golden/mattermost/${name}.golden.json`);
  });
});
