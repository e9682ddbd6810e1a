import { z } from "zod";
import { ClawopsError } from "../errors.ts";

/**
 * The three webhook payloads clawops takes, as their products document them, and what clawops
 * reads of each: one `IncomingAlert` per alert.
 *
 * - Alertmanager's webhook_config body, version "4"
 *   (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * - Grafana's webhook contact point: Alertmanager's body plus orgId, state, title, message and,
 *   per alert, silenceURL, dashboardURL, panelURL, values/valueString
 *   (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/).
 * - PagerDuty's v3 webhook: `{event: {id, event_type, resource_type, occurred_at, agent, client,
 *   data}}`, data an incident for `incident.*` events
 *   (https://developer.pagerduty.com/docs/webhooks/v3-overview/).
 *
 * Unknown fields are kept out (zod strips them), so a product adding a field breaks nothing.
 */

export type AlertSource = "alertmanager" | "grafana" | "pagerduty";

/** The product's own name, used as the actor of what an alert does. */
export const SOURCE_ACTOR: Record<AlertSource, string> = {
  alertmanager: "Alertmanager",
  grafana: "Grafana",
  pagerduty: "PagerDuty",
};

/** One alert, whatever product sent it. */
export interface IncomingAlert {
  source: AlertSource;
  status: "firing" | "resolved";
  /** Alertmanager/Grafana: `alertname`; PagerDuty: the incident's title. */
  name: string;
  /** The summary or description annotation (or the incident's service and urgency). */
  summary: string | null;
  /** Where a person looks at it: generatorURL, Grafana's panel/dashboard, PagerDuty's html_url. */
  link: string | null;
  /** Stable while the alert stays firing: its fingerprint (or incident id) and when it started. */
  identity: string;
  /** Labels to map it to a host (PagerDuty: none; see host-map.ts for its rule). */
  labels: Record<string, string>;
  /** PagerDuty only: the incident title and service name, searched for a host. */
  texts?: { title: string; service: string | null };
  /**
   * When the alerting system says the alert began (Alertmanager's and Grafana's `startsAt`),
   * in ms; absent when it gave no readable time. The postmortem's impact window starts there.
   */
  startedAt?: number;
  /** PagerDuty only: the PagerDuty incident, for the note and resolve written back (tickets/pagerduty.ts). */
  pagerduty?: { id: string; number: number | null; url: string | null };
}

const labelMap = z.record(z.string(), z.string());

/** One alert of an Alertmanager (or Grafana) group. */
const AlertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelMap,
  annotations: labelMap.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

const GroupFields = {
  receiver: z.string(),
  status: z.enum(["firing", "resolved"]),
  groupLabels: labelMap.default({}),
  commonLabels: labelMap.default({}),
  commonAnnotations: labelMap.default({}),
  externalURL: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
};

export const AlertmanagerPayloadSchema = z.object({
  version: z.literal("4", { error: 'version must be "4" (Alertmanager\'s webhook payload version)' }),
  ...GroupFields,
  alerts: z.array(AlertSchema).max(1000),
});

export const GrafanaPayloadSchema = z.object({
  // Grafana sends version "1"; the field is not checked beyond being there if sent.
  version: z.string().optional(),
  ...GroupFields,
  // Every Grafana webhook body carries its organization: what tells it from Alertmanager's.
  orgId: z.number({ error: "Grafana's webhook body carries orgId (a number)" }).int(),
  state: z.string().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  alerts: z
    .array(
      AlertSchema.extend({
        silenceURL: z.string().optional(),
        dashboardURL: z.string().optional(),
        panelURL: z.string().optional(),
        valueString: z.string().optional(),
      }),
    )
    .max(1000),
});

const Reference = z.object({ id: z.string().optional(), summary: z.string().optional() }).nullish();

export const PagerDutyPayloadSchema = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string(),
    occurred_at: z.string(),
    /** Who did it (a user reference with its name as `summary`), for events clawops takes back. */
    agent: z.unknown().optional(),
    data: z.record(z.string(), z.unknown()),
  }),
});

const PagerDutyIncidentSchema = z.object({
  id: z.string().min(1),
  type: z.literal("incident"),
  html_url: z.string().optional(),
  number: z.number().optional(),
  status: z.string().optional(),
  title: z.string(),
  service: Reference,
  urgency: z.string().optional(),
  priority: Reference,
});

/**
 * The other receiver's payload, sent to this one (issue 33, item 8: /alerts/grafana took an
 * Alertmanager body): Grafana's body carries `orgId`, Alertmanager's is version "4" without one.
 * Throws 400 `bad_payload` saying where it belongs.
 */
