import { escapeMrkdwn } from "../mrkdwn.ts";
import { normalizeHostName } from "../vocabulary/hosts.ts";
import { actions } from "./build.ts";
import type { BasicPart, Button } from "./model.ts";

/**
 * Command buttons: a button on an answer that stands for one command, e.g. *Run again* for
 * `triage node-3`. A press is the presser's command: it becomes exactly that command text and
 * runs through handleCommand like the slash command, so it is authorized, audited and
 * deduplicated (by the press's request identity) the same way.
 *
 * A button's value arrives back from Slack inside a signed interaction, and from the console's
 * page; either could be crafted. So a press is checked against the few shapes clawops puts on
 * buttons (below), with the host name pattern, and its action id must be the one clawops gives
 * that command; anything else runs nothing and is audited as refused.
 */

/** Every command button's action id starts with this; approvals use other ids (recovery/confirm.ts). */
export const RUN_ACTION_PREFIX = "clawops_run:";

export type ButtonCommandKind = "triage" | "bundle" | "freeze" | "recover";

/** The reason a *Freeze 30 min* press gives: fixed, so the value's shape stays exact. */
export const FREEZE_BUTTON_REASON = "set with the Freeze 30 min button";
const FREEZE_BUTTON_SUFFIX = ` for 30m ${FREEZE_BUTTON_REASON}`;

/** The command text a button of this kind stands for. */
export function buttonCommandText(kind: ButtonCommandKind, host: string): string {
  return kind === "freeze" ? `freeze ${host}${FREEZE_BUTTON_SUFFIX}` : `${kind} ${host}`;
}

const LABELS: Record<ButtonCommandKind, string> = {
  triage: "Run again",
  bundle: "Collect bundle",
  freeze: "Freeze 30 min",
  recover: "Start recovery",
};

/** One command button; `label` overrides the kind's default (the fleet matrix names the host). */
export function commandButton(kind: ButtonCommandKind, host: string, label?: string): Button {
  const button: Button = {
    actionId: `${RUN_ACTION_PREFIX}${kind}:${host}`,
    label: label ?? LABELS[kind],
    value: buttonCommandText(kind, host),
  };
  if (kind === "freeze") {
    return {
      ...button,
      confirm: {
        title: "Freeze for 30 min?",
        text: `Freeze *${escapeMrkdwn(host)}* for 30 minutes: only you and incident leads may restart or change it until it lifts. Posts a freeze notice.`,
        confirm: "Freeze",
        deny: "Cancel",
      },
    };
  }
  if (kind === "recover") {
    return {
      ...button,
      style: "danger",
      confirm: {
        title: "Start recovery?",
        text: `Start the recovery runbook on *${escapeMrkdwn(host)}*: it freezes the host, takes a snapshot, and asks again before it restarts or fixes anything.`,
        confirm: "Start",
        deny: "Cancel",
      },
    };
  }
  return button;
}

/** The buttons under a finished triage answer. */
export function triageAnswerButtons(host: string): BasicPart {
  return actions(
    "clawops_triage_actions",
    (["triage", "bundle", "freeze", "recover"] as const).map((k) => commandButton(k, host)),
  );
}

/** How long the Snooze buttons under a triage answer mute its top finding on the host. */
export const SNOOZE_SPANS = ["1h", "1d", "until-version"] as const;
export type SnoozeSpanWord = (typeof SNOOZE_SPANS)[number];
const SNOOZE_LABELS: Record<SnoozeSpanWord, string> = {
  "1h": "Snooze 1 h",
  "1d": "Snooze 1 d",
  "until-version": "Snooze until version changes",
};

/** A finding rule id as the catalog names them (`gateway-down`, `token-drift`). */
export const FINDING_ID = /^[a-z0-9][a-z0-9.-]{1,80}$/;

