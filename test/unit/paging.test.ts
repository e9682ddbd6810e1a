import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { watchComparable } from "../../src/contract/watch.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { receiveAlerts } from "../../src/core/alerts/receive.ts";
import { Authorizer } from "../../src/core/authz/authz.ts";
import { refreshStaleHeaders } from "../../src/core/incidents/header.ts";
import { backoffMs, drainOutbox, MAX_ATTEMPTS } from "../../src/core/incidents/outbox.ts";
import { takePagerDutyUpdate } from "../../src/core/incidents/pager-updates.ts";
import { digestFromEnv, postWeeklyDigest } from "../../src/core/incidents/report.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import { DEFAULT_PAGING_POLICY, parsePagingPolicy } from "../../src/core/paging/policy.ts";
import { pagingFromEnv } from "../../src/core/paging/settings.ts";
import type { ChatPort } from "../../src/core/ports/chat.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import type { PagerTarget } from "../../src/core/ports/paging.ts";
import type { CommandRequest } from "../../src/core/requests/types.ts";
import { handle } from "../../src/core/router/handle.ts";
import { WatchService } from "../../src/core/watch/service.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { gatewayDownData, healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { enrolledHost, quietLogger, RecordingChat, testDeps, until } from "../support/harness.ts";
import { memoryRecovery } from "../support/memory-recovery-store.ts";
import { OpsgenieStandIn, PagerDutyEventsStandIn, PageWebhookReceiver } from "../support/pager-standins.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * Paging (issue 40, item 2), in the core on real SQLite, over real HTTP to stand-ins for
 * PagerDuty's Events API v2, Opsgenie's Alert API and a signed webhook: an incident the policy
 * pages is triggered after its record is written (dedup key: its id), acknowledged and resolved
 * with it; a pager that is down, rate-limited or refusing is retried or given up, told once in
 * the thread, the record unaffected; PagerDuty's own ack and resolve move the incident here.
 */
const T0 = Date.UTC(2026, 10, 26, 3, 0);
const CHANNEL = "C0ONCALL";
const OPERATOR = "U0OPERATOR";
const ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345";
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const quick = (r: StepResult[]) => r.filter((x) => QUICK.has(x.step));
const DOWN = quick(toResults(gatewayDownData()));

let pd: PagerDutyEventsStandIn;
beforeEach(async () => {
  pd = new PagerDutyEventsStandIn(ROUTING_KEY);
  await pd.start();
});
afterEach(async () => {
  await pd.stop();
});

async function rig(
  targets: PagerTarget[] = [{ kind: "pagerduty", routingKey: ROUTING_KEY, eventsUrl: pd.eventsUrl }],
  chatPort?: ChatPort,
) {
  const clock = { t: T0, now: () => clock.t };
  const store = new SqliteStore(":memory:");
  for (const name of ["node-3", "node-4"]) {
    await store.insertHost(enrolledHost(name, T0));
  }
  const transport = new FakeHostTransport()
    .addHost("node-3", { results: toResults(gatewayDownData()) })
    .addHost("node-4", { results: toResults(healthyData()) });
  const chat = new RecordingChat();
  const deps: CoreDeps = testDeps({
    store,
    transport,
    chat: chatPort ?? chat,
    clock,
    recovery: memoryRecovery({
      authz: new Authorizer({
        incidentLeads: { users: [], userGroups: [], channels: [] },
        actions: { resolve: { users: [OPERATOR], userGroups: [], channels: [] } },
      }),
    }),
    incidents: parseIncidentRouting(CHANNEL, undefined),
    paging: { targets, policy: { ...DEFAULT_PAGING_POLICY } },
  });
  const watch = new WatchService(deps);
  let seq = 0;
  let k = 0;
  const r = {
    clock,
    store,
    chat,
    deps,
    async failTwice(host = "node-3", results = DOWN) {
      for (let i = 0; i < 2; i++) {
        clock.t += 30_000;
        const prev = await store.getWatch(host);
        const hash = watchComparable(results);
        await watch.receive(
          host,
          prev?.last.hash === hash
            ? { type: "watch.digest", seq: ++seq, at: clock.t, hash }
            : { type: "watch.state", seq: ++seq, at: clock.t, hash, results },
        );
      }
      await watch.idle();
    },
    async command(text: string, user = OPERATOR) {
      const request: CommandRequest = { text, user, channel: CHANNEL, requestKey: `req-${++k}`, source: "slack" };
      const reply = await handle(deps, { kind: "command", request });
      await reply.later?.();
      return reply;
    },
    drain: () => drainOutbox(deps),
    open: async () => (await store.listIncidents({ open: true }))[0],
  };
  return r;
}

