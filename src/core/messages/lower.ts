import { codeBlock, context, escapeMrkdwn, section } from "./build.ts";
import type { BasicPart, FindingMessagePart, HealthMatrixPart, Part } from "./model.ts";

/**
 * A health matrix and a finding as the sections and context lines every surface can draw
 * (Slack has no table). The one place their wording lives.
 */
const STATUS_ICON = { ok: "🟢", warn: "🟡", fail: "🔴", unknown: "⚪" } as const;

export function lowerPart(part: Part): BasicPart[] {
  switch (part.kind) {
    case "matrix":
      return [lowerMatrix(part)];
    case "finding":
      return lowerFinding(part);
    default:
      return [part];
  }
}

export function matrixLines(m: HealthMatrixPart): string[] {
  return m.rows.map((r) => `${STATUS_ICON[r.status]} *${r.label}*: ${r.status} — ${escapeMrkdwn(r.reason)}`);
}

function lowerMatrix(m: HealthMatrixPart): BasicPart {
  return section(`*${m.title}*\n${matrixLines(m).join("\n")}`);
}

function lowerFinding(f: FindingMessagePart): BasicPart[] {
  const icon = f.severity === "fail" ? "🔴" : "🟡";
  const parts = [
    section(
      `*${f.rank}. ${icon} ${escapeMrkdwn(f.title)}*  \`${f.id}\` · ${f.layer} · ${f.severity} · ${f.confidence} confidence\n${escapeMrkdwn(f.explanation)}`,
    ),
    section(`*Evidence*\n${codeBlock(f.evidence)}`),
    section(`*Next commands*\n${codeBlock(f.nextCommands)}`),
  ];
  const checks = [
    f.explainedBy ? `Same evidence as \`${f.explainedBy}\` above: most likely a consequence of it.` : null,
    f.wouldConfirm ? `Would confirm: ${escapeMrkdwn(f.wouldConfirm)}` : null,
    f.wouldRuleOut ? `Would rule out: ${escapeMrkdwn(f.wouldRuleOut)}` : null,
  ].filter((l): l is string => l !== null);
  if (checks.length > 0) parts.push(context(checks.join("\n")));
  if (f.falseGreen) parts.push(context(`False green: ${escapeMrkdwn(f.falseGreen)} while this layer is broken.`));
  for (const k of f.knownIssues ?? [])
    parts.push(
      context(`🐞 ${escapeMrkdwn(k.headline)} ${k.links.join(" ")}\nWorkaround: ${escapeMrkdwn(k.workaround)}`),
    );
  return parts;
}
