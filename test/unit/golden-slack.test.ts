import { describe, expect, it } from "vitest";
import { toBlockKit } from "../../src/adapters/slack/render.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

/**
 * Slack Block Kit golden files, one per message kind: the exact `text` + `blocks` clawops
 * posts. Slack output is an invariant; a change here must be on purpose
 * (`npx vitest run --project unit -u test/unit/golden-slack.test.ts` rewrites them).
 */
const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

describe("Slack Block Kit goldens", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))("%s", async (name, make) => {
    const msg = toBlockKit(make());
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    await expect(pretty(msg)).toMatchFileSnapshot(`golden/${name}.golden.json`);
  });
});
