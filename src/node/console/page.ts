import { readFileSync } from "node:fs";
import { ICON_SPRITE } from "../../adapters/console/icons.ts";

/**
 * The local console: one self-contained page (no external assets, so it works offline and
 * behind any proxy) that shows the messages the bot would post to Slack. Its parts are real
 * files beside this one — page.html, page.css, page.client.js and incidents.client.js (plain
 * browser JavaScript, no build step) — read once when the Node runtime loads this module and
 * inlined here. The server renders each message to HTML (src/adapters/console/html.ts, escaped by construction);
 * the script only places it in the channel and its threads, keeps the feed live and sends
 * button presses.
 */
const PARTS = {
  css: { file: "page.css", slot: "/* page.css */" },
  script: { file: "page.client.js", slot: "// page.client.js" },
  // The incident pages (issue 41, item 6): in the same <script> element, so the CSP's one hash covers both.
  incidents: { file: "incidents.client.js", slot: "// incidents.client.js" },
} as const;

/** Reads the page's files from `dir` (a file: URL ending in `/`) and inlines the CSS and the script. */
export function assembleConsolePage(dir: URL = new URL("./", import.meta.url)): string {
  const read = (file: string) => readFileSync(new URL(file, dir), "utf8");
  let html = read("page.html");
  for (const { file, slot } of Object.values(PARTS)) {
    const text = read(file);
    // Inlined text ends its element where it says `</style` or `</script`: refuse it, loudly.
    if (/<\/(style|script)/i.test(text)) throw new Error(`console page: ${file} must not contain a closing tag`);
    const at = html.indexOf(slot);
    if (at < 0 || html.indexOf(slot, at + 1) >= 0) throw new Error(`console page: page.html needs one ${slot}`);
    // Spliced, not String.replace: `$&` and friends in the script must stay as written.
    html = html.slice(0, at) + text.trimEnd() + html.slice(at + slot.length);
  }
  // The icons messages point at (src/adapters/console/icons.ts), once, at the top of the body.
  const icons = html.indexOf(ICONS_SLOT);
  if (icons < 0) throw new Error(`console page: page.html needs ${ICONS_SLOT}`);
  html = html.slice(0, icons) + ICON_SPRITE + html.slice(icons + ICONS_SLOT.length);
  return html;
}

const ICONS_SLOT = "<!-- icons -->";

export const CONSOLE_PAGE_HTML = assembleConsolePage();
