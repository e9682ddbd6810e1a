import { describe, expect, it } from "vitest";
import { messageToHtml } from "../../src/adapters/console/html.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

/** Console page HTML golden files, one per message kind: what the page inserts for each message. */
describe("console HTML goldens", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))("%s", async (name, make) => {
    // One part per line, so a diff shows which part changed.
    const html = messageToHtml(make()).replace(
      /(<\/(?:div|h3|article)>|<hr class="b-divider">)(?=<(?:div|h3|hr|article))/g,
      "$1\n",
    );
    await expect(`${html}\n`).toMatchFileSnapshot(`golden/html/${name}.golden.html`);
  });

  it("renders a message without parts from its text, and escapes everything it quotes", () => {
    expect(messageToHtml({ text: "*polled* <b>x</b> &amp;", parts: [] })).toBe(
      '<div class="b-text"><strong>polled</strong> &lt;b&gt;x&lt;/b&gt; &amp;</div>',
    );
    expect(messageToHtml({ text: "", parts: [{ kind: "header", text: '<img src=x onerror="a">' }] })).toBe(
      '<h3 class="b-header">&lt;img src=x onerror=&quot;a&quot;&gt;</h3>',
    );
  });
});
