import { clip, context, escapeMrkdwn, section } from "../messages/build.ts";
import { iso, mention } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { AuditEntry } from "../ports/recovery.ts";

/** `/openclaw audit [host]`: the newest entries, and where the full export is. */
const OUTCOME_ICON: Record<AuditEntry["outcome"], string> = { ok: "✅", refused: "⛔", error: "❌", info: "ℹ️" };

export function renderAuditSummary(entries: readonly AuditEntry[], host: string | null): Message {
  const scope = host ? ` for ${host}` : "";
  if (entries.length === 0) {
    return { text: `No audit entries${scope}.`, parts: [section(`No audit entries${scope} yet.`)] };
  }
  const lines = entries.map(
    (e) =>
      `${OUTCOME_ICON[e.outcome]} \`${iso(e.at)}\` ${mention(e.actor)} *${escapeMrkdwn(e.action)}*${e.host && !host ? ` ${e.host}` : ""}: ${escapeMrkdwn(clip(e.detail, 160))}`,
  );
  return {
    text: `Last ${entries.length} audit entries${scope}`,
    parts: [
      section(`*Audit log${scope}* (newest first, last ${entries.length})`),
      section(lines.join("\n")),
      context(
        `Full export as JSON lines: \`bin/clawops audit${host ? ` ${host}` : ""} --jsonl\` or \`GET /api/console/audit.jsonl${host ? `?host=${host}` : ""}\` on the control-plane machine.`,
      ),
    ],
  };
}