/** "Snooze this finding on this host": `snooze <host> <finding> <span>`, run as the presser's command. */
export function snoozeButtons(host: string, finding: string): BasicPart {
  return actions(
    "clawops_snooze_actions",
    SNOOZE_SPANS.map((span) => ({
      actionId: `${RUN_ACTION_PREFIX}snooze:${host}:${span}`,
      label: SNOOZE_LABELS[span],
      value: `snooze ${host} ${finding} ${span}`,
    })),
  );
}

const SNOOZE_SHAPE = /^snooze ([a-z0-9-]{1,63}) (\S+) (1h|1d|until-version)$/;

/** A move on an incident its header offers: "I'm on it" (`ack`) and "Resolve". */
export type IncidentMove = "ack" | "resolve";

/** An incident id as ids.id("inc") makes them: a prefix and URL-safe characters. */
export const INCIDENT_ID = /^inc[_-][A-Za-z0-9_-]{1,60}$/;

/** The button for `incident <id> ack|resolve`, run as the presser's command. */
export function incidentButton(move: IncidentMove, id: string, hosts: readonly string[]): Button {
  const button: Button = {
    actionId: `${RUN_ACTION_PREFIX}${move}:${id}`,
    label: move === "ack" ? "I'm on it" : "Resolve",
    value: `incident ${id} ${move}`,
  };
  if (move === "ack") return button;
  const named = hosts.slice(0, 5).join(", ") + (hosts.length > 5 ? ", …" : "");
  return {
    ...button,
    style: "primary",
    confirm: {
      title: "Resolve this incident?",
      text: `Resolve \`${id}\` (${escapeMrkdwn(named)}). Its header says so; a new failure opens a new incident.`,
      confirm: "Resolve",
      deny: "Cancel",
    },
  };
}

/** What a press on a command button asks: the command text, or why it is refused. */
export type ButtonCommand =
  | { ok: true; text: string; host: string | null; incident?: string }
  | { ok: false; reason: string };

const INCIDENT_SHAPE = /^incident (\S+) (ack|resolve)$/;

const SHAPE = /^(triage|bundle|recover|freeze) ([a-z0-9-]{1,63})(.*)$/s;

/**
 * The command a press stands for, checked strictly; null when the action is not a command
 * button at all (an approval, or someone else's button).
 */
export function commandFromButton(actionId: string, value: string | undefined): ButtonCommand | null {
  if (!actionId.startsWith(RUN_ACTION_PREFIX)) return null;
  const refused = (why: string): ButtonCommand => ({
    ok: false,
    reason: `this button's value is not one clawops makes (${why})`,
  });
  const move = INCIDENT_SHAPE.exec(value ?? "");
  if (move?.[1] && move[2]) {
    if (!INCIDENT_ID.test(move[1])) return refused("bad incident id");
    if (actionId !== `${RUN_ACTION_PREFIX}${move[2]}:${move[1]}`) return refused("action and value disagree");
    return { ok: true, text: move[0], host: null, incident: move[1] };
  }
  const snooze = SNOOZE_SHAPE.exec(value ?? "");
  if (snooze?.[1] && snooze[2] && snooze[3]) {
    if (!FINDING_ID.test(snooze[2])) return refused("bad finding id");
    if (actionId !== `${RUN_ACTION_PREFIX}snooze:${snooze[1]}:${snooze[3]}`)
      return refused("action and value disagree");
    return { ok: true, text: snooze[0], host: snooze[1] };
  }
  const m = SHAPE.exec(value ?? "");
  if (!m?.[1] || !m[2]) return refused("unknown command");
  const kind = m[1] as ButtonCommandKind;
  let host: string;
  try {
    host = normalizeHostName(m[2]);
  } catch {
    return refused("bad host name");
  }
  if (host !== m[2]) return refused("bad host name");
  if (value !== buttonCommandText(kind, host)) return refused("unexpected arguments");
  if (actionId !== `${RUN_ACTION_PREFIX}${kind}:${host}`) return refused("action and value disagree");
  return { ok: true, text: value, host };
}
