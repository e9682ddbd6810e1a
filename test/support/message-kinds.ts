import { STEP_NAMES as ALL_STEP_NAMES, TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { renderAlertFired, renderAlertResolved } from "../../src/core/alerts/render.ts";
import { renderAuditSummary } from "../../src/core/audit/render.ts";
import type { Manifest } from "../../src/core/bundles/archive.ts";
import {
  renderBundleEnd,
  renderBundleProgress,
  renderBundleScan,
  renderBundleStart,
  renderTicketNotes,
  renderUploadFailed,
  summarize,
} from "../../src/core/bundles/render.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { renderHelp } from "../../src/core/commands/help.ts";
import { renderConfirmation } from "../../src/core/confirmations/confirm.ts";
import { renderDecided, renderExpired, renderRefusal } from "../../src/core/confirmations/render.ts";
import type { FleetReport } from "../../src/core/fleet/fleet.ts";
import { renderFleetStatus } from "../../src/core/fleet/render.ts";
import { versionDrift } from "../../src/core/fleet/versions.ts";
import { renderMaintenanceEnd } from "../../src/core/freezes/maintenance.ts";
import {
  renderExpiryNotice,
  renderFreezeNotice,
  renderFreezeStatus,
  renderUnfreezeNotice,
} from "../../src/core/freezes/render.ts";
import {
  renderAutoAllClear,
  renderAutoCapNotice,
  renderAutoFreezeNotice,
  renderFreezeExtended,
  renderScheduledFreeze,
} from "../../src/core/freezes/render-policy.ts";
import { renderHosts } from "../../src/core/hosts/render.ts";
import type { WatchTransition } from "../../src/core/hosts/watch-state.ts";
import { sharedCause } from "../../src/core/incidents/grouping.ts";
import { renderGroupedNote, renderLiveHeader } from "../../src/core/incidents/header.ts";
import { renderIncident } from "../../src/core/incidents/render.ts";
import { renderIncidentHeader } from "../../src/core/incidents/thread.ts";
import { builtinKnownIssues } from "../../src/core/known-issues/builtin.ts";
import { type HostFacts, tallyKnownIssues } from "../../src/core/known-issues/fleet.ts";
import { renderFleetKnownIssues, renderHostKnownIssues } from "../../src/core/known-issues/render.ts";
import { versionIn } from "../../src/core/known-issues/versions.ts";
import type { Message } from "../../src/core/messages/model.ts";
import { renderError, renderNotice } from "../../src/core/messages/notices.ts";
import { type Incident, NO_COUNTS } from "../../src/core/ports/incident-book.ts";
import type {
  AuditEntry,
  AutoFreeze,
  ConfirmationRecord,
  FreezeRecord,
  ScheduledFreeze,
} from "../../src/core/ports/recovery.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import type { WatchRecord } from "../../src/core/ports/watch-record.ts";
import { RECOVER_STEP_TITLES, renderRecoverProgress, type StepView } from "../../src/core/recover/runbook/progress.ts";
import { inlineDraft } from "../../src/core/tickets/draft.ts";
import { renderComparison } from "../../src/core/triage/compare.ts";
import { renderTriageProgress, renderTriageResult } from "../../src/core/triage/render.ts";
import { renderUpgradeRun, type UpgradeRunView } from "../../src/core/upgrade/run-render.ts";
import {
  renderAgentLost,
  renderWatchFailing,
  renderWatchFlaps,
  renderWatchRecovered,
} from "../../src/core/watch/render.ts";
import { gatewayDownData, healthyData, tokenDriftData, triageResults } from "./evidence.ts";

/**
 * One sample of every message clawops sends, by name: the golden files of each renderer
 * (Slack Block Kit, console HTML, terminal text) are made from this one list.
 */

const STEP_NAMES = ALL_STEP_NAMES.filter((s) => TRIAGE_STEP_NAMES.includes(s));
const NOW = Date.UTC(2026, 10, 22, 7, 30);
const meta = {
  host: "node-3",
  jobId: "job_0123456789abcdef",
  elapsedMs: 3120,
  agentVersion: "0.1.0",
  gatewayVersion: "2026.9.6",
};

/** A plugin left on the previous release: the gateway's own health names the failed import (issue 42). */
function pluginExportData() {
  const d = healthyData();
  if (d.inventory.plugins) {
    d.inventory.plugins = {
      ...d.inventory.plugins,
      errors: [
        "slack: SyntaxError: The requested module 'openclaw/plugin-sdk/channel-runtime' does not provide an export named 'resolveChannelAccountConfig'",
      ],
    };
  }
  return d;
}

/** What the control plane knows of three hosts, for `known-issues` (core/known-issues/fleet.ts). */
const KNOWN_ISSUE_HOSTS: HostFacts[] = [
  {
    name: "node-3",
    gatewayVersion: "2026.9.5",
    triage: {
      at: NOW - 12 * 60_000,
      findings: [
        {
          id: "plugins-not-loaded",
          evidence: [
            "health.plugins.errors: slack: SyntaxError: The requested module 'openclaw/plugin-sdk/channel-runtime' does not provide an export named 'resolveChannelAccountConfig'",
          ],
        },
        { id: "gateway-unresponsive", evidence: ["[gateway] shutdown: Gateway health refresh owner is closed"] },
      ],
    },
    watch: { at: NOW - 30_000, findingIds: ["plugins-not-loaded"] },
  },
  {
    name: "node-4",
    gatewayVersion: "2026.9.5",
    triage: {
      at: NOW - 3_600_000,
      findings: [{ id: "spawn-broker-lost", evidence: ["Spawn broker exited; command outcome is unavailable"] }],
    },
    watch: null,
  },
  { name: "node-5", gatewayVersion: "2026.9.4", triage: null, watch: null },
];

const hosts: HostRecord[] = [
  {
    name: "node-3",
    publicKey: "k",
    enrolledAt: 0,
    revokedAt: null,
    agentVersion: "0.1.0",
    gatewayVersion: "2026.9.6",
    lastSeenAt: 1_000_000 - 12_000,
  },
  {
    name: "node-4",
    publicKey: "k",
    enrolledAt: 0,
    revokedAt: null,
    agentVersion: null,
    gatewayVersion: null,
    lastSeenAt: null,
  },
  {
    name: "old-1",
    publicKey: "k",
    enrolledAt: 0,
    revokedAt: 5,
    agentVersion: "0.0.9",
    gatewayVersion: null,
    lastSeenAt: 0,
  },
];

const fleet: FleetReport = {
  selector: { kind: "all" },
  columns: ["service", "port", "transport", "auth"],
  rows: [
    {
      host: "node-26",
      state: "fail",
      layers: { service: "ok", port: "fail", transport: "fail" },
      reason: "nothing listens on 19001",
    },
    { host: "edge-3", state: "no-answer", layers: {}, reason: "no answer within 2.0 s" },
    { host: "node-30", state: "offline", layers: {}, reason: "agent not connected" },
    {
      host: "node-2",
      state: "warn",
      layers: { service: "ok", port: "ok", transport: "ok", auth: "warn" },
      reason: "token <rotated> & stale",
    },
    {
      host: "node-1",
      state: "ok",
      layers: { service: "ok", port: "ok", transport: "ok", auth: "ok" },
      reason: "all good",
    },
  ],
  counts: { ok: 1, warn: 1, fail: 1, "no-answer": 1, offline: 1 },
  deadlineMs: 2000,
  elapsedMs: 1234,
};

/** The fleet matrix from the watch: ages, a stale host, a host never watched. */
const fleetWatch: FleetReport = {
  ...fleet,
  rows: [
    { ...(fleet.rows[0] as FleetReport["rows"][number]), ageMs: 12_000 },
    {
      host: "edge-3",
      state: "stale",
      layers: {},
      reason: "agent disconnected (close 1006); last state healthy",
      ageMs: 240_000,
    },
    {
      host: "node-7",
      state: "unwatched",
      layers: {},
      reason: "connected, no watch state yet (an agent before the watch, or its watch is off)",
    },
    { ...(fleet.rows[4] as FleetReport["rows"][number]), ageMs: 3_000 },
  ],
  counts: { ok: 1, warn: 0, fail: 1, "no-answer": 0, offline: 0, stale: 1, unwatched: 1 },
  elapsedMs: 4,
  source: "watch",
};

/**
 * The fleet matrix from the watch with version drift (issue 42): most on 2026.9.6, one host on
 * 2026.9.5 (a known issue 2026.9.6 fixes), one with an official plugin left on the old release,
 * one whose agent never reported a version.
 */
const fleetVersions: FleetReport = (() => {
  const hosts = [
    { name: "node-26", gatewayVersion: "2026.9.6" },
    { name: "node-2", gatewayVersion: "OpenClaw 2026.9.5 (ec9c1a1)" },
    { name: "node-1", gatewayVersion: "2026.9.6" },
    { name: "node-4", gatewayVersion: "2026.9.6" },
    { name: "node-9", gatewayVersion: null },
  ];
  const plugins = (list: string[]) => ({ last: { attributes: { plugins: list } } }) as unknown as WatchRecord;
  const watch = new Map<string, WatchRecord>([
    ["node-26", plugins(["@openclaw/matrix 2026.9.5", "@openclaw/slack 2026.9.6", "openclaw-weather 1.2.0"])],
    ["node-1", plugins(["@openclaw/slack 2026.9.6-1"])],
  ]);
  const versions = versionDrift(hosts, watch, builtinKnownIssues());
  const version = (h: string) => versionIn(hosts.find((x) => x.name === h)?.gatewayVersion) ?? undefined;
  const rows = [
    ...fleetWatch.rows.filter((r) => r.host !== "node-7" && r.host !== "edge-3"),
    { ...(fleet.rows[3] as FleetReport["rows"][number]), ageMs: 9_000 },
    { host: "node-4", state: "ok" as const, layers: { service: "ok" as const }, reason: "all good", ageMs: 5_000 },
    { host: "node-9", state: "unwatched" as const, layers: {}, reason: "reachable, no watch state" },
  ].map((r) => {
    const v = version(r.host);
    return v ? { ...r, version: v } : r;
  });
  const counts = { ok: 2, warn: 1, fail: 1, "no-answer": 0, offline: 0, unwatched: 1 };
  return { ...fleetWatch, rows, counts, versions };
})();

const watchDown: WatchTransition = {
  host: "node-3",
  healthy: false,
  since: NOW - 65_000,
  at: NOW - 35_000,
  findingIds: ["gateway-down"],
  reason: "Gateway not running <rpc>",
  falseGreen: "`openclaw status` exited 0",
  failingSince: null,
  action: "post",
};
const watchUp: WatchTransition = {
  ...watchDown,
  healthy: true,
  since: NOW + 6 * 60_000,
  at: NOW + 6 * 60_000 + 30_000,
  findingIds: [],
  reason: "every probed layer ok",
  falseGreen: null,
  failingSince: NOW - 65_000,
};

const freeze: FreezeRecord = {
  target: "node-3",
  owner: "U0OWNER",
  reason: "token rotation went wrong <@U0X>",
  source: "slack",
  createdAt: NOW,
  expiresAt: NOW + 45 * 60_000,
  channel: "C0INCIDENT",
  notices: [],
};
const fleetFreeze: FreezeRecord = { ...freeze, target: "all", owner: "console", expiresAt: NOW + 3 * 3_600_000 };
const autoFreeze: FreezeRecord & { auto: AutoFreeze } = {
  ...freeze,
  owner: "clawops (automatic)",
  reason: "gateway down: gateway-down",
  source: "system",
  expiresAt: NOW + 4 * 3_600_000,
  auto: {
    rule: "gateway down <all>",
    findings: ["gateway-down", "gateway-crash-loop"],
    liftAfterMs: 5 * 60_000,
    capAt: NOW + 4 * 3_600_000,
    healthySince: null,
    holdUntil: null,
  },
};
const autoHealthy = { ...autoFreeze, auto: { ...autoFreeze.auto, healthySince: NOW + 20 * 60_000 } };
const autoExtended = {
  ...autoFreeze,
  auto: { ...autoFreeze.auto, holdUntil: NOW + 30 * 60_000 },
};
const scheduled: ScheduledFreeze = {
  id: "sfz_0123",
  target: "node-3",
  owner: "U0OWNER",
  reason: "kernel upgrade & reboot <@U0X>",
  source: "slack",
  channel: "C0OPS",
  createdAt: NOW,
  startsAt: NOW + 90 * 60_000,
  endsAt: NOW + 120 * 60_000,
  stage: "scheduled",
};

const audit: AuditEntry[] = [
  {
    seq: 3,
    at: NOW + 60_000,
    actor: "U0OWNER",
    source: "slack",
    action: "approval",
    host: "node-3",
    outcome: "ok",
    detail: "approved gateway.restart (job run_1)",
    ref: "cf_1",
  },
  {
    seq: 2,
    at: NOW + 30_000,
    actor: "console",
    source: "console",
    action: "freeze",
    host: "node-3",
    outcome: "refused",
    detail: "already frozen by <@U0OWNER> & co",
    ref: null,
  },
  {
    seq: 1,
    at: NOW,
    actor: "system",
    source: "system",
    action: "freeze.expired",
    host: null,
    outcome: "info",
    detail: "all",
    ref: null,
  },
];

const confirmation: ConfirmationRecord = {
  id: "cf_abcdefghijklmnopqrstuvwx",
  host: "node-3",
  step: "gateway.restart",
  action: "restart",
  job: "run_0123",
  requestedBy: "U0OWNER",
  channel: "C0INCIDENT",
  threadTs: "1700000000.000100",
  messageTs: null,
  createdAt: NOW,
  expiresAt: NOW + 5 * 60_000,
  decidedAt: null,
  decidedBy: null,
  decision: null,
  offersDrain: false,
};
const summary = "State: gateway closed (1000) after the token rotation.\nIn flight: 3 session(s), 1 active task(s).";

const recoverSteps = (states: StepView["state"][], details: string[] = []): StepView[] =>
  RECOVER_STEP_TITLES.map((_, i) => ({ state: states[i] ?? "pending", detail: details[i] ?? "" }));

const manifest: Manifest = {
  bundleId: "bundle_0123",
  host: "node-3",
  createdAt: "2026-11-22T07:30:00.000Z",
  complete: false,
  incomplete: ["logs: no result", "doctor.lint: timeout"],
  files: [
    { name: "versions.json", size: 2048, sha256: "a".repeat(64), complete: true },
    { name: "timeline.json", size: 4096, sha256: "b".repeat(64), complete: true },
  ],
} as Manifest;
const bundleFiles = [
  {
    name: "versions.json",
    content: JSON.stringify({
      cli: { version: "2026.9.6" },
      gatewayPackage: { version: "2026.9.6" },
      os: { pretty: "Debian 12" },
      node: "v24.21.0",
      agent: "0.1.0",
    }),
    complete: true,
  },
  {
    name: "timeline.json",
    content: JSON.stringify({
      firstClose1000: { at: "2026-11-22T07:12:00Z" },
      closeCodes: [{ code: 1000, count: 4 }],
      runningConfigHash: "f".repeat(64),
    }),
    complete: true,
  },
];

const firing: IncomingAlert[] = [
  {
    source: "alertmanager",
    status: "firing",
    name: "OpenClawGatewayDown",
    summary: "gateway on node-3 refuses <clients> & probes",
    link: "http://prometheus.example.org:9090/graph?g0.expr=up%3D%3D0&g0.tab=1",
    identity: "1a30ba71cca2921f@2026-11-22T07:08:45Z",
    labels: { alertname: "OpenClawGatewayDown", instance: "node-3:9100" },
  },
  {
    source: "alertmanager",
    status: "firing",
    name: "OpenClawHandshakeErrors",
    summary: null,
    link: "javascript:alert(1)",
    identity: "77aa00bb11cc22dd@2026-11-22T07:09:00Z",
    labels: { alertname: "OpenClawHandshakeErrors", host: "node-3" },
  },
];

/** An incident record as the live header renders it (issue 29, item 5). */
function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: "inc_0a1b2c3d4e5f60718293",
    source: "alert",
    state: "open",
    title: "OpenClaw gateway on node-3",
    hosts: ["node-3"],
    channel: "C0INCIDENT",
    threadTs: "1790000000.000100",
    owner: null,
    openedAt: NOW - 4 * 60_000,
    openedBy: "Alertmanager",
    updatedAt: NOW,
    resolvedAt: null,
    resolvedBy: null,
    phase: "failing",
    parentId: null,
    causes: ["alert:OpenClawGatewayDown"],
    counts: { ...NO_COUNTS, alerts: 1_243, alertsResolved: 2, watch: 1, triages: 1 },
    lastSignalAt: NOW - 5_000,
    headerAt: null,
    headerStale: false,
    severity: "sev3",
    acknowledgedAt: null,
    comms: null,
    scribe: null,
    ...over,
  };
}
const FLEET_HOSTS = Array.from({ length: 14 }, (_, i) => `node-${i + 1}`);
const fleetIncident = incident({
  id: "inc_f1ee7f1ee7f1ee7f1ee7",
  source: "fleet",
  title: "same finding gateway.down",
  hosts: FLEET_HOSTS,
  causes: ["finding:gateway.down"],
  counts: { ...NO_COUNTS, watch: 14, hosts: 14, triages: 2 },
  openedBy: "clawops watch",
});
const fleetRecords: HostRecord[] = [...FLEET_HOSTS, "node-15", "node-16"].map((name, i) => ({
  name,
  publicKey: "k",
  enrolledAt: NOW - 86_400_000,
  revokedAt: null,
  agentVersion: "0.1.0",
  gatewayVersion: i < 14 ? "2026.9.6" : "2026.9.5",
  lastSeenAt: NOW,
}));

