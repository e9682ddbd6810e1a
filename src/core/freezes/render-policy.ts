import { context, escapeMrkdwn, header, section } from "../messages/build.ts";
import { iso, mention, plain } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { AutoFreeze, FreezeRecord, ScheduledFreeze } from "../ports/recovery.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";
import { what } from "./render.ts";

/** Messages of automatic freezes (the freeze policy) and scheduled maintenance freezes. */

function minutes(ms: number): string {
  // Under a minute (a policy may say 0.25): seconds, never "0 min".
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  const m = Math.round(ms / 60_000);
  return m >= 120 && m % 60 === 0 ? `${m / 60} h` : `${m} min`;
}

const nameOf = (target: string) => (target === FREEZE_ALL ? "the fleet" : target);
const liftCommand = (target: string) => (target === FREEZE_ALL ? "all" : target);

/** "after 5 min healthy" and when it ends at the latest: the rule that lifts it, in words ("lifts …"). */
export function liftRule(auto: AutoFreeze): string {
  const hold = auto.holdUntil ? `, not before ${iso(auto.holdUntil)} (extended)` : "";
  return `after ${minutes(auto.liftAfterMs)} healthy${hold}; at the latest at ${iso(auto.capAt)}`;
}

export function renderAutoFreezeNotice(f: FreezeRecord & { auto: AutoFreeze }): Message {
  const findings = f.auto.findings.map((id) => `\`${escapeMrkdwn(id)}\``).join(", ");
  return {
    text: plain(`${f.target} is frozen automatically (${f.auto.findings.join(", ")}); lifts ${liftRule(f.auto)}`),
    parts: [
      header(`🧊 Automatic freeze: ${f.target}`),
      section(
        [
          `*Who:* ${mention(f.owner)}, by the freeze policy's rule *${escapeMrkdwn(f.auto.rule)}*`,
          `*What:* ${what(f.target)}`,
          `*Why:* the watch saw ${findings} on it`,
          `*Lifts:* ${liftRule(f.auto)}, with an all-clear here`,
        ].join("\n"),
      ),
      section(
        "*What to do:* pause new sessions and batch jobs on it, and do not restart or reconfigure it outside the incident. Changes by anyone but an incident lead are refused.",
      ),
      context(
        `Incident leads: \`/openclaw unfreeze ${f.target}\` lifts it now; \`/openclaw freeze ${f.target} extend 30m\` holds it 30 min longer.`,
      ),
    ],
  };
}

/** The all-clear of an automatic freeze: the host was healthy as long as its rule asks. */
export function renderAutoAllClear(f: FreezeRecord & { auto: AutoFreeze }, now: number): Message {
  const since = f.auto.healthySince ?? now;
  return {
    text: plain(`All clear: ${f.target} is no longer frozen (healthy since ${iso(since)}).`),
    parts: [
      section(
        `✅ *All clear:* ${what(f.target)} is no longer frozen. The watch has seen it healthy since ${iso(since)} (${minutes(now - since)}), so the automatic freeze (rule *${escapeMrkdwn(f.auto.rule)}*, ${escapeMrkdwn(f.auto.findings.join(", "))}) lifted at ${iso(now)}. Sessions and batch jobs may resume.`,
      ),
    ],
  };
}

/** An automatic freeze that reached its cap before the host was healthy long enough. */
export function renderAutoCapNotice(f: FreezeRecord & { auto: AutoFreeze }): Message {
  const state =
    f.auto.healthySince === null
      ? "The watch last saw it failing"
      : `The watch has seen it healthy only since ${iso(f.auto.healthySince)}`;
  return {
    text: plain(`The automatic freeze of ${f.target} ran out at ${iso(f.expiresAt)} (its cap).`),
    parts: [
      section(
        `⌛ *Automatic freeze ended at its cap:* the freeze of ${what(f.target)} (rule *${escapeMrkdwn(f.auto.rule)}*) ran out at ${iso(f.expiresAt)}. ${state}; check it before resuming work on it, and freeze it again if the incident is not over.`,
      ),
    ],
  };
}

