import { describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

/** Terminal text golden files, one per message kind: what `clawops` prints for each message. */
describe("terminal text goldens", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))("%s", async (name, make) => {
    await expect(`${messageToText(make())}\n`).toMatchFileSnapshot(`golden/text/${name}.golden.txt`);
  });
});
