import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { enroll } from "../src/agent/enroll.ts";
import type { Incident } from "../src/core/ports/incident-book.ts";
import { alertmanagerWebhook } from "../test/support/alertmanager.ts";
import { spawnControlPlane } from "../test/support/control-plane-process.ts";
import { PagerDutyEventsStandIn } from "../test/support/pager-standins.ts";
import { SlackStandIn } from "../test/support/slack-standin.ts";
import { vmRssKb } from "./fleet.ts";

/**
 * `npm run bench:storm [-- --alerts N --hosts 1,20,200 --after-s 60]`: an alert storm as an
 * operator's Alertmanager would send it (issue 29, item 2). N distinct firing alerts, one per
 * request, 20 requests at a time, spread round-robin over H enrolled hosts, against the control
 * plane in its own process as `npm start` runs it (Slack configured: the stand-in checks every
 * call). The alerts share their name (what an outage makes), each with its own fingerprint. For
 * each H it reports how long the storm took, the incidents it made (top-level: not grouped into
 * a fleet incident), the chat messages per incident (its header and every reply in its thread),
 * the header edits, and the control plane's resident memory before, at its peak, once drained and
 * `--after-s` later. Then 1,000 alerts for hosts nobody enrolled: how many log lines they cost.
 * Paging (issue 40): PagerDuty's Events API v2 stand-in is configured with a policy that pages
 * every alert and fleet incident (`alert:sev4,fleet:sev4`, the worst case: the default never
 * pages alerts), and the pages it received are counted against the incidents: at most one
 * trigger per incident (its id is the dedup key).
 * Writes bench/results/incident-storm.{md,json}.
 */
const { values } = parseArgs({
  options: {
    alerts: { type: "string" },
    hosts: { type: "string" },
    "after-s": { type: "string" },
  },
});
const ALERTS = Number(values.alerts ?? 10_000);
const HOST_COUNTS = (values.hosts ?? "1,20,200").split(",").map(Number);
const AFTER_MS = Number(values["after-s"] ?? 60) * 1000;
const CONCURRENCY = 20;
const TOKEN = "bench-storm-token";
const CHANNEL = "C0STORM";

const rssMb = (pid: number): number => vmRssKb(pid) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function payload(i: number, host: string): string {
  return alertmanagerWebhook({
    labels: { alertname: "OpenClawGatewayDown", host, probe: `p${i}`, severity: "critical" },
    summary: `gateway probe ${i} failed on ${host}`,
    startsAt: "2026-11-25T07:00:00Z",
    fingerprint: `storm${String(i).padStart(11, "0")}`,
    groupKey: `{}:{probe="p${i}"}`,
    commonLabels: { severity: "critical" },
  });
}

interface Row {
  hosts: number;
  alerts: number;
  failures: number;
  stormS: number;
  drainedS: number;
  incidents: number;
  topLevel: number;
  fleet: number;
  maxMessagesPerIncident: number;
  messages: number;
  headerEdits: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssDrainedMb: number;
  rssAfterMb: number;
  /** Trigger events PagerDuty's stand-in accepted, and their distinct dedup keys. */
  pages: number;
  pageKeys: number;
}