/** Said where a freeze was announced when someone extends it. */
export function renderFreezeExtended(f: FreezeRecord, by: string): Message {
  const until = f.auto ? `lifts ${liftRule(f.auto)}` : `until ${iso(f.expiresAt)}`;
  return {
    text: plain(`The freeze of ${nameOf(f.target)} was extended by ${by}: ${until}.`),
    parts: [
      section(
        `⏳ *Freeze extended* by ${mention(by)}: ${what(f.target)} stays frozen; it now ${f.auto ? until : `lasts ${until}`}.`,
      ),
    ],
  };
}

export type ScheduledMoment = "set" | "soon" | "start" | "end" | "cancelled";

/** A scheduled maintenance freeze: when set, shortly before it starts, at its end, or cancelled. */
export function renderScheduledFreeze(
  s: ScheduledFreeze,
  moment: ScheduledMoment,
  now: number,
  by: string = s.owner,
): Message {
  const name = nameOf(s.target);
  const window = `${iso(s.startsAt)} to ${iso(s.endsAt)}`;
  const reason = escapeMrkdwn(s.reason);
  switch (moment) {
    case "set":
      return {
        text: plain(`Maintenance freeze of ${name} scheduled ${window} by ${s.owner}: ${s.reason}`),
        parts: [
          header(`🗓️ Maintenance freeze scheduled: ${name}`),
          section(
            [
              `*Who:* ${mention(s.owner)}`,
              `*What:* ${what(s.target)}`,
              `*Why:* ${reason}`,
              `*When:* ${window} (starts in ${minutes(s.startsAt - now)}, lasts ${minutes(s.endsAt - s.startsAt)})`,
            ].join("\n"),
          ),
          context(
            `Announced again shortly before it starts, at its start and at its end. Cancel before it starts with \`/openclaw unfreeze ${liftCommand(s.target)}\`.`,
          ),
        ],
      };
    case "soon":
      return {
        text: plain(`Maintenance freeze of ${name} starts at ${iso(s.startsAt)} (in ${minutes(s.startsAt - now)}).`),
        parts: [
          section(
            `⏰ *Maintenance freeze in ${minutes(s.startsAt - now)}:* ${what(s.target)} is frozen ${window} by ${mention(s.owner)} (${reason}). Finish or pause changes to it before ${iso(s.startsAt)}.`,
          ),
        ],
      };
    case "start":
      return {
        text: plain(
          `${s.target === FREEZE_ALL ? "The fleet" : name} is frozen for maintenance until ${iso(s.endsAt)} by ${s.owner}: ${s.reason}`,
        ),
        parts: [
          header(`🧊 Maintenance freeze: ${name}`),
          section(
            [
              `*Who:* ${mention(s.owner)}`,
              `*What:* ${what(s.target)}`,
              `*Why:* ${reason}`,
              `*Until:* ${iso(s.endsAt)} (${minutes(s.endsAt - now)} from now)`,
            ].join("\n"),
          ),
          section(
            "*What to do:* pause new sessions and batch jobs on it for the window. Changes by anyone but the freeze owner or an incident lead are refused.",
          ),
          context(
            `Lift it early with \`/openclaw unfreeze ${liftCommand(s.target)}\`; it also ends on its own, with a notice here.`,
          ),
        ],
      };
    case "end":
      return {
        text: plain(`Maintenance freeze of ${name} ended at ${iso(s.endsAt)}.`),
        parts: [
          section(
            `✅ *Maintenance window over:* the scheduled freeze of ${what(s.target)} by ${mention(s.owner)} (${reason}) ended at ${iso(s.endsAt)}. Sessions and batch jobs may resume.`,
          ),
        ],
      };
    case "cancelled":
      return {
        text: plain(`Maintenance freeze of ${name} (${window}) cancelled by ${by}.`),
        parts: [
          section(
            `✖️ *Maintenance freeze cancelled* by ${mention(by)}: the freeze of ${what(s.target)} planned ${window} (${reason}) will not happen.`,
          ),
        ],
      };
  }
}
