import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import { expiriesFromEnv } from "../../src/adapters/env/expiries-settings.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepRequest, StepResult } from "../../src/contract/catalog.ts";
import { collectExpiries } from "../../src/core/expiries/collect.ts";
import { lastDailyMoment, nextRadarMoment, openExpiryIncidents, sweepExpiries } from "../../src/core/expiries/radar.ts";
import { renderExpiries } from "../../src/core/expiries/render.ts";
import { drainOutbox } from "../../src/core/incidents/outbox.ts";
import { parseIncidentRouting } from "../../src/core/incidents/routing.ts";
import { parsePagingPolicy } from "../../src/core/paging/policy.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { enrolledHost, RecordingChat, testDeps } from "../support/harness.ts";
import { collectingLogger } from "../support/loggers.ts";
import { PagerDutyEventsStandIn } from "../support/pager-standins.ts";

/**
 * The expiry radar (issue 42, item 3): chat bot credentials shared across hosts and watcher
 * grants refused with `invalid_grant` as calendar rows, read by the real agent probes
 * (`gateway.vitals`, `logs.signatures`) on planted configs and the captured gmail-watcher log
 * lines; the weekly post (claimed once per week); an incident some days ahead, once per
 * credential and expiry date, paged over real HTTP to a PagerDuty Events stand-in when the
 * policy names `expiry`.
 */
const DAY = 86_400_000;
// A Slack bot token's shape, made here so no real-looking literal sits in the repository.
const PLANTED = `xoxb-${"7".repeat(12)}-${"4".repeat(13)}-${"Qz9".repeat(8)}`;
const GMAIL_LOG = readFileSync(
  new URL("./fixtures/openclaw/field/gmail-watch.dist-strings.jsonl", import.meta.url),
  "utf8",
);
let lab: string;
/**
 * Every host here answers at once (a fake transport): the fleet read's deadline is only a hang
 * bound, not the 6 s a real fleet gets, which a loaded box once missed with nothing late but
 * the box. The deadline's own behaviour is asserted in expiries.test.ts and fleet-deadline.test.ts.
 */
const ALL_ANSWER = { deadlineMs: 60_000 };

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), "clawops-radar-"));
});
afterAll(async () => {
  await rm(lab, { recursive: true, force: true });
});

/** The real agent probes on a host folder whose openclaw.json is `config`. */
async function probe(name: string, config: object, steps: StepRequest[], log?: string): Promise<StepResult[]> {
  const dir = join(lab, name);
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, "gateway.log");
  if (log !== undefined) await writeFile(logFile, log);
  await writeFile(join(dir, "openclaw.json"), JSON.stringify({ ...config, logging: { file: logFile } }));
  const ctx = resolveProbeContext(
    { HOME: dir, OPENCLAW_STATE_DIR: dir, OPENCLAW_CONFIG_PATH: join(dir, "openclaw.json"), PATH: "/usr/bin:/bin" },
    { agentVersion: "0.0.0-test", procRoot: join(lab, "no-proc"), serviceUnitDirs: [], openclawBin: "/nonexistent" },
  );
  return (await runSteps(ctx, steps, { deadlineMs: 8_000 })) as StepResult[];
}

const READ = [
  { step: "gateway.vitals", args: {} },
  { step: "logs.signatures", args: {} },
] as StepRequest[];

