import { context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { iso, mention, plain } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { FreezeRecord, ScheduledFreeze } from "../ports/recovery.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";

/** Messages for freeze notices and the freeze status. */

function minutes(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m >= 120 ? `${Math.round(m / 60)} h` : `${m} min`;
}

export function what(target: string): string {
  return target === FREEZE_ALL ? "every OpenClaw gateway in the fleet" : `the OpenClaw gateway on *${target}*`;
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