describe("paging PagerDuty (Events API v2)", () => {
  it('a watch incident is triggered with its id as dedup key, acknowledged by "I\'m on it", resolved with it; each on the timeline', async () => {
    const r = await rig();
    await r.failTwice();
    const incident = await r.open();
    expect(incident).toMatchObject({ source: "watch", severity: "sev2" });
    // Record first: the page waits in the outbox until the drain.
    expect(pd.events).toEqual([]);
    expect(
      (await r.store.listOutbox({ incidentId: incident?.id }))
        .filter((i) => i.kind.startsWith("page:"))
        .map((i) => i.state),
    ).toEqual(["pending"]);
    expect(await r.drain()).toMatchObject({ sent: 1, failed: 0, nextAt: null });
    expect(pd.violations).toEqual([]);
    const [trigger] = pd.events;
    expect(trigger?.action).toBe("trigger");
    expect(trigger?.dedupKey).toBe(incident?.id);
    const payload = trigger?.body.payload as Record<string, unknown>;
    expect(payload.severity).toBe("error");
    expect(payload.source).toBe("node-3");
    expect(String(payload.summary)).toMatch(/^\[sev2\] Watch: node-3 failing since/);
    expect((payload.custom_details as Record<string, string>).findings).toBe("gateway-down");

    // A second failure signal on the open incident pages nothing more.
    await r.failTwice("node-3", quick(toResults({ ...gatewayDownData() })));
    await r.drain();
    expect(pd.events.length).toBe(1);

    expect((await r.command(`incident ${incident?.id} ack`)).error).toBeUndefined();
    expect((await r.command(`incident ${incident?.id} resolve`)).error).toBeUndefined();
    await r.drain();
    expect(pd.events.map((e) => e.action)).toEqual(["trigger", "acknowledge", "resolve"]);
    expect(pd.alerts.get(incident?.id ?? "")?.status).toBe("resolved");
    const timeline = (await r.store.incidentTimeline(incident?.id ?? "")).filter((e) => e.kind === "page");
    expect(timeline.map((e) => e.text)).toEqual([
      `paged PagerDuty (dedup key ${incident?.id}, sev2)`,
      `acknowledged the page at PagerDuty (dedup key ${incident?.id}, sev2)`,
      `resolved the page at PagerDuty (dedup key ${incident?.id}, sev2)`,
    ]);
    const resolved = await r.store.getIncident(incident?.id ?? "");
    expect(resolved?.acknowledgedAt).not.toBeNull();
  });

  it("does not page an alert's incident (its own pager paged), nor a person's triage, nor a healthy host", async () => {
    const r = await rig();
    const alert: IncomingAlert = {
      source: "alertmanager",
      status: "firing",
      name: "OpenClawGatewayDown",
      summary: null,
      link: null,
      identity: "down-1@node-3",
      labels: { host: "node-3" },
    };
    const receipt = await receiveAlerts(r.deps, [alert], { hostLabels: ["host"] });
    await receipt.later?.();
    expect((await r.command("triage node-4")).error).toBeUndefined();
    await until("the triage", 5_000, async () => (await r.store.listJobs({ status: "done" })).length >= 1);
    await r.drain();
    expect(pd.requests).toEqual([]);
    expect((await r.store.listIncidents({})).map((i) => i.source).sort()).toEqual(["alert", "command"]);
  });

  it("the watch confirming the failure a person's triage found raises that incident to sev2 and pages it, once", async () => {
    const r = await rig();
    await r.command("triage node-3");
    await until("the triage", 5_000, async () => (await r.store.listJobs({ status: "done" })).length === 1);
    const [t] = await r.store.listIncidents({ open: true });
    expect(t).toMatchObject({ source: "command", severity: "sev3", phase: "failing" });
    await r.drain();
    expect(pd.events).toEqual([]);
    await r.failTwice();
    await r.drain();
    expect(await r.store.getIncident(t?.id ?? "")).toMatchObject({ severity: "sev2" });
    expect(pd.events.map((e) => [e.action, e.dedupKey])).toEqual([["trigger", t?.id]]);
    expect(
      (await r.store.incidentTimeline(t?.id ?? "")).some(
        (e) => e.text === "severity sev3 → sev2 (a watch signal joined it)",
      ),
    ).toBe(true);
    // A later watch failure on it pages nothing more.
    await r.failTwice("node-3", quick(toResults({ ...gatewayDownData() })));
    await r.drain();
    expect(pd.events.length).toBe(1);
  });

  it("a trigger links the incident's Slack thread (chat.getPermalink), once the thread is posted", async () => {
    const slack = new SlackStandIn("xoxb-paging-test-token");
    await slack.start();
    try {
      const r = await rig(
        undefined,
        new SlackWebApiChat({ token: "xoxb-paging-test-token", apiUrl: slack.url, logger: quietLogger }),
      );
      await r.failTwice();
      const incident = await r.open();
      expect(incident?.threadTs).toBeTruthy();
      expect(await r.drain()).toMatchObject({ sent: 1 });
      const trigger = pd.events[0]?.body as { links?: { href: string; text: string }[] } | undefined;
      expect(trigger?.links).toEqual([
        {
          href: `https://clawops-test.slack.com/archives/${CHANNEL}/p${incident?.threadTs?.replace(".", "")}`,
          text: `Incident thread (${incident?.id})`,
        },
      ]);
      expect(pd.violations).toEqual([]);
      expect(slack.violations).toEqual([]);
    } finally {
      await slack.stop();
    }
  });

  it("a pager that is down is retried with backoff and told once in the thread; the record is unaffected", async () => {
    const r = await rig();
    pd.failNext = 2;
    await r.failTwice();
    const incident = await r.open();
    expect(await r.drain()).toMatchObject({ sent: 0, retrying: 1 });
    const told = () => r.chat.posted.filter((p) => p.text.startsWith("⚠️ The page to PagerDuty did not go"));
    expect(told().length).toBe(1);
    expect(told()[0]?.threadTs).toBe(incident?.threadTs);
    expect(told()[0]?.text).toContain("HTTP 503");
    // Not due yet: nothing is sent before the backoff.
    r.clock.t += backoffMs(1, null) - 1;
    expect(await r.drain()).toMatchObject({ sent: 0, retrying: 0 });
    r.clock.t += 1;
    expect(await r.drain()).toMatchObject({ retrying: 1 });
    r.clock.t += backoffMs(2, null);
    expect(await r.drain()).toMatchObject({ sent: 1 });
    expect(told().length).toBe(1);
    expect(pd.events.map((e) => e.action)).toEqual(["trigger"]);
    const timeline = await r.store.incidentTimeline(incident?.id ?? "");
    expect(timeline.some((e) => e.text === `paged PagerDuty (dedup key ${incident?.id}, sev2) after 3 tries`)).toBe(
      true,
    );
    expect((await r.open())?.state).toBe("open");
  });

  it("honours a 429's Retry-After; gives up after its tries", async () => {
    const r = await rig();
    pd.faults.push({ status: 429, retryAfterS: 120 });
    await r.failTwice();
    await r.drain();
    const [item] = await pagesQueued(r.store);
    expect(item?.nextAt).toBe(r.clock.t + 120_000);
    pd.failNext = 100;
    for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
      r.clock.t += 16 * 60_000;
      await r.drain();
    }
    const [given] = await pagesQueued(r.store);
    expect(given).toMatchObject({ state: "failed", attempts: MAX_ATTEMPTS });
    expect(r.chat.posted.filter((p) => p.text.startsWith("⚠️ The page to PagerDuty")).length).toBe(1);
  });

  it("a refused page (400: a wrong routing key) is not retried; the thread says to check the settings", async () => {
    const r = await rig([
      { kind: "pagerduty", routingKey: "WRONGKEY0123456789abcdef01234567", eventsUrl: pd.eventsUrl },
    ]);
    await r.failTwice();
    expect(await r.drain()).toMatchObject({ failed: 1 });
    const told = r.chat.posted.find((p) => p.text.startsWith("⚠️ The page to PagerDuty did not go"));
    expect(told?.text).toContain("HTTP 400: Event object is invalid: Invalid routing key");
    expect(JSON.stringify(told?.parts)).toContain("not retried");
    r.clock.t += 3_600_000;
    expect(await r.drain()).toMatchObject({ sent: 0, failed: 0 });
    expect(pd.requests.length).toBe(1);
  });

  it("an acknowledge waits for its trigger: queued while the trigger is retrying, it goes after it", async () => {
    const r = await rig();
    pd.failNext = 1;
    await r.failTwice();
    const incident = await r.open();
    await r.drain();
    await r.command(`incident ${incident?.id} ack`);
    r.clock.t += backoffMs(1, null);
    await r.drain();
    await r.drain();
    expect(pd.events.map((e) => e.action)).toEqual(["trigger", "acknowledge"]);
  });

  it("a declared sev1 pages at once; a person raising a triage's incident to sev2 pages it", async () => {
    const r = await rig();
    const declared = await r.command("incident new sev1 on node-4 replies stopped in #support");
    expect(declared.error).toBeUndefined();
    const [d] = await r.store.listIncidents({ open: true });
    expect(d).toMatchObject({
      source: "declared",
      severity: "sev1",
      hosts: ["node-4"],
      title: "replies stopped in #support",
    });
    await r.drain();
    expect(pd.events.map((e) => [e.action, e.dedupKey])).toEqual([["trigger", d?.id]]);
    expect((pd.events[0]?.body.payload as Record<string, string> | undefined)?.severity).toBe("critical");

    // node-3's triage finds it failing: a sev3 command incident, not paged, until raised.
    await r.command("triage node-3");
    await until("the triage", 5_000, async () => (await r.store.listJobs({ status: "done" })).length === 1);
    const t = (await r.store.listIncidents({ open: true })).find((i) => i.source === "command");
    expect(t).toMatchObject({ severity: "sev3", phase: "failing" });
    await r.drain();
    expect(pd.events.length).toBe(1);
    expect((await r.command(`incident ${t?.id} sev 2`)).error).toBeUndefined();
    await r.drain();
    expect(pd.events.map((e) => e.dedupKey)).toEqual([d?.id, t?.id]);
    expect((await r.store.incidentTimeline(t?.id ?? "")).some((e) => e.text === "severity sev3 → sev2")).toBe(true);
    // A stranger may not change it.
    expect((await r.command(`incident ${t?.id} sev 1`, "U0STRANGER")).error?.code).toBe("forbidden");
  });
});

