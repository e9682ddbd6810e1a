import { actions, clip, context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { commandButton } from "../messages/buttons.ts";
import { ago } from "../messages/format.ts";
import type { Message, Part } from "../messages/model.ts";
import type { FleetHostState, FleetRow } from "../ports/fleet.ts";
import { LAYER_LABELS, type LayerStatus } from "../vocabulary/layers.ts";
import type { FleetReport } from "./fleet.ts";
import { describeSelector } from "./fleet.ts";
import type { VersionDrift } from "./versions.ts";

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
  if (r.versions) parts.push(section(renderVersions(r.versions)));

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
  return `${cells} *${escapeMrkdwn(row.host)}* ${STATE_LABEL[row.state]} — ${escapeMrkdwn(clip(row.reason, 90))}${age}${versionTag(r.versions, row)}`;
}

/** ` · 2026.9.5 ≠fleet 🧩 🐞`: the row's core version and what is off about it (the section below says what). */
function versionTag(v: VersionDrift | undefined, row: FleetRow): string {
  if (!v || !row.version) return "";
  const marks = [
    v.offMajority.some((o) => o.host === row.host) ? " ≠fleet" : "",
    v.plugins.some((p) => p.host === row.host) ? " 🧩" : "",
    v.knownIssues.some((k) => k.hosts.includes(row.host)) ? " 🐞" : "",
  ].join("");
  return ` · \`${escapeMrkdwn(row.version)}\`${marks}`;
}

/** Names listed per line of the versions section before "+N more". */
const NAMES_SHOWN = 6;

function names(list: readonly string[]): string {
  const shown = list.slice(0, NAMES_SHOWN).map(escapeMrkdwn).join(", ");
  return list.length > NAMES_SHOWN ? `${shown} +${list.length - NAMES_SHOWN} more` : shown;
}

/**
 * The versions section: the fleet's core version, who is off it, official plugins behind their
 * core, versions with known issues a release fixes. One section, clipped to Slack's 3,000.
 */
export function renderVersions(v: VersionDrift): string {
  const lines: string[] = [];
  const total = v.known + v.unknown.length;
  const m = v.majority;
  if (m) {
    const head =
      v.offMajority.length === 0
        ? `*Versions:* OpenClaw \`${escapeMrkdwn(m.version)}\` on ${m.hosts === total ? "every host" : `${m.hosts} of ${total} hosts`}`
        : `*Versions:* OpenClaw \`${escapeMrkdwn(m.version)}\` on ${m.hosts} of ${total} hosts; ≠fleet: ${offGroups(v)}`;
    const unknown = v.unknown.length > 0 ? ` · not reported: ${names(v.unknown)}` : "";
    lines.push(`${head}${unknown}`);
  }
  if (v.plugins.length > 0) {
    const each = v.plugins.slice(0, NAMES_SHOWN).map((p) => {
      const first = p.behind[0] as { name: string; version: string };
      const more = p.behind.length > 1 ? ` +${p.behind.length - 1}` : "";
      return `${escapeMrkdwn(p.host)} (${escapeMrkdwn(first.name)} ${escapeMrkdwn(first.version)} ≠ core ${escapeMrkdwn(p.core)}${more})`;
    });
    const more = v.plugins.length > NAMES_SHOWN ? ` +${v.plugins.length - NAMES_SHOWN} more` : "";
    lines.push(
      `🧩 Official plugins out of lockstep with core on ${v.plugins.length} host${v.plugins.length === 1 ? "" : "s"}: ${each.join(", ")}${more}`,
    );
  } else if (v.withPlugins > 0) {
    lines.push(
      `🧩 Official plugins in lockstep with core on the ${v.withPlugins} host${v.withPlugins === 1 ? "" : "s"} whose watch read them`,
    );
  }
  for (const k of v.knownIssues.slice(0, 4)) {
    const refs = k.issues.map((i) => `${i.ref.replace(/^openclaw\/openclaw/, "")} (fixed in ${i.fixedIn})`);
    const shown = refs.slice(0, 4).join(", ") + (refs.length > 4 ? ` +${refs.length - 4}` : "");
    lines.push(`🐞 \`${escapeMrkdwn(k.version)}\` (${names(k.hosts)}) has known issues a release fixes: ${shown}`);
  }
  if (v.knownIssues.length > 0) lines.push("`/openclaw known-issues` for the links and workarounds");
  return clip(lines.join("\n"), SECTION_CHARS);
}

function offGroups(v: VersionDrift): string {
  const by = new Map<string, string[]>();
  for (const o of v.offMajority) by.set(o.version, [...(by.get(o.version) ?? []), o.host]);
  return (
    [...by]
      .slice(0, 4)
      .map(([version, hosts]) => `\`${escapeMrkdwn(version)}\` on ${names(hosts)}`)
      .join("; ") + (by.size > 4 ? `; +${by.size - 4} more versions` : "")
  );
}
