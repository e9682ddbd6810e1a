import type { ChannelTrigger, CoreDeps, IncidentChannelSettings } from "../ports/deps.ts";
import { type Incident, SEVERITIES } from "../ports/incident-book.ts";

/**
 * When an incident gets a channel of its own, and what it is called (issue 41, item 2;
 * docs/incidents.md#incident-channels). Thread mode stays the default: with the policy `off`
 * no incident gets one and no header offers one.
 */

export const DEFAULT_CHANNEL_NAME = "inc-<yyyymmdd>-<host>";
export const CHANNEL_SETTINGS_OFF: IncidentChannelSettings = {
  mode: "off",
  triggers: [],
  nameTemplate: DEFAULT_CHANNEL_NAME,
  isPrivate: false,
  archive: false,
};

const POLICY_USAGE =
  "CLAWOPS_INCIDENT_CHANNEL_POLICY is `off`, `manual` (the header's button and `incident <id> channel` only), or a comma list of sev1-sev4 and `fleet` (those open a channel at once; the button works too), e.g. `sev1,sev2,fleet`.";

/** CLAWOPS_INCIDENT_CHANNEL_POLICY. Throws, in words, on anything else. */
export function parseChannelPolicy(text: string | undefined): Pick<IncidentChannelSettings, "mode" | "triggers"> {
  const raw = (text ?? "").trim().toLowerCase();
  if (raw === "" || raw === "off" || raw === "none") return { mode: "off", triggers: [] };
  if (raw === "manual") return { mode: "manual", triggers: [] };
  const triggers: ChannelTrigger[] = [];
  for (const word of raw.split(",").map((w) => w.trim())) {
    const trigger = word === "fleet" ? "fleet" : SEVERITIES.find((s) => s === word);
    if (!trigger) throw new Error(`${POLICY_USAGE} "${word.slice(0, 20)}" is neither.`);
    if (!triggers.includes(trigger)) triggers.push(trigger);
  }
  return { mode: "auto", triggers };
}

const PLACEHOLDERS = ["<yyyymmdd>", "<host>", "<sev>", "<id>"];

/** CLAWOPS_INCIDENT_CHANNEL_NAME: a template that can make a valid name. Throws, in words, when not. */
export function parseChannelNameTemplate(text: string | undefined): string {
  const template = text?.trim() || DEFAULT_CHANNEL_NAME;
  const unknown = (template.match(/<[^>]*>/g) ?? []).filter((p) => !PLACEHOLDERS.includes(p.toLowerCase()));
  if (unknown.length > 0) {
    throw new Error(
      `CLAWOPS_INCIDENT_CHANNEL_NAME: ${unknown[0]?.slice(0, 20)} is not a placeholder; use ${PLACEHOLDERS.join(", ")}.`,
    );
  }
  if (!slackChannelName(template.replace(/<[^>]*>/g, "x"))) {
    throw new Error("CLAWOPS_INCIDENT_CHANNEL_NAME makes no channel name (letters, digits, - and _).");
  }
  return template;
}

/** Slack's limit on a channel name (https://api.slack.com/methods/conversations.create#naming). */
export const CHANNEL_NAME_MAX = 80;

/**
 * `text` as a name Slack takes: lowercase letters, digits, `-` and `_` only (anything else
 * becomes `-`, runs of them one), at most 80 characters, no `-` at either end; "" when nothing
 * is left. `room`: characters kept free at the end (for a `-2` suffix).
 */
export function slackChannelName(text: string, room = 0): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, CHANNEL_NAME_MAX - room)
    .replace(/-+$/, "");
}

/** The channel name the template makes for `incident`, opened at `now` (UTC date). */
export function incidentChannelName(template: string, incident: Incident, room = 0): string {
  const host = incident.source === "fleet" ? "fleet" : (incident.hosts[0] ?? "incident");
  const day = new Date(incident.openedAt).toISOString().slice(0, 10).replace(/-/g, "");
  const filled = template.replace(/<[^>]*>/g, (p) => {
    switch (p.toLowerCase()) {
      case "<yyyymmdd>":
        return day;
      case "<host>":
        return host;
      case "<sev>":
        return incident.severity;
      default:
        return incident.id;
    }
  });
  return slackChannelName(filled, room) || slackChannelName(`inc-${day}-${incident.id}`, room);
}

/** Whether the policy opens a channel for `incident` at once (never for one grouped into a fleet incident). */
export function policyWants(settings: IncidentChannelSettings, incident: Incident): boolean {
  if (settings.mode !== "auto" || incident.parentId) return false;
  return (
    settings.triggers.includes(incident.severity) ||
    (incident.source === "fleet" && settings.triggers.includes("fleet"))
  );
}

export function channelSettings(deps: Pick<CoreDeps, "incidentChannels">): IncidentChannelSettings {
  return deps.incidentChannels ?? CHANNEL_SETTINGS_OFF;
}

/** Whether the header offers *Open a channel* for `incident`. */
export function offersChannel(deps: Pick<CoreDeps, "incidentChannels" | "chat">, incident: Incident): boolean {
  return (
    channelSettings(deps).mode !== "off" &&
    typeof deps.chat.createChannel === "function" &&
    incident.state !== "resolved" &&
    !incident.ownChannel &&
    !incident.parentId
  );
}
