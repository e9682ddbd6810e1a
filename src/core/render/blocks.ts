import type { StepName, StepResult } from "../../contract/catalog.ts";
import type { Classification } from "../classify/classify.ts";
import type { Finding } from "../classify/finding.ts";
import { COMMAND_HELP } from "../commands/parse.ts";
import { LAYER_LABELS, LAYERS, type LayerStatus } from "../layers.ts";
import type { Block, HostRecord } from "../ports.ts";
import { escapeMrkdwn } from "./mrkdwn.ts";

export { escapeMrkdwn };

/**
 * Block Kit for every message clawops sends. The local console renders the very same
 * blocks, so what a person sees there is what Slack would show.
 * Limits honoured: ≤50 blocks per message, ≤3000 chars per section text, header ≤150.
 */

export interface RenderedMessage {
  text: string;
  blocks: Block[];
}

const STATUS_ICON: Record<LayerStatus, string> = { ok: "🟢", warn: "🟡", fail: "🔴", unknown: "⚪" };
const STEP_ICON = { ok: "✅", error: "❌", timeout: "⏱️", pending: "⏳" } as const;
const MAX_FINDINGS = 6;

/** Block Kit builders: text clipped to Slack's limits (150 for a header, 3,000 for mrkdwn). */
export const header = (text: string): Block => ({
  type: "header",
  text: { type: "plain_text", text: clip(text, 150), emoji: true },
});
export const section = (mrkdwn: string): Block => ({
  type: "section",
  text: { type: "mrkdwn", text: clip(mrkdwn, 3000) },
});
export const context = (...mrkdwn: string[]): Block => ({
  type: "context",
  elements: mrkdwn.slice(0, 10).map((text) => ({ type: "mrkdwn", text: clip(text, 3000) })),
});
const divider = (): Block => ({ type: "divider" });

export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Code blocks: backticks inside would end the block early. */
function codeBlock(lines: string[]): string {
  return `\`\`\`\n${escapeMrkdwn(lines.join("\n").replace(/```/g, "ˋˋˋ"))}\n\`\`\``;
}

export function renderIncidentHeader(host: string, user: string, at: number): RenderedMessage {
  const text = `Incident: OpenClaw gateway on ${host}`;
  return {
    text,
    blocks: [
      header(`🚨 ${text}`),
      context(
        `Opened by ${mention(user)} at ${iso(at)} · triage results, freezes and bundles for *${host}* go in this thread`,
      ),
    ],
  };
}

export function renderTriageProgress(
  host: string,
  steps: readonly StepName[],
  results: readonly StepResult[],
  state: { phase: "running" | "finished" | "lost" | "timeout" | "rejected"; elapsedMs: number; detail?: string | null },
): RenderedMessage {
  const byStep = new Map(results.map((r) => [r.step, r]));
  const lines = steps.map((step) => {
    const r = byStep.get(step);
    if (!r) return `${state.phase === "running" ? STEP_ICON.pending : "▫️"} \`${step}\``;
    return `${STEP_ICON[r.status]} \`${step}\` ${Math.round(r.durationMs)} ms${r.status === "ok" ? "" : ` — ${escapeMrkdwn(r.error?.message ?? r.status)}`}`;
  });
  const done = results.length;
  const secs = (state.elapsedMs / 1000).toFixed(1);
  const title = {
    running: `⏳ Triage of *${host}* running: ${done}/${steps.length} probes in (${secs} s)`,
    finished: `Triage of *${host}* finished: ${done}/${steps.length} probes in ${secs} s`,
    lost: `💥 Triage of *${host}* lost after ${secs} s: ${done}/${steps.length} probes arrived`,
    timeout: `⏱️ Triage of *${host}* hit its deadline after ${secs} s: ${done}/${steps.length} probes arrived`,
    rejected: `⛔ Triage of *${host}* was refused by the agent`,
  }[state.phase];
  const blocks: Block[] = [section(title), section(lines.join("\n"))];
  if (state.detail) blocks.push(context(escapeMrkdwn(state.detail)));
  return { text: title.replace(/\*/g, ""), blocks };
}

export interface TriageMeta {
  host: string;
  jobId: string;
  elapsedMs: number;
  agentVersion?: string | null;
  gatewayVersion?: string | null;
  /** Set when the job ended without every probe (lost/timeout). */
  incomplete?: string | null;
  /** Slow probes still running: this message is an early answer and will be updated. */
  pending?: readonly string[];
}

