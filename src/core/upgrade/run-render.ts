import { context, escapeMrkdwn, header, section, wholeLineSections } from "../messages/build.ts";
import { iso, mention } from "../messages/format.ts";
import type { Message, Part } from "../messages/model.ts";

/**
 * The live per-host table of an upgrade run (issue 42, item 1): posted when the run starts and
 * edited at every step, so the channel reads where each host is and what it runs now.
 */
export type HostRunState =
  | "waiting"
  | "blocked"
  | "checking"
  | "asking"
  | "switching"
  | "accepting"
  | "upgraded"
  | "rolling-back"
  | "rolled-back"
  | "failed"
  | "cancelled"
  | "not-reached";

export interface HostRunRow {
  host: string;
  /** 1-based; 0 for a host the pre-flight blocked. */
  wave: number;
  from: string | null;
  /** What the host runs as far as the run knows (after a switch, the version its gateway reports). */
  on: string | null;
  state: HostRunState;
  detail: string;
}

export interface UpgradeRunView {
  runId: string;
  target: string;
  actor: string;
  startedAt: number;
  rows: HostRunRow[];
  /** `stopped`: a host failed, was cancelled or rolled back, and later hosts were not touched. */
  phase: "running" | "done" | "stopped";
  why?: string;
  at: number;
}

const MARK: Record<HostRunState, string> = {
  waiting: "⏳",
  blocked: "⛔",
  checking: "🔎",
  asking: "✋",
  switching: "🔄",
  accepting: "🧪",
  upgraded: "✅",
  "rolling-back": "↩️",
  "rolled-back": "↩️",
  failed: "❌",
  cancelled: "🚫",
  "not-reached": "▫️",
};
const SECTION_CHARS = 2900;

export function renderUpgradeRun(v: UpgradeRunView): Message {
  const count = (s: HostRunState) => v.rows.filter((r) => r.state === s).length;
  const head =
    v.phase === "running"
      ? `Upgrading OpenClaw to ${v.target}`
      : v.phase === "done"
        ? `Upgrade to ${v.target} done`
        : `Upgrade to ${v.target} stopped`;
  const summary = `${head}: ${count("upgraded")} upgraded, ${count("rolled-back")} rolled back, ${count("failed")} failed, ${count("blocked")} blocked, ${v.rows.length} host${v.rows.length === 1 ? "" : "s"}`;
  const parts: Part[] = [header(`Upgrade run ${v.runId}`), section(`*${escapeMrkdwn(summary)}*`)];
  const lines = v.rows.map(
    (r) =>
      `${MARK[r.state]} *${escapeMrkdwn(r.host)}* ${r.wave > 0 ? `wave ${r.wave}` : "—"} · ${escapeMrkdwn(r.from ?? "?")} → ${escapeMrkdwn(v.target)} · on ${escapeMrkdwn(r.on ?? "?")} · ${r.state}${r.detail ? `: ${escapeMrkdwn(r.detail)}` : ""}`,
  );
  for (const chunk of wholeLineSections(lines, SECTION_CHARS)) parts.push(section(chunk));
  if (v.why) parts.push(section(escapeMrkdwn(v.why)));
  parts.push(
    context(
      `Started by ${mention(v.actor)} at ${iso(v.startedAt)} · each host frozen while it is upgraded, its switch approved in this thread · updated ${iso(v.at)}`,
    ),
  );
  return { text: summary, parts };
}
