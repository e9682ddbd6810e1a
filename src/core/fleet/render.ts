import { actions, clip, context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { commandButton } from "../messages/buttons.ts";
import { ago } from "../messages/format.ts";
import type { Message, Part } from "../messages/model.ts";
import type { FleetHostState, FleetRow } from "../ports/fleet.ts";
import { LAYER_LABELS, type LayerStatus } from "../vocabulary/layers.ts";
import type { FleetReport } from "./fleet.ts";
import { describeSelector } from "./fleet.ts";

/**
 * The fleet matrix: one row per host (layer icons, then name and the worst reason), worst
 * first, with counts. Slack caps a message at 50 parts and a section text at 3000
 * characters, so a large fleet shows the worst MAX_ROWS rows and says how many it left out.
 */
export const MAX_FLEET_ROWS = 60;
const SECTION_CHARS = 2900;

const CELL: Record<LayerStatus, string> = { ok: "🟢", warn: "🟡", fail: "🔴", unknown: "⚪" };
const STATE_LABEL: Record<FleetHostState, string> = {
  fail: "🔴 fail",
  "no-answer": "⏱️ no answer",
  offline: "⚫ offline",
  warn: "🟡 warn",
  ok: "🟢 ok",
  stale: "⌛ stale",
  unwatched: "◌ not watched",
};
/** Placeholder cells for hosts without a matrix. */
const BLANK: Record<FleetHostState, string> = {
  fail: "",
  warn: "",
  ok: "",
  "no-answer": "⏱️",
  offline: "⚫",
  stale: "⌛",
  unwatched: "◌",
};
const NO_MATRIX = new Set<FleetHostState>(["no-answer", "offline", "stale", "unwatched"]);

export function renderFleetStatus(r: FleetReport): Message {
  const total = r.rows.length;
  const what = describeSelector(r.selector);
  const c = r.counts;
  const watched = [c.stale ? ` · ${c.stale} stale` : "", c.unwatched ? ` · ${c.unwatched} not watched` : ""].join("");
  const summary = `${total} host${total === 1 ? "" : "s"}: ${c.ok} ok · ${c.warn} warn · ${c.fail} fail · ${c["no-answer"]} no answer · ${c.offline} offline${watched}`;
  const text = `Fleet status (${what}): ${summary}`;
  const parts: Part[] = [header(`Fleet status: ${what}`), section(`*${escapeMrkdwn(summary)}*`)];
  if (total === 0) {
    parts.push(section("No enrolled host matches. See `/openclaw hosts` for names; set tags with `/openclaw tag`."));
    return { text, parts };
  }
  const columns = r.columns.map((l) => LAYER_LABELS[l]).join(" · ") || "(no layer answered)";
  const probe = r.source === "watch" ? "the agents' watch (quick probe)" : "quick probe only";
  parts.push(context(`Columns: ${escapeMrkdwn(columns)} · 🟢 ok 🟡 warn 🔴 fail ⚪ not known · ${probe}`));

  const shown = r.rows.slice(0, MAX_FLEET_ROWS);
  let chunk: string[] = [];
  let size = 0;
  for (const row of shown) {
    const line = renderRow(r, row);
    if (size + line.length + 1 > SECTION_CHARS && chunk.length > 0) {
      parts.push(section(chunk.join("\n")));
      chunk = [];
      size = 0;
    }
    chunk.push(line);
    size += line.length + 1;
  }
  if (chunk.length > 0) parts.push(section(chunk.join("\n")));

  const hidden = r.rows.slice(MAX_FLEET_ROWS);
  const notes: string[] = [];
  if (hidden.length > 0) {
    const byState = new Map<FleetHostState, number>();
    for (const h of hidden) byState.set(h.state, (byState.get(h.state) ?? 0) + 1);
    const parts = [...byState].map(([s, n]) => `${n} ${STATE_LABEL[s].split(" ").slice(1).join(" ")}`);
    notes.push(
      `Showing the worst ${shown.length} of ${total} hosts; ${hidden.length} more not listed (${parts.join(", ")}). Narrow with a pattern or tag, or \`/openclaw triage <host>\`.`,
    );
  }
  notes.push(
    r.source === "watch"
      ? `from the watch: each row's state as its agent last reported it · read in ${(r.elapsedMs / 1000).toFixed(2)} s · \`status … --live\` probes now · \`/openclaw triage <host>\` for every layer`
      : `deadline ${(r.deadlineMs / 1000).toFixed(1)} s · answered in ${(r.elapsedMs / 1000).toFixed(2)} s · run \`/openclaw triage <host>\` for every layer`,
  );
  parts.push(context(...notes));
  parts.push(...triageButtons(r.rows.filter((row) => row.state === "fail").map((row) => row.host)));
  return { text, parts };
}

/** Slack's limits: 25 elements in an actions block, 50 blocks in a message (the matrix keeps ≤ 15). */
const BUTTONS_PER_BLOCK = 25;
export const MAX_TRIAGE_BUTTONS = 50;

/**
 * A *Triage* button for each failing host, worst first, 25 to a row of buttons; past
 * MAX_TRIAGE_BUTTONS the rest are left off, and the message says how many.
 */
function triageButtons(failing: readonly string[]): Part[] {
  if (failing.length === 0) return [];
  const shown = failing.slice(0, MAX_TRIAGE_BUTTONS);
  const parts: Part[] = [];
  for (let i = 0; i < shown.length; i += BUTTONS_PER_BLOCK) {
    const hosts = shown.slice(i, i + BUTTONS_PER_BLOCK);
    parts.push(
      actions(
        `clawops_fleet_triage_${i / BUTTONS_PER_BLOCK}`,
        hosts.map((h) => commandButton("triage", h, clip(`Triage ${h}`, 75))),
      ),
    );
  }
  const left = failing.length - shown.length;
  if (left > 0) {
    parts.push(
      context(
        `Triage buttons for the first ${shown.length} failing hosts; ${left} more failing host${left === 1 ? "" : "s"} left off: run \`/openclaw triage <host>\`.`,
      ),
    );
  }
  return parts;
}

function renderRow(r: FleetReport, row: FleetRow): string {
  const cells = NO_MATRIX.has(row.state)
    ? r.columns.map(() => BLANK[row.state]).join("")
    : r.columns.map((l) => CELL[row.layers[l] ?? "unknown"]).join("");
  const age = row.ageMs !== undefined ? ` · ${ago(row.ageMs)}` : "";
  return `${cells} *${escapeMrkdwn(row.host)}* ${STATE_LABEL[row.state]} — ${escapeMrkdwn(clip(row.reason, 90))}${age}`;
}
