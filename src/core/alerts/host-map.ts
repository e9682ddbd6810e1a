import type { HostRecord } from "../ports/store.ts";
import type { IncomingAlert } from "./payloads.ts";

/** The labels read for a host, in order (CLAWOPS_ALERT_HOST_LABELS). */
export const DEFAULT_HOST_LABELS = ["clawops_host", "host", "instance"] as const;

/**
 * Parses CLAWOPS_ALERT_HOST_LABELS (`clawops_host,host,instance`). Throws naming the entry
 * that is not a Prometheus label name, so a typo stops the start.
 */
export function parseHostLabels(raw: string | undefined): string[] {
  const labels = (raw ?? "")
    .split(",")
    .map((l) => l.trim())
    .filter(Boolean);
  for (const l of labels) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(l)) {
      throw new Error(
        `CLAWOPS_ALERT_HOST_LABELS: "${l.slice(0, 60)}" is not a label name (e.g. clawops_host,host,instance).`,
      );
    }
  }
  return labels.length > 0 ? labels : [...DEFAULT_HOST_LABELS];
}

/**
 * The host part of a label value: `node-3.example.com:9100` → `node-3.example.com`,
 * `[fe80::1]:9100` → `fe80::1`, `http://node-3:18789/healthz` → `node-3`; lower-cased.
 */
export function hostPart(value: string): string {
  let v = value.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/.exec(v);
  if (scheme) v = (scheme[1] ?? "").replace(/^[^@]*@/, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) return bracketed[1] ?? "";
  // One colon: host:port. More than one: a bare IPv6 address, kept whole.
  if ((v.match(/:/g) ?? []).length === 1) v = v.replace(/:\d*$/, "");
  return v;
}

/** Names tried for one value, best first: the host part, then its first DNS label (`node-3.example.com` → `node-3`). */
function candidates(value: string): string[] {
  const host = hostPart(value);
  const short = host.includes(".") && !/^\d+(\.\d+){3}$/.test(host) ? host.split(".")[0] : undefined;
  return [host, ...(short ? [short] : [])].filter((n): n is string => !!n);
}

export type HostMatch = { host: HostRecord; via: string } | { host: null; reason: string };

/**
 * The enrolled host an alert is about.
 *
 * Alertmanager and Grafana: the first of `labels` (default clawops_host, host, instance) the
 * alert carries, its host part (port and scheme stripped), or that name's first DNS label.
 * A label that is present but names no enrolled host does not fall through to the next one:
 * `clawops_host` is an explicit choice.
 *
 * PagerDuty (its incidents carry no labels): `clawops_host=<name>` or `host=<name>` in the
 * incident title; else an enrolled host's name as a whole word of the title; else the
 * incident's service named exactly like an enrolled host.
 */
export function mapAlertToHost(
  alert: IncomingAlert,
  hosts: readonly HostRecord[],
  labels: readonly string[],
): HostMatch {
  const byName = new Map(hosts.filter((h) => !h.revokedAt).map((h) => [h.name, h]));
  const find = (value: string) => {
    for (const name of candidates(value)) {
      const h = byName.get(name);
      if (h) return h;
    }
    return null;
  };
  if (alert.texts) return mapPagerDuty(alert.texts, byName, find);
  for (const label of labels) {
    const value = alert.labels[label];
    if (!value) continue;
    const host = find(value);
    if (host) return { host, via: `label ${label}` };
    return { host: null, reason: `label ${label}="${value.slice(0, 80)}" names no enrolled host` };
  }
  return { host: null, reason: `the alert has none of the labels ${labels.join(", ")}` };
}

function mapPagerDuty(
  texts: NonNullable<IncomingAlert["texts"]>,
  byName: Map<string, HostRecord>,
  find: (value: string) => HostRecord | null,
): HostMatch {
  const tagged = /\b(?:clawops_host|host)=([A-Za-z0-9._:[\]-]+)/i.exec(texts.title);
  if (tagged?.[1]) {
    const host = find(tagged[1]);
    if (host) return { host, via: "the incident title's host=" };
    return { host: null, reason: `the incident title names host=${tagged[1].slice(0, 80)}, which is not enrolled` };
  }
  const words = texts.title.toLowerCase().split(/[^a-z0-9.-]+/);
  for (const word of words) {
    const host = byName.get(word) ?? byName.get(word.replace(/\.+$/, ""));
    if (host) return { host, via: "a host name in the incident title" };
  }
  const service = texts.service ? byName.get(texts.service.trim().toLowerCase()) : undefined;
  if (service) return { host: service, via: "the incident's service" };
  return {
    host: null,
    reason:
      "neither the incident title (host=<name>, or an enrolled host's name) nor its service names an enrolled host",
  };
}