export function refuseOtherReceiver(raw: unknown, receiver: "alertmanager" | "grafana"): void {
  if (!raw || typeof raw !== "object") return;
  const body = raw as { orgId?: unknown; version?: unknown };
  if (receiver === "alertmanager" && body.orgId !== undefined)
    throw new ClawopsError(
      "bad_payload",
      "This is Grafana's webhook payload (it carries orgId): point the Grafana contact point at /alerts/grafana.",
      { status: 400 },
    );
  if (receiver === "grafana" && body.orgId === undefined && body.version === "4")
    throw new ClawopsError(
      "bad_payload",
      'This is Alertmanager\'s webhook payload (version "4", no orgId): point Alertmanager at /alerts/alertmanager.',
      { status: 400 },
    );
}

/** Parses `raw` with `schema`, or throws 400 `bad_payload` naming the first fields that are wrong. */
export function parsePayload<T>(schema: z.ZodType<T>, raw: unknown, product: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${i.message}`)
    .join("; ");
  throw new ClawopsError("bad_payload", `Not ${product}'s webhook payload: ${problems}.`, { status: 400 });
}

/** The request body as JSON, or 400 `bad_payload`. */
export function parseJson(body: string, product: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new ClawopsError("bad_payload", `Not ${product}'s webhook payload: the body is not JSON.`, { status: 400 });
  }
}

type GroupAlert = z.infer<typeof AlertmanagerPayloadSchema>["alerts"][number] & {
  panelURL?: string;
  dashboardURL?: string;
};

/** An Alertmanager or Grafana group as one alert each; each alert's labels include the group's common ones. */
export function alertsFromGroup(
  source: "alertmanager" | "grafana",
  payload: z.infer<typeof AlertmanagerPayloadSchema> | z.infer<typeof GrafanaPayloadSchema>,
): IncomingAlert[] {
  return payload.alerts.map((a: GroupAlert) => {
    const labels = { ...payload.commonLabels, ...a.labels };
    const annotations = { ...payload.commonAnnotations, ...a.annotations };
    // Alertmanager's fingerprint is the label set's hash; without one, the sorted labels stand in.
    const fingerprint =
      a.fingerprint ||
      Object.entries(labels)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    return {
      source,
      status: a.status,
      name: labels.alertname || "alert",
      summary: annotations.summary || annotations.description || annotations.message || null,
      link: a.panelURL || a.dashboardURL || a.generatorURL || null,
      identity: `${fingerprint}@${a.startsAt}`,
      labels,
      ...startedAt(a.startsAt),
    };
  });
}

/** `startsAt` as ms; Alertmanager's zero time (`0001-01-01T00:00:00Z`) and unreadable ones are none. */
function startedAt(startsAt: string): { startedAt?: number } {
  const ms = Date.parse(startsAt);
  return Number.isFinite(ms) && ms > 0 ? { startedAt: ms } : {};
}

/** PagerDuty event types that open (or re-open) an incident, and the one that ends it. */
const PD_FIRING = new Set(["incident.triggered", "incident.reopened"]);
const PD_RESOLVED = "incident.resolved";

/**
 * A PagerDuty v3 event as an alert: `incident.triggered`/`incident.reopened` fire,
 * `incident.resolved` resolves; any other event (acknowledged, annotated, a subscription's
 * `pagey.ping`, service events) is not an alert: null.
 */
export function alertFromPagerDuty(payload: z.infer<typeof PagerDutyPayloadSchema>): IncomingAlert | null {
  const { event } = payload;
  const firing = PD_FIRING.has(event.event_type);
  if (!firing && event.event_type !== PD_RESOLVED) return null;
  const incident = parsePayload(PagerDutyIncidentSchema, event.data, "a PagerDuty incident event's data");
  const service = incident.service?.summary ?? null;
  const details = [service ? `service ${service}` : null, incident.urgency ? `urgency ${incident.urgency}` : null]
    .filter(Boolean)
    .join(", ");
  return {
    source: "pagerduty",
    status: firing ? "firing" : "resolved",
    name: incident.title,
    summary: `PagerDuty incident${incident.number ? ` #${incident.number}` : ""}${details ? ` (${details})` : ""}`,
    link: incident.html_url ?? null,
    // The incident's first trigger is the incident; a reopening (a new firing) or a resolution
    // is its event, which PagerDuty's retries repeat with the same id.
    identity: event.event_type === "incident.triggered" ? incident.id : `${incident.id}@${event.id}`,
    labels: {},
    texts: { title: incident.title, service },
    pagerduty: { id: incident.id, number: incident.number ?? null, url: incident.html_url ?? null },
  };
}
