import type { StepName, StepResult } from "../../contract/catalog.ts";
import type { Classification } from "../classify/classify.ts";
import type { Finding } from "../classify/finding.ts";
import { stepOutcome } from "../classify/step-outcome.ts";
import { knownIssueNotes, knownIssuesFor } from "../known-issues/match.ts";
import type { KnownIssue, KnownIssueCatalog } from "../known-issues/schema.ts";
import { clip, context, divider, escapeMrkdwn, header, section } from "../messages/build.ts";
import { snoozeButtons, triageAnswerButtons } from "../messages/buttons.ts";
import { formatAge } from "../messages/format.ts";
import type { Message, Part } from "../messages/model.ts";
import { LAYER_LABELS, LAYERS, type Layer } from "../vocabulary/layers.ts";

/**
 * The messages of a triage: its progress and its answer (health matrix, ranked findings, the
 * next buttons), as neutral messages (src/core/messages/model.ts); each surface renders them.
 */

const STEP_ICON = { ok: "✅", error: "❌", timeout: "⏱️", pending: "⏳" } as const;
/** A probe that ran, by what it found: nothing wrong, a layer to watch, a failing layer. */
const FOUND_ICON = { ok: "✅", warn: "🟡", fail: "🔴" } as const;
const MAX_FINDINGS = 6;