describe("back from PagerDuty (v3 webhook events)", () => {
  it("acknowledged and resolved in PagerDuty move the clawops incident, with who; nothing is sent back", async () => {
    const r = await rig();
    await r.failTwice();
    const incident = await r.open();
    await r.drain();
    const event = (type: string) => ({
      id: `01EV${type}`,
      event_type: type,
      agent: { id: "PUSER1", type: "user_reference", summary: "Jane Doe" },
      data: { id: "Q1PDINC", type: "incident", number: 42, incident_key: incident?.id, status: "x", title: "t" },
    });
    expect(await takePagerDutyUpdate(r.deps, event("incident.triggered"))).toMatchObject({ status: "noted" });
    expect(await takePagerDutyUpdate(r.deps, event("incident.acknowledged"))).toMatchObject({
      status: "moved",
      did: "acknowledged",
    });
    expect(await r.store.getIncident(incident?.id ?? "")).toMatchObject({
      state: "acknowledged",
      owner: "PagerDuty (Jane Doe)",
    });
    expect(await takePagerDutyUpdate(r.deps, event("incident.resolved"))).toMatchObject({
      status: "moved",
      did: "resolved",
    });
    expect(await r.store.getIncident(incident?.id ?? "")).toMatchObject({
      state: "resolved",
      resolvedBy: "PagerDuty (Jane Doe)",
    });
    await r.drain();
    expect(pd.events.map((e) => e.action)).toEqual(["trigger"]);
    const texts = (await r.store.incidentTimeline(incident?.id ?? "")).map((e) => e.text);
    expect(texts).toContain("acknowledged in PagerDuty: incident #42 Q1PDINC");
    expect(texts).toContain("resolved in PagerDuty: incident #42 Q1PDINC");
  });

  it("an event for an incident clawops does not know is ignored with the reason; one that is not clawops' is the alert path's", async () => {
    const r = await rig();
    const unknown = await takePagerDutyUpdate(r.deps, {
      id: "e1",
      event_type: "incident.acknowledged",
      data: { incident_key: "inc_doesnotexist0000" },
    });
    expect(unknown).toMatchObject({ status: "ignored" });
    expect((unknown as { reason: string }).reason).toContain("no clawops incident inc_doesnotexist0000");
    expect(
      await takePagerDutyUpdate(r.deps, {
        id: "e2",
        event_type: "incident.triggered",
        data: { incident_key: "srv01/cpu" },
      }),
    ).toBeNull();
  });
});

