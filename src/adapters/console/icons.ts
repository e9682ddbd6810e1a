/**
 * The console's icons: inline SVG the page ships, in place of the emoji clawops writes for
 * Slack (which draws its own emoji). A machine without an emoji font (most servers, many
 * minimal desktops) shows emoji as empty boxes; these draw everywhere. Each icon is an
 * `<svg role="img">` with an accessible label, so a screen reader says "failing", not
 * "large red circle".
 *
 * Only text is iconized: code (`…`, ```…```) keeps what the host printed, and attribute
 * values (a confirm dialog's text, a message's label) keep the emoji as characters.
 */

interface Icon {
  label: string;
  /** The SVG's inner markup on a 16×16 grid. */
  body: string;
}

const circle = (fill: string, stroke = fill) =>
  `<circle cx="8" cy="8" r="6.5" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`;
const GREEN = "#2e9e5b";
const AMBER = "#e0a200";
const RED = "#d93a3a";
const GREY = "#8a8f98";
const BLUE = "#3b82c4";

const ICONS: Record<string, Icon> = {
  "🟢": { label: "ok", body: circle(GREEN) },
  "🟡": { label: "warning", body: circle(AMBER) },
  "🔴": { label: "failing", body: circle(RED) },
  "⚪": { label: "not known", body: circle("#ffffff", GREY) },
  "⚫": { label: "offline", body: circle("#2b2b2b") },
  "🟠": { label: "acknowledged", body: circle("#e8762c") },
  "⏪": {
    label: "rolled back",
    body: `<path d="M8 3.5L2 8l6 4.5zM14.5 3.5L8.5 8l6 4.5z" fill="${BLUE}"/>`,
  },
  "⏸": {
    label: "not tried",
    body: `<rect x="3.5" y="3" width="3" height="10" rx="0.6" fill="${GREY}"/><rect x="9.5" y="3" width="3" height="10" rx="0.6" fill="${GREY}"/>`,
  },
  "✅": {
    label: "passed",
    body: `<rect x="1" y="1" width="14" height="14" rx="3" fill="${GREEN}"/><path d="M4.2 8.3l2.5 2.5 5-5.2" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>`,
  },
  "❌": {
    label: "error",
    body: `<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" stroke="${RED}" stroke-width="2.6" stroke-linecap="round"/>`,
  },
  "✖": {
    label: "stopped",
    body: `<path d="M4 4l8 8M12 4l-8 8" stroke="${GREY}" stroke-width="2.4" stroke-linecap="round"/>`,
  },
  "⚠": {
    label: "warning",
    body: `<path d="M8 1.5l7 12.5H1z" fill="${AMBER}" stroke="${AMBER}" stroke-linejoin="round"/><path d="M8 6v4" stroke="#222" stroke-width="1.8" stroke-linecap="round"/><circle cx="8" cy="12.2" r="1" fill="#222"/>`,
  },
  "⛔": {
    label: "refused",
    body: `${circle(RED)}<rect x="3.8" y="7" width="8.4" height="2" rx="0.5" fill="#fff"/>`,
  },
  "🛑": {
    label: "stop",
    body: `<path d="M5.2 1h5.6L15 5.2v5.6L10.8 15H5.2L1 10.8V5.2z" fill="${RED}"/><rect x="4" y="7" width="8" height="2" fill="#fff"/>`,
  },
  "⏳": {
    label: "running",
    body: `<path d="M4 1.5h8M4 14.5h8M5 1.5c0 4 6 4.5 6 6.5s-6 2.5-6 6.5M11 1.5c0 4-6 4.5-6 6.5s6 2.5 6 6.5" fill="none" stroke="${GREY}" stroke-width="1.4"/><path d="M6.3 13.3L8 11l1.7 2.3z" fill="${AMBER}"/>`,
  },
  "📅": {
    label: "calendar",
    body: `<rect x="2" y="3" width="12" height="11" rx="1.5" fill="#ffffff" stroke="${GREY}" stroke-width="1.4"/><path d="M2 6.5h12" stroke="${RED}" stroke-width="2"/><path d="M5 1.5v3M11 1.5v3" stroke="${GREY}" stroke-width="1.4" stroke-linecap="round"/>`,
  },
  "🧩": {
    label: "plugin",
    body: `<path d="M3 5h3a1.5 1.5 0 1 1 3 0h3v3a1.5 1.5 0 1 1 0 3v3H3z" fill="${BLUE}"/>`,
  },
  "📣": {
    label: "escalation",
    body: `<path d="M2 6.5h3l6-3.5v10l-6-3.5H2z" fill="${AMBER}"/><path d="M5 9.5l1 4h2l-1-4" fill="${GREY}"/><path d="M13 6.5a2.5 2.5 0 0 1 0 3" fill="none" stroke="${AMBER}" stroke-width="1.4" stroke-linecap="round"/>`,
  },
  "🐞": {
    label: "known issue",
    body: `<ellipse cx="8" cy="9" rx="4.5" ry="5.2" fill="${RED}"/><path d="M8 4v10" stroke="#222" stroke-width="1"/><circle cx="8" cy="3.6" r="2" fill="#222"/><circle cx="6" cy="8" r="0.9" fill="#222"/><circle cx="10" cy="10.5" r="0.9" fill="#222"/>`,
  },
  "⬆": {
    label: "upgrade",
    body: `<path d="M8 2l5.5 6H10v6H6V8H2.5z" fill="${BLUE}"/>`,
  },
  "🔁": {
    label: "flapping",
    body: `<path d="M3 7a5 5 0 0 1 8.5-3.5M13 9a5 5 0 0 1-8.5 3.5" fill="none" stroke="${BLUE}" stroke-width="1.6" stroke-linecap="round"/><path d="M11.8 1.2v2.8H9M4.2 14.8V12H7" fill="none" stroke="${BLUE}" stroke-width="1.6" stroke-linecap="round"/>`,
  },
  "📋": {
    label: "list",
    body: `<rect x="3" y="2.5" width="10" height="12" rx="1.5" fill="#ffffff" stroke="${GREY}" stroke-width="1.4"/><path d="M6 2.5h4v2H6zM5.5 7.5h5M5.5 10h5M5.5 12.5h3" fill="none" stroke="${GREY}" stroke-width="1.2"/>`,
  },
  "⌛": {
    label: "expired",
    body: `<path d="M4 1.5h8M4 14.5h8M5 1.5c0 4 6 4.5 6 6.5s-6 2.5-6 6.5M11 1.5c0 4-6 4.5-6 6.5s6 2.5 6 6.5" fill="none" stroke="${GREY}" stroke-width="1.4"/><path d="M5.8 13.8L8 10.5l2.2 3.3z" fill="${GREY}"/>`,
  },
  "⏱": {
    label: "timed out",
    body: `<circle cx="8" cy="9" r="5.8" fill="none" stroke="${GREY}" stroke-width="1.6"/><path d="M8 9V5.6M6.5 1.5h3" stroke="${GREY}" stroke-width="1.6" stroke-linecap="round"/>`,
  },
  "🧊": {
    label: "frozen",
    body: `<rect x="2" y="2" width="12" height="12" rx="2.5" fill="#bfe3f7" stroke="${BLUE}" stroke-width="1.2"/><path d="M5 5.5h3" stroke="#fff" stroke-width="1.4" stroke-linecap="round"/>`,
  },
  "📦": {
    label: "bundle",
    body: `<path d="M2 5l6-3 6 3v7l-6 3-6-3z" fill="#c8955a" stroke="#8a5a2b" stroke-width="1"/><path d="M2 5l6 3 6-3M8 8v7" fill="none" stroke="#8a5a2b" stroke-width="1"/>`,
  },
  "🛠": {
    label: "fix",
    body: `<path d="M10.5 1.8a3.5 3.5 0 0 0-3.3 4.6L2 11.6 4.4 14l5.2-5.2a3.5 3.5 0 0 0 4.6-3.3l-2 1.4-2-.6-.6-2z" fill="${GREY}"/>`,
  },
  "🔒": {
    label: "locked",
    body: `<rect x="3" y="7" width="10" height="8" rx="1.5" fill="${AMBER}"/><path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="${GREY}" stroke-width="1.6"/>`,
  },
  "🔐": {
    label: "key",
    body: `<rect x="3" y="7" width="10" height="8" rx="1.5" fill="${AMBER}"/><path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="${GREY}" stroke-width="1.6"/><circle cx="8" cy="11" r="1.3" fill="#222"/>`,
  },
  "🔎": {
    label: "probing",
    body: `<circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="${BLUE}" stroke-width="1.8"/><path d="M10 10l4.5 4.5" stroke="${BLUE}" stroke-width="2.2" stroke-linecap="round"/>`,
  },
  "💥": {
    label: "lost",
    body: `<path d="M8 .8l1.6 4 4-1.6-1.7 4 3.3 1.6-3.9 1.2 1 4-3.5-2.3L5.6 15l.2-4L1.6 10l3.5-2L3 4l4 1.3z" fill="#f08c2e"/>`,
  },
  "🚨": {
    label: "incident",
    body: `<path d="M3.5 12V8.5a4.5 4.5 0 0 1 9 0V12z" fill="${RED}"/><rect x="2" y="12" width="12" height="2.5" rx="0.8" fill="${GREY}"/><path d="M8 1v1.6M2.3 3.3l1.1 1.1M13.7 3.3l-1.1 1.1" stroke="${AMBER}" stroke-width="1.4" stroke-linecap="round"/>`,
  },
  "🔄": {
    label: "again",
    body: `<path d="M13 6.5A5.2 5.2 0 0 0 3.3 5M3 9.5A5.2 5.2 0 0 0 12.7 11" fill="none" stroke="${BLUE}" stroke-width="1.8" stroke-linecap="round"/><path d="M13.6 2.6v4.2H9.4M2.4 13.4V9.2h4.2" fill="none" stroke="${BLUE}" stroke-width="1.8" stroke-linejoin="round"/>`,
  },
  "🎫": {
    label: "ticket",
    body: `<path d="M1.5 4.5h13v2.2a1.5 1.5 0 0 0 0 2.6v2.2h-13V9.3a1.5 1.5 0 0 0 0-2.6z" fill="${AMBER}"/><path d="M10.5 4.5v7" stroke="#fff" stroke-width="1" stroke-dasharray="1.2 1"/>`,
  },
  "▫": {
    label: "not run",
    body: `<rect x="4.5" y="4.5" width="7" height="7" rx="1" fill="#fff" stroke="${GREY}" stroke-width="1.3"/>`,
  },
  "⏭": {
    label: "skipped",
    body: `<path d="M2 3.5l5.5 4.5L2 12.5zM7.5 3.5L13 8l-5.5 4.5z" fill="${GREY}"/><rect x="13" y="3.5" width="1.6" height="9" fill="${GREY}"/>`,
  },
  "🗓": {
    label: "scheduled",
    body: `<rect x="1.5" y="2.5" width="13" height="12" rx="1.5" fill="#fff" stroke="${GREY}" stroke-width="1.2"/><rect x="1.5" y="2.5" width="13" height="3.5" fill="${RED}"/><path d="M4.5 1v3M11.5 1v3" stroke="${GREY}" stroke-width="1.4" stroke-linecap="round"/><path d="M4 8.5h2M7 8.5h2M10 8.5h2M4 11.5h2M7 11.5h2" stroke="${GREY}" stroke-width="1.2"/>`,
  },
  "⏰": {
    label: "soon",
    body: `<circle cx="8" cy="9" r="5.5" fill="#fff" stroke="${AMBER}" stroke-width="1.6"/><path d="M8 6v3l2 1.5" fill="none" stroke="#222" stroke-width="1.4" stroke-linecap="round"/><path d="M2 4l2.5-2.2M14 4l-2.5-2.2" stroke="${AMBER}" stroke-width="1.6" stroke-linecap="round"/>`,
  },
  ℹ: {
    label: "info",
    body: `${circle(BLUE)}<circle cx="8" cy="4.8" r="1.1" fill="#fff"/><rect x="7.1" y="6.8" width="1.8" height="5.2" rx="0.6" fill="#fff"/>`,
  },
  "🔥": {
    label: "firing",
    body: `<path d="M8 1c.6 2.6 4.8 4.4 4.8 8.4A4.8 4.8 0 0 1 3.2 9.6c0-2 1.1-3.2 2-4 .1 1.4.7 2.3 1.5 2.6C6.2 5.6 7.2 2.8 8 1z" fill="#f08c2e"/><path d="M8 8.2c.3 1.2 2.2 2 2.2 3.8a2.2 2.2 0 0 1-4.4 0c0-1 .5-1.6 1-2 .1.6.4 1 .8 1.1-.2-1.1.1-2.2.4-2.9z" fill="${AMBER}"/>`,
  },
  "⬜": {
    label: "open",
    body: `<rect x="2" y="2" width="12" height="12" rx="2.5" fill="#fff" stroke="${GREY}" stroke-width="1.5"/>`,
  },
  "💬": {
    label: "message",
    body: `<path d="M2 3.5A1.5 1.5 0 0 1 3.5 2h9A1.5 1.5 0 0 1 14 3.5v6a1.5 1.5 0 0 1-1.5 1.5H7l-3.5 3v-3A1.5 1.5 0 0 1 2 9.5z" fill="#fff" stroke="${BLUE}" stroke-width="1.4" stroke-linejoin="round"/><path d="M5 5.5h6M5 8h4" stroke="${BLUE}" stroke-width="1.2" stroke-linecap="round"/>`,
  },
  "📌": {
    label: "key moment",
    body: `<path d="M6 1.5h4l-.6 4 2.6 2.5H4l2.6-2.5z" fill="${RED}" stroke="${RED}" stroke-linejoin="round"/><path d="M8 8v6.5" stroke="${GREY}" stroke-width="1.6" stroke-linecap="round"/>`,
  },
  "🔘": {
    label: "buttons",
    body: `${circle("#ffffff", GREY)}<circle cx="8" cy="8" r="3.2" fill="${GREY}"/>`,
  },
  "✋": {
    label: "waiting for approval",
    body: `${circle(AMBER)}<rect x="5.2" y="4" width="5.6" height="8" rx="1.4" fill="#fff"/>`,
  },
  "🧪": {
    label: "checking",
    body: `<path d="M6 1.8h4M6.8 1.8v4.6L3.2 12.6A1.1 1.1 0 0 0 4.1 14.2h7.8a1.1 1.1 0 0 0 .9-1.6L9.2 6.4V1.8" fill="#fff" stroke="${BLUE}" stroke-width="1.4" stroke-linejoin="round"/><path d="M4.6 10.2h6.8l1.4 2.4a1.1 1.1 0 0 1-.9 1.6H4.1a1.1 1.1 0 0 1-.9-1.6z" fill="${BLUE}"/>`,
  },
  "↩": {
    label: "rolled back",
    body: `${circle(AMBER)}<path d="M10.8 11.2V8.6A2 2 0 0 0 8.8 6.6H5.4" fill="none" stroke="#fff" stroke-width="1.6" stroke-linecap="round"/><path d="M7 4.6L4.8 6.6 7 8.6" fill="none" stroke="#fff" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>`,
  },
  "🚫": {
    label: "not done",
    body: `<circle cx="8" cy="8" r="5.8" fill="#fff" stroke="${RED}" stroke-width="1.8"/><path d="M4 12L12 4" stroke="${RED}" stroke-width="1.8"/>`,
  },
  "📎": {
    label: "attached",
    body: `<path d="M10.5 4.5L5.6 9.4a1.3 1.3 0 0 0 1.8 1.8l5.1-5.1a2.6 2.6 0 0 0-3.7-3.7L3.6 7.6a3.9 3.9 0 0 0 5.5 5.5l4.4-4.4" fill="none" stroke="${GREY}" stroke-width="1.5" stroke-linecap="round"/>`,
  },
};