export function renderTriageProgress(
  host: string,
  steps: readonly StepName[],
  results: readonly StepResult[],
  state: { phase: "running" | "finished" | "lost" | "timeout" | "rejected"; elapsedMs: number; detail?: string | null },
): Message {
  const byStep = new Map(results.map((r) => [r.step, r]));
  const lines = steps.map((step) => {
    const r = byStep.get(step);
    if (!r) return `${state.phase === "running" ? STEP_ICON.pending : "▫️"} \`${step}\``;
    const ms = `${Math.round(r.durationMs)} ms`;
    // A reading the agent is still taking (doctor_pending) did not fail: it is pending, as the
    // answer's footer says (classify/evidence.ts treats it as a step still running).
    if (r.status === "error" && r.error?.code?.endsWith("_pending"))
      return `${STEP_ICON.pending} \`${step}\` ${ms} — ${escapeMrkdwn(r.error.message)}`;
    if (r.status !== "ok")
      return `${STEP_ICON[r.status]} \`${step}\` ${ms} — ${escapeMrkdwn(r.error?.message ?? r.status)}`;
    // The probe ran: its own outcome (what it found), not just that it answered.
    const found = stepOutcome(r);
    const note = found.note ? ` — ${escapeMrkdwn(clip(found.note, 100))}` : "";
    return `${FOUND_ICON[found.status]} \`${step}\` ${ms}${note}`;
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
  const parts: Part[] = [section(title), section(lines.join("\n"))];
  if (state.detail) parts.push(context(escapeMrkdwn(state.detail)));
  return { text: title.replace(/\*/g, ""), parts };
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
  /**
   * Where the `doctor --lint` result came from, as the agent said (absent from older agents);
   * `pending`: the agent had no reading for what doctor reads now and is taking one.
   */
  doctor?: { source: "cache" | "run" | "pending"; ageMs: number } | null;
  /** The known-issue catalog to match findings against (core/known-issues); absent: none is named. */
  knownIssues?: KnownIssueCatalog;
}

export function renderTriageResult(c: Classification, meta: TriageMeta): Message {
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
  const parts: Part[] = [
    header(`${failing.length > 0 ? "🔴" : warning.length > 0 ? "🟡" : "🟢"} Triage ${meta.host}: ${verdict}`),
  ];
  if (meta.incomplete) parts.push(section(`⚠️ *Incomplete:* ${escapeMrkdwn(meta.incomplete)}`));
  if (meta.pending && meta.pending.length > 0) {
    parts.push(
      context(
        `⏳ Still running: ${meta.pending.map((s) => `\`${s}\``).join(", ")}.${
          meta.pending.includes("doctor.lint")
            ? " The doctor part is being refreshed on the host (`openclaw doctor --lint` takes several seconds)."
            : ""
        } This answer updates when they finish.`,
      ),
    );
  }
  parts.push(matrixPart(c));
  const unexplained = unexplainedLayers(c);
  if (c.findings.length > 0) {
    parts.push(divider());
    parts.push(section(`*Findings* (most likely root cause first)`));
    for (const [i, f] of c.findings.slice(0, MAX_FINDINGS).entries())
      parts.push(
        findingPart(f, i + 1, meta.knownIssues ? knownIssuesFor(meta.knownIssues, f, meta.gatewayVersion) : []),
      );
    if (c.findings.length > MAX_FINDINGS) parts.push(context(`…and ${c.findings.length - MAX_FINDINGS} more findings`));
    if (unexplained.length > 0) parts.push(section(unexplainedText(unexplained)));
  } else if (unexplained.length > 0) {
    parts.push(section(`No findings. ${unexplainedText(unexplained)}`));
  } else {
    parts.push(section("No findings: every probed layer answered as expected. Layers marked ⚪ were not checked."));
  }
  parts.push(
    context(
      `job \`${meta.jobId}\` · ${(meta.elapsedMs / 1000).toFixed(1)} s · agent ${escapeMrkdwn(meta.agentVersion ?? "?")} · gateway ${escapeMrkdwn(meta.gatewayVersion ?? "?")}${doctorNote(meta.doctor)}`,
    ),
  );
  // The next steps, as buttons: on the final answer only (an early one is still being filled in).
  if (!meta.pending || meta.pending.length === 0) {
    parts.push(triageAnswerButtons(meta.host));
    // "Snooze this finding on this host": the top finding (the one that opens the watch's incidents).
    if (top) parts.push(snoozeButtons(meta.host, top.id));
  }
  return { text, parts };
}

/**
 * Failing or warning layers no finding is about (issue 30): a failing layer always comes with
 * what clawops knows about why, or says that it does not know.
 */
export function unexplainedLayers(c: Classification): { label: string; status: string; reason: string }[] {
  const covered = new Set(c.findings.map((f) => f.layer));
  // A failing layer of the chain a client goes through explains the ones after it: a gateway
  // that is down leaves nothing listening and refuses every connection.
  const failing = c.findings.filter((f) => f.severity === "fail").map((f) => CHAIN.indexOf(f.layer));
  const firstFailing = Math.min(...failing.filter((i) => i >= 0), CHAIN.length);
  const downstream = (l: Layer) => {
    const i = CHAIN.indexOf(l);
    return i > firstFailing || (i < 0 && SESSION_LAYERS.has(l) && firstFailing < CHAIN.length);
  };
  return LAYERS.filter(
    (l) => (c.matrix[l].status === "fail" || c.matrix[l].status === "warn") && !covered.has(l) && !downstream(l),
  ).map((l) => ({ label: LAYER_LABELS[l], status: c.matrix[l].status, reason: c.matrix[l].reason }));
}

/** The layers a client's request passes through, in order. */
const CHAIN: readonly Layer[] = ["service", "process", "port", "transport", "auth", "scope"];
/** Layers read over the gateway's session: a failure earlier in the chain leaves them unread. */
const SESSION_LAYERS: ReadonlySet<Layer> = new Set(["channels", "scheduler", "model_routing"]);

function unexplainedText(layers: readonly { label: string; status: string; reason: string }[]): string {
  const list = layers.map((l) => `*${l.label}* (${l.status}: ${escapeMrkdwn(clip(l.reason, 160))})`).join("; ");
  return `No rule explains ${list}. That is what the probes saw; clawops does not know why yet.`;
}

/** How old the doctor result in this answer is: the agent keeps doctor's last result. */
function doctorNote(doctor: TriageMeta["doctor"]): string {
  if (!doctor) return "";
  if (doctor.source === "run") return " · doctor ran for this triage";
  if (doctor.source === "pending") return " · no doctor reading yet (being taken on the host)";
  return ` · doctor result ${formatAge(doctor.ageMs)} old (cached on the host)`;
}

function matrixPart(c: Classification): Part {
  return {
    kind: "matrix",
    title: "Health by layer",
    rows: LAYERS.map((l) => ({
      label: LAYER_LABELS[l],
      status: c.matrix[l].status,
      reason: clip(c.matrix[l].reason, 90),
    })),
  };
}

function findingPart(f: Finding, rank: number, known: readonly KnownIssue[]): Part {
  return {
    kind: "finding",
    rank,
    id: f.id,
    title: f.title,
    severity: f.severity,
    layer: LAYER_LABELS[f.layer],
    confidence: f.confidence,
    explanation: f.explanation,
    evidence: f.evidence.slice(0, 12).map((l) => clip(l, 240)),
    nextCommands: f.nextCommands,
    ...(f.explainedBy ? { explainedBy: f.explainedBy } : {}),
    ...(f.wouldConfirm ? { wouldConfirm: f.wouldConfirm } : {}),
    ...(f.wouldRuleOut ? { wouldRuleOut: f.wouldRuleOut } : {}),
    ...(f.falseGreen ? { falseGreen: f.falseGreen } : {}),
    ...(known.length > 0 ? { knownIssues: knownIssueNotes(known) } : {}),
  };
}
