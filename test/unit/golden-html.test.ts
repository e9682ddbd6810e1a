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

  it("makes every bare URL a link, without its trailing punctuation, and leaves one in code as code (issue 33)", () => {
    expect(
      messageToHtml({
        text: "Download: https://cp.test/bundles/b_1?exp=9&sig=ab_cd. (see https://docs.test/x)",
        parts: [],
      }),
    ).toBe(
      '<div class="b-text">Download: <a href="https://cp.test/bundles/b_1?exp=9&amp;sig=ab_cd" target="_blank" rel="noopener noreferrer">https://cp.test/bundles/b_1?exp=9&amp;sig=ab_cd</a>. (see <a href="https://docs.test/x" target="_blank" rel="noopener noreferrer">https://docs.test/x</a>)</div>',
    );
    expect(messageToHtml({ text: "run `curl -fsSL https://cp.test/agent/install.sh | sh`", parts: [] })).toBe(
      '<div class="b-text">run <code>curl -fsSL https://cp.test/agent/install.sh | sh</code></div>',
    );
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