describe("Opsgenie and a signed webhook", () => {
  it("each gets the trigger (alias / incident id), the acknowledge and the close, the webhook's signature verified", async () => {
    const og = new OpsgenieStandIn("og-key-0123456789");
    const hook = new PageWebhookReceiver("webhook-secret-0123456789");
    await og.start();
    await hook.start();
    try {
      const r = await rig([
        { kind: "opsgenie", apiKey: og.apiKey, apiUrl: og.url },
        { kind: "webhook", url: `${hook.url}/page`, secret: hook.secret },
      ]);
      await r.failTwice();
      const incident = await r.open();
      await r.drain();
      await r.command(`incident ${incident?.id} ack`);
      await r.command(`incident ${incident?.id} resolve`);
      await r.drain();
      expect(og.violations).toEqual([]);
      expect(og.calls.map((c) => c.what)).toEqual(["create", "acknowledge", "close"]);
      expect(og.alerts.get(incident?.id ?? "")).toMatchObject({ priority: "P2", status: "closed" });
      expect(hook.pages.map((p) => p.type)).toEqual(["incident.trigger", "incident.acknowledge", "incident.resolve"]);
      expect(hook.pages[0]?.incident.incidentId).toBe(incident?.id);
    } finally {
      await og.stop();
      await hook.stop();
    }
  });

  it("a webhook signed with another secret is refused by the receiver (401): given up, told once", async () => {
    const hook = new PageWebhookReceiver("webhook-secret-0123456789");
    await hook.start();
    try {
      const r = await rig([{ kind: "webhook", url: hook.url, secret: "another-secret-0123456789" }]);
      await r.failTwice();
      expect(await r.drain()).toMatchObject({ failed: 1 });
      expect(hook.pages).toEqual([]);
    } finally {
      await hook.stop();
    }
  });
});