describe("the calendar's rows for shared bot tokens and refused watcher grants", () => {
  it("names the same Slack bot token on node-2 and node-5 by fingerprint, and node-2's invalid_grant; the token appears nowhere", async () => {
    const slack = (token: string) => ({
      channels: { slack: { botToken: token, appToken: `xapp-1-${token.slice(5)}` } },
    });
    // The planted token also sits in a log line: the grant row is dates and counts, never a line.
    const node2 = await probe("node-2", slack(PLANTED), READ, `${GMAIL_LOG}token in a log line ${PLANTED}\n`);
    const node5 = await probe("node-5", slack(PLANTED), READ, "");
    const node7 = await probe("node-7", slack(`xoxb-${"1".repeat(12)}-${"2".repeat(13)}-${"Ab".repeat(12)}`), READ);
    // The gmail watcher's renewal that took after its failure clears node-9's row.
    const started = GMAIL_LOG.split("\n")
      .find((l) => l.includes("gmail watcher started for"))
      ?.replace("gmail watcher started for", "watch started for")
      .replaceAll("2026-11-25T10:00:09", "2026-11-25T23:00:09");
    const node9 = await probe("node-9", {}, READ, `${GMAIL_LOG}${started}\n`);

    const logger = collectingLogger();
    const path = join(lab, "state", "clawops.db");
    const store = new SqliteStore(path);
    const now = Date.now();
    for (const h of ["node-2", "node-5", "node-7", "node-9"]) await store.insertHost(enrolledHost(h, now));
    const ws = healthyResults().filter((r) => r.step === "gateway.ws");
    const transport = new FakeHostTransport()
      .addHost("node-2", { results: [...node2, ...ws] })
      .addHost("node-5", { results: [...node5, ...ws] })
      .addHost("node-7", { results: [...node7, ...ws] })
      .addHost("node-9", { results: [...node9, ...ws] });
    const chat = new RecordingChat();
    const deps = testDeps({ store, transport, chat, logger });

    const calendar = await collectExpiries(deps, ALL_ANSWER);
    expect(calendar.sharedTokens).toEqual([
      {
        fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{12}$/),
        channels: ["slack"],
        settings: ["botToken"],
        hosts: ["node-2", "node-5"],
        accounts: ["node-2 slack/default", "node-5 slack/default"],
      },
    ]);
    expect(calendar.failingGrants).toEqual([
      {
        host: "node-2",
        what: "Gmail watcher's Google OAuth grant (invalid_grant)",
        count: 1,
        lastAt: expect.stringMatching(/^2026-11-25T22:00:09/),
      },
    ]);
    const text = messageToText(renderExpiries(calendar));
    expect(text).toMatch(/🔁 the same slack botToken sha256:[0-9a-f]{12} on node-2 and node-5/);
    expect(text).toMatch(
      /⚠️ node-2 Gmail watcher's Google OAuth grant \(invalid_grant\): refused 1 time in the log read, last 2026-11-25T22:00:09/,
    );
    expect(text.split("\n").filter((l) => l.includes("node-7"))).toEqual([expect.stringMatching(/^Agent enrollments/)]);

    // The weekly post and a page sweep write the store; then nothing anywhere holds the token.
    const clock = { now: () => Date.UTC(2026, 10, 30, 9, 0, 5) };
    await sweepExpiries(
      { ...deps, clock, incidents: parseIncidentRouting("C0INC", undefined) },
      { channel: "C0EXPIRY", weekday: 1, hourUtc: 9, pageDays: 7 },
    );
    expect(chat.posted.map((p) => p.channel)).toEqual(["C0EXPIRY"]);
    store.close();
    const files = (await readdir(join(lab, "state"))).map((f) => join(lab, "state", f));
    const stored = (await Promise.all(files.map((f) => readFile(f)))).map((b) => b.toString("latin1")).join("");
    const everything = [JSON.stringify(calendar), text, JSON.stringify(chat.posted), logger.text(), stored];
    for (const place of everything) {
      expect(place).not.toContain(PLANTED);
      expect(place).not.toContain(PLANTED.slice(5));
    }
    expect(logger.text()).toContain('"sharedTokens":1');
  });
});