/** Any emoji-like character left (one clawops does not write today): a neutral dot, labelled so. */
const FALLBACK: Icon = { label: "symbol", body: circle("#ffffff", GREY) };

const ids = new Map<Icon, string>([...Object.values(ICONS), FALLBACK].map((icon, i) => [icon, `icon-${i}`]));

/**
 * The icons once, as an SVG sprite of `<symbol>`s: the console page includes it (page.ts),
 * and each icon in a message is a small `<svg><use href="#icon-N"/></svg>` pointing at it.
 * Hidden by page.css's `.icon-sprite`, not a style attribute: the page's CSP allows none.
 */
export const ICON_SPRITE = `<svg xmlns="http://www.w3.org/2000/svg" class="icon-sprite" aria-hidden="true">${[...ids]
  .map(([icon, id]) => `<symbol id="${id}" viewBox="0 0 16 16">${icon.body}</symbol>`)
  .join("")}</svg>`;

function svg(icon: Icon): string {
  return `<svg class="icon" role="img" aria-label="${icon.label}"><use href="#${ids.get(icon)}"/></svg>`;
}

/**
 * The emoji of a message: a pictographic character with its variation selector, or a known
 * text-style symbol. ©, ® and ™ stay characters (every font has them).
 */
const EMOJI = /(?![\u00a9\u00ae\u2122])(?:\p{Extended_Pictographic}|\u2139)\ufe0f?/gu;

/** HTML text (already escaped) with each emoji drawn as the page's SVG icon. */
export function iconize(html: string): string {
  return html.replace(EMOJI, (match) => svg(ICONS[match.replace(/\ufe0f$/, "")] ?? FALLBACK));
}

/** The label each icon is read as (for tests and the docs). */
export function iconLabel(emoji: string): string | undefined {
  return ICONS[emoji.replace(/\ufe0f$/, "")]?.label;
}

/**
 * An emoji as a reference into the page's sprite: the symbol's id and the label it is read as.
 * For views the page builds itself from JSON (the incident pages), with no server-made HTML.
 */
export function iconRef(emoji: string): { symbol: string; label: string } {
  const icon = ICONS[emoji.replace(/\ufe0f$/, "")] ?? FALLBACK;
  return { symbol: ids.get(icon) ?? "", label: icon.label };
}