describe("escalation for teams without a pager", () => {
  it("an unacknowledged watch incident is announced again with each level's on-call, twice per level; \"I'm on it\" stops it", async () => {
    const r = await rig([]);
    r.deps.paging = {
      targets: [],
      policy: { ...DEFAULT_PAGING_POLICY },
      escalation: { levels: [["S0PRIMARY"], ["U0ALICE", "U0BOB"]], afterMs: 15 * 60_000, repeat: 2 },
    };
    await r.failTwice();
    const incident = await r.open();
    const escalations = () => r.chat.posted.filter((p) => p.text.startsWith("📣 Escalation"));
    // Not before its time.
    r.clock.t += 15 * 60_000 - 1;
    await r.drain();
    expect(escalations()).toEqual([]);
    r.clock.t += 1;
    await r.drain();
    expect(escalations().map((p) => p.threadTs)).toEqual([incident?.threadTs]);
    expect(JSON.stringify(escalations()[0]?.parts)).toContain("<!subteam^S0PRIMARY>");
    expect(escalations()[0]?.text).toContain("(level 1, 1 of 2)");
    r.clock.t += 15 * 60_000;
    await r.drain();
    r.clock.t += 15 * 60_000;
    await r.drain();
    expect(escalations().length).toBe(3);
    expect(JSON.stringify(escalations()[2]?.parts)).toContain("<@U0ALICE> <@U0BOB>");
    expect(escalations()[2]?.text).toContain("(level 2, 1 of 2)");
    // Someone takes it: the next step finds it acknowledged and stops.
    expect((await r.command(`incident ${incident?.id} ack`)).error).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      r.clock.t += 15 * 60_000;
      await r.drain();
    }
    expect(escalations().length).toBe(3);
    const timeline = await r.store.incidentTimeline(incident?.id ?? "");
    expect(timeline.filter((e) => e.kind === "escalation").map((e) => e.text)).toEqual([
      "escalated to level 1 (1 of 2): S0PRIMARY",
      "escalated to level 1 (2 of 2): S0PRIMARY",
      "escalated to level 2 (1 of 2): U0ALICE, U0BOB",
    ]);
    expect(await r.store.listOutbox({ state: "pending" })).toEqual([]);
  });

  it("an incident that does not page by the policy (an alert's) is not escalated", async () => {
    const r = await rig([]);
    r.deps.paging = {
      targets: [],
      policy: { ...DEFAULT_PAGING_POLICY },
      escalation: { levels: [["S0PRIMARY"]], afterMs: 60_000, repeat: 1 },
    };
    const receipt = await receiveAlerts(
      r.deps,
      [
        {
          source: "alertmanager",
          status: "firing",
          name: "OpenClawGatewayDown",
          summary: null,
          link: null,
          identity: "a@node-3",
          labels: { host: "node-3" },
        },
      ],
      { hostLabels: ["host"] },
    );
    await receipt.later?.();
    r.clock.t += 10 * 60_000;
    await r.drain();
    expect(r.chat.posted.some((p) => p.text.startsWith("📣 Escalation"))).toBe(false);
  });
});