describe("the weekly post", () => {
  it("posts the calendar once at its weekday and hour (two sweeps, one post); a week later again; over a day late skipped", async () => {
    const store = new SqliteStore(":memory:");
    const t = { now: Date.UTC(2026, 10, 30, 8, 0) };
    await store.insertHost(enrolledHost("node-1", t.now));
    const chat = new RecordingChat();
    const make = () =>
      testDeps({
        store,
        chat,
        clock: { now: () => t.now },
        transport: new FakeHostTransport().addHost("node-1", { online: false }),
      });
    const radar = expiriesFromEnv({ CLAWOPS_EXPIRIES_CHANNEL: "C0EXPIRY", CLAWOPS_EXPIRIES_DAY: "mon" });
    expect(radar).toEqual({ channel: "C0EXPIRY", weekday: 1, hourUtc: 9 });
    // Monday 2026-11-30 08:00 UTC: before its hour, last week's moment is long past.
    expect(await sweepExpiries(make(), radar)).toBe(Date.UTC(2026, 10, 30, 9));
    expect(chat.posted).toEqual([]);
    t.now = Date.UTC(2026, 10, 30, 9, 0, 5);
    // Two sweeps (the Node sweeper and a second process, or two alarms): one post.
    await Promise.all([sweepExpiries(make(), radar), sweepExpiries(make(), radar)]);
    expect(chat.posted.map((p) => [p.channel, p.text])).toEqual([
      ["C0EXPIRY", "Weekly Expiry calendar: 0 dated items on 1 host: 0 within 14 days · 1 host did not answer"],
    ]);
    expect(messageToText(chat.posted[0] as never)).toContain("Not read: node-1 (agent not connected)");
    t.now = Date.UTC(2026, 11, 7, 9, 30);
    await sweepExpiries(make(), radar);
    expect(chat.posted.length).toBe(2);
    t.now = Date.UTC(2026, 11, 15, 10);
    expect(await sweepExpiries(make(), radar)).toBe(Date.UTC(2026, 11, 21, 9));
    expect(chat.posted.length).toBe(2);
  });

  it("settings: off unless set, each wrong value named; page days need a channel for their incidents", () => {
    expect(expiriesFromEnv({})).toBeUndefined();
    expect(expiriesFromEnv({ CLAWOPS_EXPIRIES_PAGE_DAYS: "7", CLAWOPS_INCIDENT_CHANNEL: "C0INC" })).toEqual({
      weekday: 1,
      hourUtc: 9,
      pageDays: 7,
    });
    expect(() => expiriesFromEnv({ CLAWOPS_EXPIRIES_CHANNEL: "C0", CLAWOPS_EXPIRIES_DAY: "someday" })).toThrow(
      /CLAWOPS_EXPIRIES_DAY: "som" is not a weekday/,
    );
    expect(() => expiriesFromEnv({ CLAWOPS_EXPIRIES_CHANNEL: "C0", CLAWOPS_EXPIRIES_HOUR_UTC: "24" })).toThrow(
      /CLAWOPS_EXPIRIES_HOUR_UTC/,
    );
    expect(() => expiriesFromEnv({ CLAWOPS_EXPIRIES_CHANNEL: "C0", CLAWOPS_EXPIRIES_PAGE_DAYS: "7d" })).toThrow(
      /CLAWOPS_EXPIRIES_PAGE_DAYS: "7d" is not a whole number of days from 1 to 90/,
    );
    expect(() => expiriesFromEnv({ CLAWOPS_EXPIRIES_PAGE_DAYS: "7" })).toThrow(/needs a channel for its incidents/);
    const at = Date.UTC(2026, 10, 26, 3);
    expect(lastDailyMoment(9, at)).toBe(Date.UTC(2026, 10, 25, 9));
    expect(nextRadarMoment({ weekday: 1, hourUtc: 9, pageDays: 7 }, at)).toBe(Date.UTC(2026, 10, 26, 9));
    expect(nextRadarMoment({ weekday: 1, hourUtc: 9 }, at)).toBeNull();
  });
});

