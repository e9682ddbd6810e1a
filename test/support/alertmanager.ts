/**
 * Alertmanager's webhook as it posts it (payload version 4: prometheus.io/docs/alerting/latest/
 * configuration/#webhook_config) carrying one alert: the gateway-down alert the tests and the
 * storm bench send. No Node imports: the Workers pool (workerd) imports it too.
 */
export interface WebhookAlert {
  status?: "firing" | "resolved";
  labels: Record<string, string>;
  summary: string;
  startsAt: string;
  /** Alertmanager's zero time while firing; when resolved, the time it resolved (default: now). */
  endsAt?: string;
  generatorURL?: string;
  fingerprint: string;
  /** The group's key (default: by alertname) and the labels all its alerts share (default: alertname and severity). */
  groupKey?: string;
  commonLabels?: Record<string, string>;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

export function alertmanagerWebhook(alert: WebhookAlert): string {
  const status = alert.status ?? "firing";
  const alertname = alert.labels.alertname ?? "OpenClawGatewayDown";
  return JSON.stringify({
    receiver: "clawops",
    status,
    alerts: [
      {
        status,
        labels: alert.labels,
        annotations: { summary: alert.summary },
        startsAt: alert.startsAt,
        endsAt: status === "firing" ? ZERO_TIME : (alert.endsAt ?? new Date().toISOString()),
        generatorURL: alert.generatorURL ?? "http://prometheus.example.org:9090/graph",
        fingerprint: alert.fingerprint,
      },
    ],
    groupLabels: { alertname },
    commonLabels: alert.commonLabels ?? { alertname, severity: alert.labels.severity ?? "critical" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.org:9093",
    version: "4",
    groupKey: alert.groupKey ?? `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
  });
}