/** An upgrade run of three hosts to 2026.9.6: the canary done, the second wave's first host at a given point. */
function upgradeRun(phase: "running" | "stopped"): UpgradeRunView {
  const stopped = phase === "stopped";
  return {
    runId: "upg_0001",
    target: "2026.9.6",
    actor: "U0OPERATOR",
    startedAt: NOW - 5 * 60_000,
    at: NOW,
    phase,
    ...(stopped
      ? {
          why: "Stopped at node-4: the acceptance failed (read `status` failed, write `sessions.create` failed); rolled back to 2026.9.5. Later hosts were not touched.",
        }
      : {}),
    rows: [
      {
        host: "node-3",
        wave: 1,
        from: "2026.9.5",
        on: "2026.9.6",
        state: "upgraded",
        detail: "acceptance read `status` ok, write `sessions.create` ok; no new failing finding",
      },
      stopped
        ? {
            host: "node-4",
            wave: 2,
            from: "2026.9.5",
            on: "2026.9.5",
            state: "rolled-back",
            detail: "the acceptance failed; back on 2026.9.5, acceptance read `status` ok, write `sessions.create` ok",
          }
        : {
            host: "node-4",
            wave: 2,
            from: "2026.9.5",
            on: "2026.9.5",
            state: "asking",
            detail: "waiting for the switch to be approved in this thread",
          },
      {
        host: "node-5",
        wave: 2,
        from: "2026.9.5",
        on: "2026.9.5",
        state: stopped ? "not-reached" : "waiting",
        detail: stopped ? "the run stopped before this host" : "",
      },
      {
        host: "node-7",
        wave: 0,
        from: "2026.9.5",
        on: "2026.9.5",
        state: "blocked",
        detail:
          "1.0 GiB free at /home/op/.openclaw (needs 2.0 GiB: the target beside the current release, and the state's backup)",
      },
    ],
  };
}