describe("an incident some days before an expiry", () => {
  const ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345";
  let pd: PagerDutyEventsStandIn;
  beforeEach(async () => {
    pd = new PagerDutyEventsStandIn(ROUTING_KEY);
    await pd.start();
  });
  afterEach(async () => {
    await pd.stop();
  });

  /** node-3 serves a certificate that ends in 5 days (made by openssl now, read by the real `gateway.tls` probe). */
  async function rig() {
    const dir = join(lab, "tls-node-3");
    await mkdir(join(dir, "gateway", "tls"), { recursive: true });
    const cert = join(dir, "gateway", "tls", "gateway-cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "5", "-nodes", "-keyout", join(dir, "k.pem")].concat([
        "-out",
        cert,
        "-subj",
        "/CN=openclaw-gateway",
      ]),
      { stdio: "ignore" },
    );
    const [tls] = await probe("tls-node-3", { gateway: { port: 1, tls: { enabled: true } } }, [
      { step: "gateway.tls", args: { timeoutMs: 500 } },
    ]);
    const t = { now: Date.now() };
    const healthy = healthyResults().find((r) => r.step === "gateway.ws") as Extract<
      StepResult,
      { step: "gateway.ws" }
    >;
    const profile = (profileId: string, type: string, inDays: number) => ({
      provider: profileId.split(":")[0] as string,
      status: "expiring",
      expiresAt: t.now + inDays * DAY,
      profiles: [{ profileId, type, status: "expiring", expiresAt: t.now + inDays * DAY }],
    });
    // An OAuth profile OpenClaw refreshes itself (no incident) and a static token it cannot (one).
    const ws = {
      ...healthy,
      data: {
        ...healthy.data,
        modelsRpc: {
          ok: true,
          providers: [profile("openai-codex:<email>", "oauth", 2), profile("anthropic:manual", "token", 3)],
        },
      },
    } as StepResult;
    const store = new SqliteStore(":memory:");
    for (const h of ["node-3", "node-4"]) await store.insertHost(enrolledHost(h, t.now));
    const chat = new RecordingChat();
    const deps: CoreDeps = testDeps({
      store,
      chat,
      clock: { now: () => t.now },
      transport: new FakeHostTransport()
        .addHost("node-3", { results: [tls as StepResult] })
        .addHost("node-4", { results: [ws] }),
      incidents: parseIncidentRouting("C0INC", "node-4=C0NODE4"),
      paging: {
        targets: [{ kind: "pagerduty", routingKey: ROUTING_KEY, eventsUrl: pd.eventsUrl }],
        policy: parsePagingPolicy("watch:sev2,expiry:sev3"),
      },
    });
    return { deps, store, chat, t };
  }

  it("opens one sev3 incident per credential and expiry date, pages it by policy, and the next day's sweep opens none", async () => {
    const { deps, store, chat, t } = await rig();
    const radar = { weekday: 1, hourUtc: new Date(t.now).getUTCHours(), pageDays: 7 };
    await sweepExpiries(deps, radar);
    const incidents = await store.listIncidents({ open: true });
    expect(incidents.map((i) => [i.title, i.source, i.severity, i.hosts, i.channel]).sort()).toEqual([
      ["Model credential anthropic:manual of node-4 expires in 3 days", "expiry", "sev3", ["node-4"], "C0NODE4"],
      ["TLS certificate of node-3 expires in 5 days", "expiry", "sev3", ["node-3"], "C0INC"],
    ]);
    // Each posted with its header in its channel; paged after the record.
    expect(chat.posted.map((p) => p.channel).sort()).toEqual(["C0INC", "C0NODE4"]);
    expect(pd.events).toEqual([]);
    await drainOutbox(deps);
    expect(pd.violations).toEqual([]);
    expect(pd.events.map((e) => e.action)).toEqual(["trigger", "trigger"]);
    const tlsIncident = incidents.find((i) => i.hosts[0] === "node-3");
    const timeline = await store.incidentTimeline(tlsIncident?.id ?? "");
    expect(timeline[0]?.text).toMatch(
      /^TLS certificate of node-3 expires in 5 days \(.*Z; CLAWOPS_EXPIRIES_PAGE_DAYS=7\) · sha256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/,
    );

    // The same sweep again, a second process, the next day and the day after a resolve: nothing new.
    await sweepExpiries(deps, radar);
    await store.updateIncident(tlsIncident?.id ?? "", ["open"], { state: "resolved", resolvedAt: t.now });
    t.now += DAY;
    await sweepExpiries(deps, radar);
    const calendar = await collectExpiries(deps, ALL_ANSWER);
    expect(await openExpiryIncidents(deps, calendar, { pageDays: 7 })).toEqual([]);
    // OpenClaw's status moving on (`expiring` → `expired`) is the same credential and date: nothing new.
    const moved = calendar.entries.map((e) => ({ ...e, what: e.what.replace("expiring", "expired") }));
    expect(moved.some((e) => e.what.includes("anthropic:manual (token, expired)"))).toBe(true);
    expect(await openExpiryIncidents(deps, { ...calendar, entries: moved }, { pageDays: 7 })).toEqual([]);
    expect((await store.listIncidents({})).length).toBe(2);
    await drainOutbox(deps);
    expect(pd.events.length).toBe(2);
  });

  it("a policy without `expiry` records the incident and pages nobody", async () => {
    const { deps, store } = await rig();
    const quiet: CoreDeps = { ...deps, paging: { ...(deps.paging as NonNullable<CoreDeps["paging"]>), policy: {} } };
    const calendar = await collectExpiries(quiet, ALL_ANSWER);
    // Once (a clean clone's unit run) only one opened: the failure now says what the calendar held.
    const seen = JSON.stringify({
      entries: calendar.entries,
      problems: calendar.problems,
      unanswered: calendar.unanswered,
    });
    expect((await openExpiryIncidents(quiet, calendar, { pageDays: 7 })).length, seen).toBe(2);
    await drainOutbox(quiet);
    expect(pd.events).toEqual([]);
    expect((await store.listIncidents({ open: true })).length).toBe(2);
  });
});