async function run(hostCount: number): Promise<Row> {
  const slack = new SlackStandIn("xoxb-storm");
  const apiUrl = await slack.start();
  const pd = new PagerDutyEventsStandIn("benchstormroutingkey0123456789ab");
  await pd.start();
  const cp = await spawnControlPlane({
    SLACK_SIGNING_SECRET: "bench-signing-secret",
    SLACK_BOT_TOKEN: "xoxb-storm",
    SLACK_API_URL: apiUrl,
    CLAWOPS_INCIDENT_CHANNEL: CHANNEL,
    CLAWOPS_ALERT_TOKEN: TOKEN,
    CLAWOPS_PAGERDUTY_ROUTING_KEY: pd.routingKey,
    PAGERDUTY_EVENTS_URL: pd.eventsUrl,
    CLAWOPS_PAGING_POLICY: "alert:sev4,fleet:sev4",
  });
  const pid = cp.child.pid as number;
  const dir = mkdtempSync(join(tmpdir(), "clawops-storm-"));
  const hosts = Array.from({ length: hostCount }, (_, i) => `storm-${i + 1}`);
  try {
    for (const host of hosts) {
      await enroll({ dir: join(dir, host), server: cp.url, host, code: await cp.enrollmentCode(host) });
    }
    await sleep(2_000);
    const rssBeforeMb = rssMb(pid);
    let rssPeakMb = rssBeforeMb;
    const sampler = setInterval(() => {
      rssPeakMb = Math.max(rssPeakMb, rssMb(pid));
    }, 250);
    const headers = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
    let next = 0;
    let failures = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < ALERTS) {
        const i = next++;
        const res = await fetch(`${cp.url}/alerts/alertmanager`, {
          method: "POST",
          headers,
          body: payload(i, hosts[i % hosts.length] as string),
        });
        await res.text();
        if (res.status !== 202) failures++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const stormS = (performance.now() - t0) / 1000;
    // Drained: the incidents' counts hold every alert and the chat has been quiet for 16 s
    // (the last held header edit comes within the 10 s edit interval plus the 5 s sweep).
    const incidents = async () => {
      const res = await fetch(`${cp.url}/api/console/incidents?scope=all`, { headers: cp.consoleHeaders() });
      return ((await res.json()) as { incidents: Incident[] }).incidents;
    };
    let quietSince = performance.now();
    let calls = slack.calls.length + pd.requests.length;
    for (;;) {
      await sleep(500);
      if (slack.calls.length + pd.requests.length !== calls) {
        calls = slack.calls.length + pd.requests.length;
        quietSince = performance.now();
      }
      const all = await incidents();
      const counted = all.filter((i) => i.parentId === null).reduce((n, i) => n + i.counts.alerts, 0);
      if (counted >= ALERTS && performance.now() - quietSince > 16_000) break;
      if (performance.now() - t0 > 10 * 60_000) throw new Error(`not drained after 10 min: ${counted} alerts counted`);
    }
    const drainedS = (performance.now() - t0) / 1000;
    const rssDrainedMb = rssMb(pid);
    await sleep(AFTER_MS);
    clearInterval(sampler);
    const rssAfterMb = rssMb(pid);
    const all = await incidents();
    const perIncident = all.map((i) => (i.threadTs ? 1 + slack.thread(i.channel ?? CHANNEL, i.threadTs).length : 0));
    const posts = slack.calls.filter((c) => c.method === "chat.postMessage").length;
    return {
      hosts: hostCount,
      alerts: ALERTS,
      failures,
      stormS,
      drainedS,
      incidents: all.length,
      topLevel: all.filter((i) => i.parentId === null).length,
      fleet: all.filter((i) => i.source === "fleet").length,
      maxMessagesPerIncident: Math.max(0, ...perIncident),
      messages: posts,
      headerEdits: slack.calls.filter((c) => c.method === "chat.update").length,
      rssBeforeMb,
      rssPeakMb,
      rssDrainedMb,
      rssAfterMb,
      pages: pd.events.filter((e) => e.action === "trigger").length,
      pageKeys: new Set(pd.events.filter((e) => e.action === "trigger").map((e) => e.dedupKey)).size,
    };
  } finally {
    await cp.stop();
    await slack.stop();
    await pd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1,000 alerts naming hosts nobody enrolled: the log lines they cost. */
async function unknownHosts(): Promise<{ alerts: number; lines: number }> {
  const slack = new SlackStandIn("xoxb-storm");
  const apiUrl = await slack.start();
  const cp = await spawnControlPlane({
    SLACK_SIGNING_SECRET: "bench-signing-secret",
    SLACK_BOT_TOKEN: "xoxb-storm",
    SLACK_API_URL: apiUrl,
    CLAWOPS_INCIDENT_CHANNEL: CHANNEL,
    CLAWOPS_ALERT_TOKEN: TOKEN,
  });
  try {
    const headers = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < 1_000; i++) {
      const res = await fetch(`${cp.url}/alerts/alertmanager`, {
        method: "POST",
        headers,
        body: payload(i, `ghost-${i}`),
      });
      await res.text();
    }
    await sleep(500);
    return {
      alerts: 1_000,
      lines: cp
        .stderr()
        .split("\n")
        .filter((l) => l.includes("alert not taken")).length,
    };
  } finally {
    await cp.stop();
    await slack.stop();
  }
}

const rows: Row[] = [];
for (const h of HOST_COUNTS) {
  process.stderr.write(`storm: ${ALERTS} alerts over ${h} host(s)…\n`);
  rows.push(await run(h));
}
const unknown = await unknownHosts();

const r1 = (n: number) => Math.round(n * 10) / 10;
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const lines = [
  `Measured ${new Date().toISOString()} on ${machine}.`,
  "",
  "### Alert storms (issue 29)",
  "",
  `${ALERTS.toLocaleString("en-US")} distinct firing alerts (one name, each its own fingerprint), one per request, ${CONCURRENCY} at a time, round-robin over the hosts; control plane in its own process with Slack (the stand-in); memory is the control plane's resident set (\`npm run bench:storm\`).`,
  "",
  "| hosts | storm took | drained after | incidents (top-level, fleet) | most messages in one incident | messages in all | header edits | RSS before → peak → drained → +" +
    `${AFTER_MS / 1000} s | failures |`,
  "|---|---|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.hosts} | ${r1(r.stormS)} s | ${r1(r.drainedS)} s | ${r.incidents} (${r.topLevel}, ${r.fleet}) | ${r.maxMessagesPerIncident} | ${r.messages} | ${r.headerEdits} | ${r1(r.rssBeforeMb)} → ${r1(r.rssPeakMb)} → ${r1(r.rssDrainedMb)} → ${r1(r.rssAfterMb)} MB | ${r.failures} |`,
  ),
  "",
  "Paging (issue 40), every alert and fleet incident paged (`CLAWOPS_PAGING_POLICY=alert:sev4,fleet:sev4`, PagerDuty's Events API v2 stand-in):",
  "",
  "| hosts | alerts | incidents | pages (trigger events) | distinct dedup keys | pages ≤ incidents |",
  "|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.hosts} | ${r.alerts.toLocaleString("en-US")} | ${r.incidents} | ${r.pages} | ${r.pageKeys} | ${r.pages <= r.incidents ? "✅" : "❌"} |`,
  ),
  "",
  `Alerts for hosts nobody enrolled: ${unknown.alerts.toLocaleString("en-US")} alerts, ${unknown.lines} log line${unknown.lines === 1 ? "" : "s"} (the first at once, the rest counted once a minute).`,
  "",
];
process.stdout.write(`${lines.join("\n")}\n`);
const out = join(import.meta.dirname, "results", "incident-storm");
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(`${out}.md`, `${lines.join("\n")}\n`);
writeFileSync(`${out}.json`, `${JSON.stringify({ machine, rows, unknown }, null, 2)}\n`);