export const MESSAGE_KINDS: ReadonlyArray<readonly [string, () => Message]> = [
  // Triage
  ["incident-header", () => renderIncidentHeader("node-3", "U0OPERATOR", NOW)],
  ["incident-header-console", () => renderIncidentHeader("node-3", "console", NOW)],
  // The live incident header (issue 29)
  ["incident-live-failing", () => renderLiveHeader(incident(), NOW)],
  [
    "incident-live-owned-recovering",
    () => renderLiveHeader(incident({ state: "acknowledged", owner: "U0OPERATOR", phase: "recovering" }), NOW),
  ],
  [
    "incident-live-resolved",
    () =>
      renderLiveHeader(
        incident({ state: "resolved", owner: "U0OPERATOR", phase: "recovered", resolvedAt: NOW, resolvedBy: "U0LEAD" }),
        NOW,
      ),
  ],
  // Issue 41: roles held (the commander is the owner), and a resolve with follow-up actions open.
  [
    "incident-live-roles",
    () =>
      renderLiveHeader(
        incident({ state: "acknowledged", owner: "U0OPERATOR", comms: "U0COMMS", scribe: null, phase: "failing" }),
        NOW,
      ),
  ],
  [
    "incident-live-resolved-follow-ups",
    () =>
      renderLiveHeader(
        incident({
          state: "resolved",
          owner: "U0OPERATOR",
          scribe: "U0SCRIBE",
          phase: "recovered",
          resolvedAt: NOW,
          resolvedBy: "U0LEAD",
        }),
        NOW,
        [],
        [],
        false,
        2,
      ),
  ],
  ["incident-live-grouped", () => renderLiveHeader(incident({ parentId: fleetIncident.id }), NOW)],
  [
    "incident-live-fleet",
    () => renderLiveHeader(fleetIncident, NOW, sharedCause("finding:gateway.down", FLEET_HOSTS, fleetRecords)),
  ],
  ["incident-grouped-note", () => renderGroupedNote(incident(), fleetIncident)],
  [
    "maintenance-end",
    () =>
      renderMaintenanceEnd(
        {
          target: "node-3",
          owner: "U0OPERATOR",
          reason: "maintenance: OS patches",
          source: "slack",
          createdAt: NOW - 30 * 60_000,
          expiresAt: NOW,
          channel: "C0INCIDENT",
          notices: [],
          maintenance: true,
          muted: { alerts: 12, watch: 1, silences: 0 },
        },
        ["node-3"],
        [],
      ),
  ],
  [
    "maintenance-comparison",
    () =>
      renderComparison("node-3", NOW - 30 * 60_000, ["token-drift", "config-restored"], {
        at: NOW - 45 * 60_000,
        findings: ["config-restored", "disk-low"],
      }),
  ],
  ["maintenance-comparison-nothing-before", () => renderComparison("node-3", NOW - 30 * 60_000, [], null)],
  [
    "watch-agent-lost",
    () =>
      renderAgentLost(
        {
          host: "node-3",
          last: {
            at: NOW - 5 * 60_000,
            seq: 9,
            hash: "h",
            healthy: true,
            layers: {},
            findingIds: [],
            reason: "every probed layer ok",
            falseGreen: null,
          },
          run: { healthy: true, since: NOW - 3_600_000, count: 40 },
          held: {
            healthy: true,
            since: NOW - 3_600_000,
            at: NOW - 3_570_000,
            findingIds: [],
            reason: "every probed layer ok",
          },
          failingSince: null,
          reportedAt: NOW - 3 * 60_000,
          stale: { reason: "agent disconnected (close 1006)", at: NOW - 2 * 60_000 },
          lost: null,
          flap: null,
        },
        NOW,
      ),
  ],
  [
    "progress-running",
    () =>
      renderTriageProgress("node-3", STEP_NAMES, triageResults(healthyData()).slice(0, 3), {
        phase: "running",
        elapsedMs: 850,
      }),
  ],
  [
    "progress-lost",
    () =>
      renderTriageProgress("node-3", STEP_NAMES, triageResults(healthyData()).slice(0, 3), {
        phase: "lost",
        elapsedMs: 4100,
        detail: "Agent connection lost mid-job (agent disconnected (close 1006)); 3/7 probes arrived.",
      }),
  ],
  [
    "progress-finished",
    () =>
      renderTriageProgress("node-3", STEP_NAMES, triageResults(tokenDriftData()), {
        phase: "finished",
        elapsedMs: 3120,
      }),
  ],
  [
    "progress-gateway-down",
    () =>
      renderTriageProgress("node-3", STEP_NAMES, triageResults(gatewayDownData()), {
        phase: "finished",
        elapsedMs: 3120,
      }),
  ],
  [
    "progress-timeout",
    () =>
      renderTriageProgress("node-3", STEP_NAMES, triageResults(healthyData()).slice(0, 5), {
        phase: "timeout",
        elapsedMs: 20_000,
        detail: "Job deadline of 20 s passed with 5/9 probes in.",
      }),
  ],
  [
    "progress-rejected",
    () =>
      renderTriageProgress("node-3", STEP_NAMES, [], {
        phase: "rejected",
        elapsedMs: 40,
        detail: "busy: the agent runs <another> job",
      }),
  ],
  [
    "triage-healthy",
    () =>
      renderTriageResult(classifyResults(triageResults(healthyData()), STEP_NAMES), {
        ...meta,
        doctor: { source: "cache", ageMs: 4 * 60_000 },
      }),
  ],
  ["triage-token-drift", () => renderTriageResult(classifyResults(triageResults(tokenDriftData()), STEP_NAMES), meta)],
  [
    "triage-gateway-down",
    () => renderTriageResult(classifyResults(triageResults(gatewayDownData()), STEP_NAMES), meta),
  ],
  [
    "triage-early",
    () =>
      renderTriageResult(classifyResults(triageResults(healthyData()).slice(0, 4), STEP_NAMES), {
        ...meta,
        pending: ["doctor.lint"],
      }),
  ],
  [
    "triage-incomplete",
    () =>
      renderTriageResult(classifyResults(triageResults(gatewayDownData()).slice(0, 4), STEP_NAMES), {
        ...meta,
        agentVersion: null,
        incomplete: "Agent connection lost mid-job (close 1006); 4/9 probes arrived. Layers without data are unknown.",
      }),
  ],
  // Issue 42, item 2: a finding that matches a known upstream issue names it, with its workaround.
  [
    "triage-known-issue",
    () =>
      renderTriageResult(classifyResults(triageResults(pluginExportData()), STEP_NAMES), {
        ...meta,
        knownIssues: builtinKnownIssues(),
      }),
  ],
  // Commands
  [
    "known-issues-fleet",
    () => {
      const catalog = builtinKnownIssues();
      return renderFleetKnownIssues(catalog, tallyKnownIssues(catalog, KNOWN_ISSUE_HOSTS), KNOWN_ISSUE_HOSTS.length);
    },
  ],
  ["known-issues-host", () => renderHostKnownIssues(builtinKnownIssues(), KNOWN_ISSUE_HOSTS[0] as HostFacts, NOW)],
  ["hosts", () => renderHosts(hosts.slice(0, 2), new Set(["node-3"]), 1_000_000)],
  ["hosts-revoked", () => renderHosts(hosts, new Set(["node-3"]), 1_000_000 + 7_200_000)],
  ["hosts-empty", () => renderHosts([], new Set(), 1_000_000)],
  ["help", () => renderHelp()],
  [
    "notice",
    () =>
      renderNotice("🔎 Triage of *node-3* started (job `job_1`). Results will appear in the host's incident thread."),
  ],
  ["error", () => renderError("Unknown host `node-9`. See `/openclaw hosts` & try <again>.", "unknown_host")],
  // Fleet
  ["fleet-status", () => renderFleetStatus(fleet)],
  [
    "fleet-status-empty",
    () =>
      renderFleetStatus({
        ...fleet,
        selector: { kind: "tag", tag: "edge" },
        rows: [],
        columns: [],
        counts: { ok: 0, warn: 0, fail: 0, "no-answer": 0, offline: 0 },
      }),
  ],
  ["fleet-status-watch", () => renderFleetStatus(fleetWatch)],
  ["fleet-status-versions", () => renderFleetStatus(fleetVersions)],
  // Watch
  ["watch-failing", () => renderWatchFailing(watchDown, 2)],
  ["watch-recovered", () => renderWatchRecovered(watchUp)],
  [
    "watch-flaps",
    () =>
      renderWatchFlaps({
        host: "node-3",
        window: {
          start: NOW,
          recovered: true,
          suppressed: 3,
          moments: [
            { healthy: false, at: NOW + 120_000 },
            { healthy: true, at: NOW + 240_000 },
            { healthy: false, at: NOW + 400_000 },
          ],
        },
        end: NOW + 600_000,
        now: {
          healthy: false,
          since: NOW + 400_000,
          at: NOW + 430_000,
          findingIds: ["gateway-down"],
          reason: "Gateway not running",
        },
      }),
  ],
  // Freezes and audit
  ["freeze-notice", () => renderFreezeNotice(freeze, NOW)],
  ["freeze-notice-fleet", () => renderFreezeNotice(fleetFreeze, NOW)],
  ["unfreeze-notice", () => renderUnfreezeNotice(freeze, "console", NOW + 10 * 60_000)],
  ["expiry-notice", () => renderExpiryNotice(fleetFreeze)],
  ["freeze-status", () => renderFreezeStatus([freeze, fleetFreeze], NOW + 60_000)],
  ["freeze-status-empty", () => renderFreezeStatus([], NOW)],
  ["freeze-status-scheduled", () => renderFreezeStatus([freeze], NOW, [scheduled, { ...scheduled, target: "all" }])],
  // Automatic freezes (the freeze policy) and scheduled maintenance freezes
  ["auto-freeze-notice", () => renderAutoFreezeNotice(autoFreeze)],
  ["auto-freeze-all-clear", () => renderAutoAllClear(autoHealthy, NOW + 25 * 60_000)],
  ["auto-freeze-cap", () => renderAutoCapNotice(autoFreeze)],
  ["freeze-extended-auto", () => renderFreezeExtended(autoExtended, "U0LEAD")],
  ["freeze-extended", () => renderFreezeExtended(freeze, "U0OWNER")],
  ["scheduled-freeze-set", () => renderScheduledFreeze(scheduled, "set", NOW)],
  ["scheduled-freeze-soon", () => renderScheduledFreeze(scheduled, "soon", NOW + 75 * 60_000)],
  ["scheduled-freeze-start", () => renderScheduledFreeze({ ...scheduled, target: "all" }, "start", NOW + 90 * 60_000)],
  ["scheduled-freeze-end", () => renderScheduledFreeze(scheduled, "end", NOW + 120 * 60_000)],
  ["scheduled-freeze-cancelled", () => renderScheduledFreeze(scheduled, "cancelled", NOW + 10 * 60_000, "U0LEAD")],
  ["audit-summary", () => renderAuditSummary(audit, null)],
  ["audit-summary-host", () => renderAuditSummary(audit.slice(0, 2), "node-3")],
  ["audit-summary-empty", () => renderAuditSummary([], "node-3")],
  // Confirmations
  ["confirmation", () => renderConfirmation(confirmation, summary)],
  ["confirmation-drain", () => renderConfirmation(confirmation, summary, { offerDrain: true })],
  [
    "confirmation-again",
    () => renderConfirmation({ ...confirmation, step: "doctor.fix", action: "doctor.fix" }, summary, { again: true }),
  ],
  ["confirmation-approved", () => renderDecided(confirmation, "approve", "U0OWNER")],
  ["confirmation-approved-drained", () => renderDecided(confirmation, "approve_drained", "console")],
  ["confirmation-cancelled", () => renderDecided(confirmation, "cancel", "U0OWNER")],
  ["confirmation-expired", () => renderExpired(confirmation)],
  ["press-refused", () => renderRefusal("U0OTHER", "you are not allowed to approve <restart> & co")],
  // Recover
  [
    "recover-running",
    () =>
      renderRecoverProgress(
        "node-3",
        "run_0123",
        recoverSteps(["ok", "ok", "running"], ["frozen for 60 min", "agent 0.1.0, gateway 2026.9.6"]),
        "running",
      ),
  ],
  [
    "recover-done",
    () =>
      renderRecoverProgress(
        "node-3",
        "run_0123",
        recoverSteps(
          ["ok", "ok", "ok", "warn", "ok", "ok"],
          [
            "",
            "",
            "",
            "doctor found 1 warning",
            "systemd: pid 100 exited after 1.2 s",
            "read `status` ok, write `sessions.create` ok",
          ],
        ),
        "done",
      ),
  ],
  [
    "recover-stopped",
    () =>
      renderRecoverProgress(
        "node-3",
        "run_0123",
        recoverSteps(["ok", "ok", "ok", "ok", "fail", "skipped"], ["", "", "", "", "port 19001 held by pid 77"]),
        "stopped",
      ),
  ],
  // Alerts
  ["alert-fired", () => renderAlertFired(firing, "node-3", { kind: "started" })],
  [
    "alert-fired-rate-limited",
    () => renderAlertFired(firing.slice(0, 1), "node-3", { kind: "rate-limited", minutes: 5 }),
  ],
  ["alert-fired-offline", () => renderAlertFired(firing.slice(1), "node-3", { kind: "offline" })],
  ["alert-resolved", () => renderAlertResolved(firing.slice(0, 1), "node-3")],
  // Bundles
  ["bundle-start", () => renderBundleStart("node-3", "job_b1", "recover failed: acceptance <failed>")],
  [
    "bundle-progress",
    () =>
      renderBundleProgress(
        "node-3",
        [
          { step: "versions", status: "ok" },
          { step: "bundle.collect", status: "timeout" },
        ],
        9,
      ),
  ],
  ["bundle-scan", () => renderBundleScan(14)],
  [
    "bundle-stored",
    () => renderBundleEnd("node-3", { kind: "stored", bundleId: "bundle_0123", complete: false, ms: 5120 }),
  ],
  [
    "bundle-failed",
    () => renderBundleEnd("node-3", { kind: "failed", reason: "the agent refused the job: busy: <x>" }),
  ],
  [
    "bundle-refused",
    () => renderBundleEnd("node-3", { kind: "refused", reason: "the second scan found 1 possible secret(s)" }),
  ],
  [
    "bundle-summary",
    () =>
      renderNotice(
        summarize(
          "node-3",
          "bundle_0123",
          manifest,
          bundleFiles,
          { total: 3, byKind: { token: 2, password: 1 } },
          { hits: [], scanned: 9, rules: "secretlint recommended preset 13.0.7 + clawops rules" },
          "https://clawops.test/b/bundle_0123?sig=x",
          NOW + 7 * 86_400_000,
        ),
      ),
  ],
  [
    "bundle-upload-failed",
    () => renderUploadFailed("Error: slack files.completeUploadExternal failed: not_in_channel"),
  ],
  [
    "bundle-tickets",
    () =>
      renderTicketNotes(["✅ jira OPS-12 (https://jira.test/OPS-12)", "❌ github acme/ops#4: HTTP 502 <bad gateway>"]),
  ],
  // Incident records and their follow-ups (issue 29, items 1, 6 and 8).
  [
    "incident-record",
    () =>
      renderIncident(
        incident({
          id: "inc_0001",
          state: "acknowledged",
          channel: "C0INCIDENTS",
          owner: "U0OPERATOR",
          openedAt: NOW,
          updatedAt: NOW + 300_000,
        }),
        [
          {
            incidentId: "inc_0001",
            seq: 1,
            at: NOW,
            actor: "Alertmanager",
            kind: "alert.firing",
            text: "OpenClawGatewayDown → triage",
            ref: null,
          },
          {
            incidentId: "inc_0001",
            seq: 2,
            at: NOW + 60_000,
            actor: "U0OPERATOR",
            kind: "freeze",
            text: "froze node-3 until 10:30 UTC: rolling back",
            ref: null,
          },
          {
            incidentId: "inc_0001",
            seq: 3,
            at: NOW + 120_000,
            actor: "U0OPERATOR",
            kind: "approval",
            text: "approved `gateway.restart` on node-3",
            ref: "rec_1",
          },
          {
            incidentId: "inc_0001",
            seq: 4,
            at: NOW + 300_000,
            actor: "U0OPERATOR",
            kind: "ticket",
            text: "opened OPS-12 (Jira)",
            ref: "tkt_1",
          },
        ],
        [{ key: "OPS-12", url: "https://jira.test/browse/OPS-12", state: "open" }],
        [],
        { openTicket: true },
      ),
  ],
  // Issue 41: no *Open ticket* where no ticket system is configured for new tickets.
  [
    "incident-record-no-tracker",
    () =>
      renderIncident(
        incident({ id: "inc_0002", channel: "C0INCIDENTS", openedAt: NOW, updatedAt: NOW }),
        [
          {
            incidentId: "inc_0002",
            seq: 1,
            at: NOW,
            actor: "clawops watch",
            kind: "watch",
            text: "gateway down on node-3 (held 2 probes)",
            ref: null,
          },
        ],
        [],
        [],
        { openTicket: false },
      ),
  ],
  [
    "postmortem-inline",
    () =>
      inlineDraft(
        "inc_0001",
        "postmortem-inc_0001.md",
        "# Postmortem draft: OpenClaw gateway on node-3 (inc_0001)\n\n## Summary\n\nToken drift: the running gateway rejects the configured token, on the OpenClaw gateway of node-3.\n\n## Timeline\n\n| # | Time (UTC) | Who | What |\n| --- | --- | --- | --- |\n| 1 | 2026-11-25 09:00:00 | Alertmanager | alert.firing: `OpenClawClientsRefused` |\n",
      ),
  ],
  // Issue 42, item 1: the upgrade run's live table, mid-run and stopped by a rollback.
  ["upgrade-run-running", () => renderUpgradeRun(upgradeRun("running"))],
  ["upgrade-run-stopped", () => renderUpgradeRun(upgradeRun("stopped"))],
];