describe("what fired", () => {
  it("the header lists the distinct signals with counts and first/last time; `incident <id> signals` has each with its fate", async () => {
    const r = await rig();
    const fire = async (name: string, i: number) => {
      const receipt = await receiveAlerts(
        r.deps,
        [
          {
            source: "alertmanager",
            status: "firing",
            name,
            summary: null,
            link: null,
            identity: `${name}-${i}@node-3`,
            labels: { host: "node-3" },
          },
        ],
        { hostLabels: ["host"] },
      );
      await receipt.later?.();
      r.clock.t += 1_000;
    };
    for (let i = 0; i < 5; i++) await fire("OpenClawGatewayDown", i);
    for (let i = 0; i < 2; i++) await fire("OpenClawHandshakeErrors", i);
    r.clock.t += 20_000;
    await refreshStaleHeaders(r.deps);
    const [incident] = await r.store.listIncidents({ open: true });
    const header = r.chat.updated.filter((u) => u.ts === incident?.threadTs).at(-1);
    const facts = JSON.stringify(header?.parts);
    expect(facts).toMatch(
      /\*What fired:\* OpenClawGatewayDown firing ×5 \(03:00:00 UTC–03:00:04 UTC\) · OpenClawHandshakeErrors firing ×2/,
    );
    const listed = await r.command(`incident ${incident?.id} signals`);
    const text = JSON.stringify(listed.ack.parts);
    expect(text).toContain("*What fired* (7 signals)");
    expect(text).toContain("*counted* (the incident already told of it)");
  });
});

describe("the incident report", () => {
  it("counts the window's incidents by source, severity, host and finding; MTTA and MTTR from the records; pages sent", async () => {
    const r = await rig();
    await r.failTwice();
    const incident = await r.open();
    await r.drain();
    r.clock.t += 4 * 60_000;
    await r.command(`incident ${incident?.id} ack`);
    r.clock.t += 16 * 60_000;
    await r.command(`incident ${incident?.id} resolve`);
    await r.command("incident new sev3 on node-4 slow replies");
    const reply = await r.command("report 7d");
    expect(reply.ack.text).toMatch(/^Incident report: .*: 2 incidents, 1 open$/);
    const body = JSON.stringify(reply.ack.parts);
    expect(body).toContain("*By source:* declared 1 · watch 1");
    expect(body).toContain("*By severity:* sev2 1 · sev3 1");
    expect(body).toContain("*MTTA:* median 4 min");
    expect(body).toContain("*MTTR:* median 20 min");
    expect(body).toContain("*Pages:* 1 sent");
    expect(body).toContain("`gateway-down`: 1");
    expect((await r.command("report forever")).error?.code).toBe("bad_request");
    // A window that starts after both: nothing in it.
    r.clock.t += 2 * 86_400_000;
    expect((await r.command("report 1d")).ack.text).toMatch(/: 0 incidents, 0 open$/);
  });
});

