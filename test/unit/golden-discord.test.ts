import { describe, expect, it } from "vitest";
import { DISCORD_LIMITS, toDiscord } from "../../src/adapters/discord/render.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

/**
 * Discord golden files, one per message kind: the exact body clawops sends to Discord's
 * create/edit message endpoints. A change here must be on purpose
 * (`npx vitest run --project unit -u test/unit/golden-discord.test.ts` rewrites them).
 * Each is also held to Discord's documented limits, which Discord enforces with a 400.
 */
const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

describe("Discord message goldens", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))("%s", async (name, make) => {
    const msg = toDiscord(make());
    expect(msg.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(msg.content.length + msg.embeds.length).toBeGreaterThan(0);
    expect(msg.embeds.length).toBeLessThanOrEqual(DISCORD_LIMITS.embeds);
    const embedChars = msg.embeds.reduce((n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0), 0);
    expect(embedChars).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    for (const e of msg.embeds) expect(e.description?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(msg.components.length).toBeLessThanOrEqual(DISCORD_LIMITS.rows);
    const ids = msg.components.flatMap((r) => r.components.map((b) => b.custom_id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(100);
    await expect(pretty(msg)).toMatchFileSnapshot(`golden/discord/${name}.golden.json`);
  });
});