export function renderTriageResult(c: Classification, meta: TriageMeta): RenderedMessage {
  const failing = LAYERS.filter((l) => c.matrix[l].status === "fail");
  const warning = LAYERS.filter((l) => c.matrix[l].status === "warn");
  const verdict =
    failing.length > 0
      ? `${failing.length} failing layer${failing.length > 1 ? "s" : ""}`
      : warning.length > 0
        ? `${warning.length} layer${warning.length > 1 ? "s" : ""} to watch`
        : "no failing layer found";
  const top = c.findings[0];
  const text = `Triage ${meta.host}: ${verdict}${top ? ` — ${top.title}` : ""}`;
  const blocks: Block[] = [
    header(`${failing.length > 0 ? "🔴" : warning.length > 0 ? "🟡" : "🟢"} Triage ${meta.host}: ${verdict}`),
  ];
  if (meta.incomplete) blocks.push(section(`⚠️ *Incomplete:* ${escapeMrkdwn(meta.incomplete)}`));
  if (meta.pending && meta.pending.length > 0) {
    blocks.push(
      context(
        `⏳ Still running: ${meta.pending.map((s) => `\`${s}\``).join(", ")}. This answer updates when they finish.`,
      ),
    );
  }
  blocks.push(section(`*Health by layer*\n${renderMatrixLines(c).join("\n")}`));
  if (c.findings.length > 0) {
    blocks.push(divider());
    blocks.push(section(`*Findings* (most likely root cause first)`));
    for (const [i, f] of c.findings.slice(0, MAX_FINDINGS).entries()) blocks.push(...renderFinding(f, i + 1));
    if (c.findings.length > MAX_FINDINGS)
      blocks.push(context(`…and ${c.findings.length - MAX_FINDINGS} more findings`));
  } else {
    blocks.push(section("No findings: every probed layer answered as expected. Layers marked ⚪ were not checked."));
  }
  blocks.push(
    context(
      `job \`${meta.jobId}\` · ${(meta.elapsedMs / 1000).toFixed(1)} s · agent ${meta.agentVersion ?? "?"} · gateway ${meta.gatewayVersion ?? "?"}`,
    ),
  );
  return { text, blocks };
}

export function renderMatrixLines(c: Classification): string[] {
  return LAYERS.map((l) => {
    const cell = c.matrix[l];
    return `${STATUS_ICON[cell.status]} *${LAYER_LABELS[l]}*: ${cell.status} — ${escapeMrkdwn(clip(cell.reason, 90))}`;
  });
}

function renderFinding(f: Finding, rank: number): Block[] {
  const icon = f.severity === "fail" ? "🔴" : "🟡";
  const blocks: Block[] = [
    section(
      `*${rank}. ${icon} ${escapeMrkdwn(f.title)}*  \`${f.id}\` · ${LAYER_LABELS[f.layer]} · ${f.severity} · ${f.confidence} confidence\n${escapeMrkdwn(f.explanation)}`,
    ),
    section(`*Evidence*\n${codeBlock(f.evidence.slice(0, 12).map((l) => clip(l, 240)))}`),
    section(`*Next commands*\n${codeBlock(f.nextCommands)}`),
  ];
  const checks = [
    f.explainedBy ? `Same evidence as \`${f.explainedBy}\` above: most likely a consequence of it.` : null,
    f.wouldConfirm ? `Would confirm: ${escapeMrkdwn(f.wouldConfirm)}` : null,
    f.wouldRuleOut ? `Would rule out: ${escapeMrkdwn(f.wouldRuleOut)}` : null,
  ].filter((l): l is string => l !== null);
  if (checks.length > 0) blocks.push(context(checks.join("\n")));
  if (f.falseGreen) blocks.push(context(`False green: ${escapeMrkdwn(f.falseGreen)} while this layer is broken.`));
  return blocks;
}

export function renderHosts(hosts: readonly HostRecord[], online: ReadonlySet<string>, now: number): RenderedMessage {
  if (hosts.length === 0) {
    return {
      text: "No hosts enrolled yet.",
      blocks: [
        section(
          "*No hosts enrolled yet.*\nIssue a code with `/openclaw enroll <host>` in the local console (or `clawops enroll <host>`), then on the host run `clawops-agent enroll --server <url> --host <host> --code <code>`.",
        ),
      ],
    };
  }
  const lines = hosts.map((h) => {
    const state = h.revokedAt ? "⛔ revoked" : online.has(h.name) ? "🟢 online" : "⚫ offline";
    const seen = h.lastSeenAt ? `last seen ${ago(now - h.lastSeenAt)}` : "never connected";
    return `*${h.name}* — ${state} · agent ${h.agentVersion ?? "?"} · gateway ${h.gatewayVersion ?? "?"} · ${seen}`;
  });
  const count = hosts.filter((h) => online.has(h.name)).length;
  const text = `${hosts.length} host(s) enrolled, ${count} online`;
  return { text, blocks: [section(`*Enrolled hosts* (${count}/${hosts.length} online)`), section(lines.join("\n"))] };
}

export function renderHelp(): RenderedMessage {
  const lines = COMMAND_HELP.map((c) => `\`${c.usage}\`\n      ${c.summary}`);
  return {
    text: "clawops commands",
    blocks: [
      section("*clawops*: per-layer triage for OpenClaw gateways. Every answer is a health matrix, never one boolean."),
      section(lines.join("\n")),
      context("Host names are the names given at `clawops-agent enroll --host`. See `/openclaw hosts`."),
    ],
  };
}

export function renderNotice(text: string): RenderedMessage {
  return { text: text.replace(/[*`]/g, ""), blocks: [section(text)] };
}

export function renderError(message: string, code: string): RenderedMessage {
  return {
    text: `Error: ${message.replace(/[*`]/g, "")}`,
    blocks: [section(`⚠️ ${message}`), context(`error code \`${code}\``)],
  };
}

function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : `*${escapeMrkdwn(user)}*`;
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
