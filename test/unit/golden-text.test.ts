import { describe, expect, it } from "vitest";
import { blocksToText } from "../../src/node/cli/blocks-to-text.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

/** Terminal text golden files, one per message kind: what `clawops` prints for each message. */
describe("terminal text goldens", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))("%s", async (name, make) => {
    const msg = make();
    await expect(`${blocksToText(msg.blocks, msg.text)}\n`).toMatchFileSnapshot(`golden/text/${name}.golden.txt`);
  });
});