describe("the weekly digest", () => {
  it("is posted once at its weekday and hour (UTC), with the week's report; a week later again; a moment over a day late is skipped", async () => {
    const r = await rig([]);
    const digest = digestFromEnv({
      CLAWOPS_DIGEST_CHANNEL: "C0DIGEST",
      CLAWOPS_DIGEST_DAY: "thu",
      CLAWOPS_DIGEST_HOUR_UTC: "9",
    });
    expect(digest).toEqual({ channel: "C0DIGEST", weekday: 4, hourUtc: 9 });
    const posts = () => r.chat.posted.filter((p) => p.channel === "C0DIGEST");
    // T0 is Thursday 2026-11-26 03:00 UTC: before its hour, last week's moment is long past.
    await postWeeklyDigest(r.deps, digest);
    expect(posts()).toEqual([]);
    r.clock.t = Date.UTC(2026, 10, 26, 9, 0, 5);
    expect(await postWeeklyDigest(r.deps, digest)).toBe(Date.UTC(2026, 11, 3, 9));
    await postWeeklyDigest(r.deps, digest);
    expect(posts().map((p) => p.text)).toEqual([
      expect.stringMatching(/^Weekly Incident report: .*: 0 incidents, 0 open$/),
    ]);
    r.clock.t = Date.UTC(2026, 11, 3, 9, 1);
    await postWeeklyDigest(r.deps, digest);
    expect(posts().length).toBe(2);
    r.clock.t = Date.UTC(2026, 11, 11, 10);
    await postWeeklyDigest(r.deps, digest);
    expect(posts().length).toBe(2);
    expect(() => digestFromEnv({ CLAWOPS_DIGEST_CHANNEL: "C0", CLAWOPS_DIGEST_DAY: "someday" })).toThrow(
      /not a weekday/,
    );
  });
});

describe("paging settings", () => {
  it("the policy's grammar, its default, and each problem named", () => {
    expect(parsePagingPolicy(undefined)).toEqual(DEFAULT_PAGING_POLICY);
    expect(parsePagingPolicy("watch:sev1, fleet:sev3")).toEqual({ watch: "sev1", fleet: "sev3" });
    expect(parsePagingPolicy("none")).toEqual({});
    expect(() => parsePagingPolicy("watchdog:sev1")).toThrow(/"watchdog:sev1" is not <source>:<sev1-4>/);
    expect(() => parsePagingPolicy("watch:sev9")).toThrow(/names no severity/);
    expect(pagingFromEnv({}).services).toBeUndefined();
    expect(pagingFromEnv({ PAGERDUTY_EVENTS_URL: "http://127.0.0.1:1/v2/enqueue" }).problems).toEqual([
      "PAGERDUTY_EVENTS_URL is set without CLAWOPS_PAGERDUTY_ROUTING_KEY: nobody would be paged.",
    ]);
    expect(pagingFromEnv({ CLAWOPS_PAGE_WEBHOOK_URL: "https://ntfy.example/x" }).problems[0]).toContain(
      "needs CLAWOPS_PAGE_WEBHOOK_SECRET",
    );
    expect(
      pagingFromEnv({ CLAWOPS_ESCALATION_LEVELS: "S0PRIMARY;U0ALICE,U0BOB", CLAWOPS_ESCALATION_AFTER_MIN: "10" })
        .services,
    ).toMatchObject({
      targets: [],
      escalation: { levels: [["S0PRIMARY"], ["U0ALICE", "U0BOB"]], afterMs: 600_000, repeat: 2 },
    });
    expect(pagingFromEnv({ CLAWOPS_ESCALATION_LEVELS: "S0PRIMARY;;" }).problems[0]).toContain("level 2 names nobody");
    expect(pagingFromEnv({ CLAWOPS_ESCALATION_LEVELS: "@oncall" }).problems[0]).toContain("is not a Slack user id");
    const on = pagingFromEnv({ CLAWOPS_PAGERDUTY_ROUTING_KEY: ROUTING_KEY });
    expect(on.services?.targets).toEqual([
      { kind: "pagerduty", routingKey: ROUTING_KEY, eventsUrl: "https://events.pagerduty.com/v2/enqueue" },
    ]);
  });
});

/** The pages in the outbox (it also carries the thread posts, posts.ts). */
async function pagesQueued(store: { listOutbox: (f: object) => Promise<{ kind: string; nextAt: number }[]> }) {
  return (await store.listOutbox({})).filter((i) => i.kind.startsWith("page:"));
}
