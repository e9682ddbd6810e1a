import { FREEZE_ALL } from "../commands/recovery-parse.ts";
import { clip, context, escapeMrkdwn, header, section } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import type { AuditEntry, FreezeRecord, ScheduledFreeze } from "./types.ts";

/** Messages for freeze notices, the freeze status and the audit summary. */

export function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : `*${escapeMrkdwn(user)}*`;
}

export function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function minutes(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m >= 120 ? `${Math.round(m / 60)} h` : `${m} min`;
}

export function what(target: string): string {
  return target === FREEZE_ALL ? "every OpenClaw gateway in the fleet" : `the OpenClaw gateway on *${target}*`;
}

/** Fallback text is mrkdwn too (notifications): no markup, and user text cannot ping anyone. */
function plain(s: string): string {
  return escapeMrkdwn(s.replace(/[*`]/g, ""));
}

export function renderFreezeNotice(f: FreezeRecord, now: number): Message {
  const name = f.target === FREEZE_ALL ? "The fleet" : f.target;
  const text = `${name} is frozen until ${iso(f.expiresAt)} by ${f.owner}: ${f.reason}`;
  const lift = f.target === FREEZE_ALL ? "all" : f.target;
  return {
    text: plain(text),
    parts: [
      header(`🧊 Freeze: ${name}`),
      section(
        [
          `*Who:* ${mention(f.owner)}`,
          `*What:* ${what(f.target)}`,
          `*Why:* ${escapeMrkdwn(f.reason)}`,
          `*Until:* ${iso(f.expiresAt)} (in ${minutes(f.expiresAt - now)}), or until the all-clear`,
        ].join("\n"),
      ),
      section(
        "*What to do:* pause new sessions and batch jobs on it, and do not restart or reconfigure it: a recovery is under way and a restart must not drown in reconnects. Changes by anyone but the freeze owner or an incident lead are refused.",
      ),
      context(
        `Lift with \`/openclaw unfreeze ${lift}\`; it also expires on its own. Questions go to the incident thread.`,
      ),
    ],
  };
}

export function renderUnfreezeNotice(f: FreezeRecord, by: string, now: number): Message {
  const name = f.target === FREEZE_ALL ? "The fleet" : f.target;
  return {
    text: plain(`All clear: ${name} is no longer frozen (lifted by ${by}).`),
    parts: [
      section(
        `✅ *All clear:* ${what(f.target)} is no longer frozen. Lifted by ${mention(by)} at ${iso(now)} (frozen by ${mention(f.owner)} for: ${escapeMrkdwn(f.reason)}). Sessions and batch jobs may resume.`,
      ),
    ],
  };
}

export function renderExpiryNotice(f: FreezeRecord): Message {
  const name = f.target === FREEZE_ALL ? "The fleet" : f.target;
  return {
    text: plain(`The freeze of ${name} expired at ${iso(f.expiresAt)}.`),
    parts: [
      section(
        `⌛ *Freeze expired:* the freeze of ${what(f.target)} by ${mention(f.owner)} (${escapeMrkdwn(f.reason)}) ran out at ${iso(f.expiresAt)}. Sessions and batch jobs may resume. If the recovery is not finished, freeze it again.`,
      ),
    ],
  };
}

export function renderFreezeStatus(
  freezes: readonly FreezeRecord[],
  now: number,
  scheduled: readonly ScheduledFreeze[] = [],
): Message {
  const coming = scheduled.filter((s) => s.stage !== "started");
  const later =
    coming.length === 0
      ? []
      : [
          section(
            `*Scheduled maintenance freezes* (${coming.length})\n${coming
              .map(
                (s) =>
                  `🗓️ *${s.target === FREEZE_ALL ? "all (fleet)" : s.target}* — ${iso(s.startsAt)} to ${iso(s.endsAt)} by ${mention(s.owner)}: ${escapeMrkdwn(s.reason)}`,
              )
              .join("\n")}`,
          ),
        ];
  if (freezes.length === 0) {
    return {
      text: coming.length ? `No active freezes; ${coming.length} scheduled` : "No active freezes.",
      parts: [section("✅ *No active freezes.* Every gateway is open for work."), ...later],
    };
  }
  const lines = freezes.map(
    (f) =>
      `🧊 *${f.target === FREEZE_ALL ? "all (fleet)" : f.target}* — by ${mention(f.owner)} until ${iso(f.expiresAt)} (${minutes(f.expiresAt - now)} left): ${escapeMrkdwn(f.reason)}`,
  );
  return {
    text: `${freezes.length} active freeze(s)`,
    parts: [section(`*Active freezes* (${freezes.length})`), section(lines.join("\n")), ...later],
  };
}

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
        `Full export as JSON lines: \`npm run clawops -- audit${host ? ` ${host}` : ""} --jsonl\` or \`GET /api/console/audit.jsonl${host ? `?host=${host}` : ""}\` on the control-plane machine.`,
      ),
    ],
  };
}

/** A refused button press, said in the thread (the reason names no secret). */
export function renderRefusal(user: string, reason: string): Message {
  return { text: `Refused: ${reason}`, parts: [section(`⛔ ${mention(user)}: ${escapeMrkdwn(reason)}`)] };
}

/** What a confirmation becomes once pressed: its buttons go, the decision stays. */
export function renderDecided(
  c: { step: string; host: string },
  decision: "approve" | "approve_drained" | "cancel",
  by: string,
): Message {
  const verb =
    decision === "cancel" ? "✖️ Cancelled" : `✅ Approved${decision === "approve_drained" ? " (once drained)" : ""}`;
  return {
    text: `${verb} ${c.step} on ${c.host}`,
    parts: [section(`${verb} \`${c.step}\` on *${c.host}* by ${mention(by)}.`)],
  };
}

/** A confirmation whose time ran out: its buttons go, the step it asked for is named. */
export function renderExpired(c: { step: string; host: string }): Message {
  return {
    text: `Expired: ${c.step} on ${c.host}`,
    parts: [section(`⌛ The confirmation for \`${c.step}\` on *${c.host}* expired; nothing was run.`)],
  };
}
