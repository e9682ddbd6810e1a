import { describe, expect, it } from "vitest";
import { hostPart, mapAlertToHost, parseHostLabels } from "../../src/core/alerts/host-map.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { parseTriageEveryMs } from "../../src/core/alerts/receive.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";

const host = (name: string, revokedAt: number | null = null): HostRecord => ({
  name,
  publicKey: "k",
  enrolledAt: 0,
  revokedAt,
  agentVersion: null,
  gatewayVersion: null,
  lastSeenAt: null,
});
const hosts = [host("node-3"), host("gw-eu-1.internal"), host("node-8", 5)];
const LABELS = parseHostLabels(undefined);

const alert = (labels: Record<string, string>): IncomingAlert => ({
  source: "alertmanager",
  status: "firing",
  name: "X",
  summary: null,
  link: null,
  identity: "f@t",
  labels,
});
const incident = (title: string, service: string | null = null): IncomingAlert => ({
  ...alert({}),
  source: "pagerduty",
  texts: { title, service },
});
const mapped = (a: IncomingAlert, labels = LABELS) => {
  const m = mapAlertToHost(a, hosts, labels);
  return m.host ? m.host.name : `none: ${m.reason}`;
};

describe("an alert's host", () => {
  it("is the host part of a label value: port, scheme and brackets stripped, lower-cased", () => {
    expect(hostPart("node-3:9100")).toBe("node-3");
    expect(hostPart("Node-3.Example.com:9100")).toBe("node-3.example.com");
    expect(hostPart("http://node-3:18789/healthz")).toBe("node-3");
    expect(hostPart("https://user@node-3/x")).toBe("node-3");
    expect(hostPart("[fe80::1]:9100")).toBe("fe80::1");
    expect(hostPart("fe80::1")).toBe("fe80::1");
    expect(hostPart("10.0.0.7:9100")).toBe("10.0.0.7");
  });

  it("comes from clawops_host, else host, else instance (its name, or its first DNS label)", () => {
    expect(mapped(alert({ clawops_host: "node-3", host: "db-1", instance: "db-1:9100" }))).toBe("node-3");
    expect(mapped(alert({ host: "node-3", instance: "db-1:9100" }))).toBe("node-3");
    expect(mapped(alert({ instance: "node-3.example.com:9100" }))).toBe("node-3");
    expect(mapped(alert({ instance: "gw-eu-1.internal:9100" }))).toBe("gw-eu-1.internal");
  });

  it("stops at the first label present: an explicit clawops_host naming no host is not overridden", () => {
    expect(mapped(alert({ clawops_host: "db-1", instance: "node-3:9100" }))).toBe(
      'none: label clawops_host="db-1" names no enrolled host',
    );
    expect(mapped(alert({ job: "node" }))).toBe("none: the alert has none of the labels clawops_host, host, instance");
    expect(mapped(alert({ host: "node-8" }))).toBe('none: label host="node-8" names no enrolled host');
    expect(mapped(alert({ instance: "10.0.0.7:9100" }))).toBe(
      'none: label instance="10.0.0.7:9100" names no enrolled host',
    );
  });

  it("reads the labels CLAWOPS_ALERT_HOST_LABELS names, in its order", () => {
    const labels = parseHostLabels("nodename, instance");
    expect(labels).toEqual(["nodename", "instance"]);
    expect(mapped(alert({ host: "db-1", nodename: "node-3" }), labels)).toBe("node-3");
    expect(() => parseHostLabels("host,not a label")).toThrow(/CLAWOPS_ALERT_HOST_LABELS: "not a label"/);
  });

  it("on PagerDuty: host= in the title, else an enrolled host named in it, else the service's name", () => {
    expect(mapped(incident("[critical] host=node-3: gateway down on db-1"))).toBe("node-3");
    expect(mapped(incident("OpenClaw gateway down on node-3."))).toBe("node-3");
    expect(mapped(incident("Gateway refuses clients", "gw-eu-1.internal"))).toBe("gw-eu-1.internal");
    expect(mapped(incident("host=db-9 is down", "node-3"))).toBe(
      "none: the incident title names host=db-9, which is not enrolled",
    );
    expect(mapped(incident("node-30 is down"))).toMatch(/^none: neither the incident title/);
  });
});

describe("CLAWOPS_ALERT_TRIAGE_MINUTES", () => {
  it("is 5 min by default, 0 turns the limit off, and anything else stops the start naming the variable", () => {
    expect(parseTriageEveryMs(undefined)).toBe(300_000);
    expect(parseTriageEveryMs(" 0 ")).toBe(0);
    expect(parseTriageEveryMs("15")).toBe(900_000);
    for (const bad of ["5m", "-1", "1441", "x"]) {
      expect(() => parseTriageEveryMs(bad)).toThrow(/^CLAWOPS_ALERT_TRIAGE_MINUTES: /);
    }
  });
});
