import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import type { WatchRecord } from "../../src/core/ports/watch-record.ts";
import { DirectoryRecoveryStore } from "../../src/worker/directory-store.ts";
import { watchShardName } from "../../src/worker/watch-shard.ts";
import { gatewayDownData, healthyData, toResults } from "../support/evidence.ts";
import { HANG_MS, until } from "../support/until.ts";
import { connectScriptedAgent, type ScriptedAgent } from "./scripted-agent.ts";
import type { RecordedRequest } from "./signed-slack.ts";

/**
 * The watch on the Workers runtime, in the host's Durable Object (docs/watch.md): a scripted
 * agent on a real WebSocket to that object (Ed25519 hello) sends the frames the real agent sends
 * (`watch.state` with a quick probe's results shaped like a real gateway's, `watch.digest` to
 * confirm), and answers the triage job. What the user sees is asserted on the Slack calls the
 * objects make: the failing host's thread with the watch's line, the automatic freeze notice (the
 * pool's freeze policy covers `gateway-down`) and a triage; the recovery in the same thread; one
 * summary per flap window, posted by the object's alarm; a silent agent's state turned stale by
 * the object's alarm, in the shard that `status all` reads. Bindings (vitest.workers.config.ts):
 * a 1 s interval, a 2 s digest period (silent after 2 s + 2 × 1 s) and a 10 s flap window.
 */
const QUICK = new Set(["gateway.http", "gateway.ws", "port.listeners", "config"]);
const DOWN: StepResult[] = toResults(gatewayDownData()).filter((r) => QUICK.has(r.step));
const HEALTHY: StepResult[] = toResults(healthyData()).filter((r) => QUICK.has(r.step));
const SILENT_AFTER_MS = 2_000 + 2 * 1_000;
const FLAP_WINDOW_MS = 10_000;

interface WatchAgent extends ScriptedAgent {
  /** Sends a probe: a state when its health changed since the last one sent, else a digest. */
  probe(healthy: boolean): Promise<void>;
  /** Two probes: the new health holds. */
  hold(healthy: boolean): Promise<void>;
}

const open: WatchAgent[] = [];

/**
 * Enrolls `host` and connects a scripted agent to its object; resolves at the welcome (which must
 * carry the watch's interval). Its triage jobs find a stopped gateway, as its quick probes say.
 */
async function connectAgent(host: string): Promise<WatchAgent> {
  const scripted = await connectScriptedAgent(host, (job) => {
    const wanted = new Set(job.steps.map((s) => s.step));
    return toResults(gatewayDownData()).filter((r) => wanted.has(r.step));
  });
  const { socket, welcome } = scripted;
  if (welcome.watchIntervalMs !== 1_000 || welcome.watchDigestMs !== 2_000) {
    throw new Error(`the welcome does not carry the watch settings: ${JSON.stringify(welcome)}`);
  }
  let seq = 0;
  let last: boolean | null = null;
  const agent: WatchAgent = Object.assign(scripted, {
    async probe(healthy: boolean) {
      const at = Date.now();
      const hash = healthy ? "quick-ok" : "quick-down";
      seq += 1;
      socket.send(
        JSON.stringify(
          last === healthy
            ? { type: "watch.digest", seq, at, hash }
            : { type: "watch.state", seq, at, hash, results: healthy ? HEALTHY : DOWN },
        ),
      );
      last = healthy;
      // Handled once the host object's own state has it (frames are handled in order), and its
      // shard too: the object writes its own table first, then the shard, in the same handler.
      await until(`probe ${seq} handled`, HANG_MS, async () => (await objectState(host))?.last.seq === seq, 100);
      await until(`probe ${seq} in the shard`, HANG_MS, async () => (await shardState(host))?.last.seq === seq, 100);
    },
    async hold(healthy: boolean) {
      await agent.probe(healthy);
      await agent.probe(healthy);
    },
  });
  open.push(agent);
  return agent;
}

const hostObject = (host: string) => env.HOSTS.get(env.HOSTS.idFromName(host));
const shardObject = (host: string) => env.WATCH_SHARDS.get(env.WATCH_SHARDS.idFromName(watchShardName(host)));

/** The host's watch state in its own object's SQLite. */
async function objectState(host: string): Promise<WatchRecord | undefined> {
  return runInDurableObject(hostObject(host), (_i, state) => {
    const row = state.storage.sql.exec<{ state: string }>("SELECT state FROM host_watch").toArray()[0];
    return row ? (JSON.parse(row.state) as WatchRecord) : undefined;
  });
}

/** The host's watch state as the shard holds it (what `status all` reads). */
async function shardState(host: string): Promise<WatchRecord | undefined> {
  return (await shardObject(host).list()).map((s) => JSON.parse(s) as WatchRecord).find((r) => r.host === host);
}

interface Post {
  channel: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown;
}

async function calls(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}
async function posts(): Promise<Post[]> {
  return (await calls())
    .filter((c) => c.url === `${env.SLACK_API_URL}/chat.postMessage`)
    .map((c) => JSON.parse(c.body));
}
/** Every text the objects sent to Slack (posts and the triage's edits; not a page's form-encoded permalink lookup). */
async function texts(): Promise<string[]> {
  return (await calls())
    .filter((c) => /\/chat\.(postMessage|update)$/.test(c.url))
    .map((c) => (JSON.parse(c.body) as { text?: string }).text ?? "");
}

/**
 * What an alarm-driven wait saw when it gave up: the posts, the host object's alarm and its watch
 * state, and the time then, so that a late summary says whether the alarm was set, fired or posted.
 */
function seenBy(host: string): () => Promise<unknown> {
  return async () => ({
    now: Date.now(),
    alarm: await runInDurableObject(hostObject(host), (_i, state) => state.storage.getAlarm()),
    state: await objectState(host),
    posts: (await posts()).map((p) => p.text),
  });
}

/** The host's incident thread (where the watch's failing line went), and what was posted in it. */
async function thread(host: string): Promise<{ ts: string; replies: Post[] }> {
  const all = await posts();
  const ts = all.find((p) => p.text.startsWith(`Watch: ${host} failing since`))?.thread_ts;
  if (!ts) throw new Error(`no watch line in a thread for ${host}: ${JSON.stringify(all.map((p) => p.text))}`);
  return { ts, replies: all.filter((p) => p.thread_ts === ts) };
}

afterAll(async () => {
  for (const a of open) {
    if (a.socket.readyState === WebSocket.OPEN) a.socket.close(1000, "test over");
    await until("the agent to be gone", HANG_MS, async () => !(await hostObject(a.host).isOnline()), 100);
  }
});

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("the watch in the host's Durable Object", () => {
  it("a failure held two probes opens the host's thread with the watch's line, the automatic freeze and a triage; the return to healthy says 'recovered at … after …' in the same thread", async () => {
    const agent = await connectAgent("wk-fail-1");
    await agent.hold(true);
    expect(await posts()).toEqual([]); // the first health seen, healthy, is not news
    await agent.probe(false);
    expect(await posts()).toEqual([]); // one bad probe is not an incident
    await agent.probe(false);
    await until(
      "the triage's answer",
      HANG_MS,
      async () => (await texts()).some((t) => t.startsWith("Triage wk-fail-1")),
      100,
    );
    const { replies } = await thread("wk-fail-1");
    const header = (await posts()).find((p) => p.text === "Incident: OpenClaw gateway on wk-fail-1");
    expect(header).toMatchObject({ channel: "C0INCIDENT" });
    expect(header?.thread_ts).toBeUndefined();
    expect(JSON.stringify(header?.blocks)).toContain("Opened by *clawops watch*");
    expect(replies[0]?.channel).toBe("C0INCIDENT");
    expect(replies[0]?.text).toMatch(/^Watch: wk-fail-1 failing since \d\d:\d\d:\d\d UTC: Gateway is not running/);
    expect(replies.some((r) => r.text.includes("wk-fail-1 is frozen automatically (gateway-down)"))).toBe(true);
    expect(agent.jobs).toBe(1);
    // The same transition flow as Node: the freeze policy froze it as clawops, and audited it.
    const recovery = new DirectoryRecoveryStore(env.DIRECTORY);
    expect(await recovery.getFreeze("wk-fail-1")).toMatchObject({ owner: "clawops (automatic)" });
    const audit = await recovery.listAudit({ host: "wk-fail-1" });
    expect(audit.map((e) => e.action)).toContain("freeze.auto");
    // The shard holds the held failure, and the agent is not stale while it reports: a real agent
    // reports every interval; this one only when told, so it reports once more first (the triage
    // above may take longer than the 4 s of silence that make an agent stale, on a loaded machine).
    await agent.probe(false);
    expect(await shardState("wk-fail-1")).toMatchObject({ held: { healthy: false }, stale: null });

    const before = (await posts()).length;
    await agent.hold(true);
    const recovered = await until(
      "the recovery",
      HANG_MS,
      async () => (await posts()).slice(before).find((p) => p.text.startsWith("Watch: wk-fail-1 recovered")),
      100,
    );
    expect(recovered.text).toMatch(/^Watch: wk-fail-1 recovered at \d\d:\d\d:\d\d UTC after \d+ (s|min)$/);
    expect(recovered.thread_ts).toBe((await thread("wk-fail-1")).ts);
    expect((await posts()).filter((p) => p.text.startsWith("Incident: OpenClaw gateway on wk-fail-1"))).toHaveLength(1);
    expect(agent.jobs).toBe(1);
    expect(await shardState("wk-fail-1")).toMatchObject({ held: { healthy: true }, failingSince: null });
  });

  it(
    "a flapping host gets one message per flap window from the object's alarm, not one per flap",
    async () => {
      const agent = await connectAgent("wk-flap-1");
      /** A window's one summary among the posts after the first `after`, posted by the object's alarm at its end. */
      const summaryAfter = (which: string, after: number) =>
        until(
          `the ${which} window's summary`,
          FLAP_WINDOW_MS + HANG_MS,
          async () => (await posts()).slice(after).find((p) => p.text.startsWith("Watch: wk-flap-1 flapped")),
          100,
          seenBy("wk-flap-1"),
        );
      await agent.hold(true);
      await agent.hold(false); // posted: opens the flap window
      await until(
        "the failing line",
        HANG_MS,
        async () => (await posts()).some((p) => p.text.startsWith("Watch: wk-flap-1 failing since")),
        100,
      );
      await agent.hold(true); // the window's first recovery: posted
      await until(
        "the recovery",
        HANG_MS,
        async () => (await posts()).some((p) => p.text.startsWith("Watch: wk-flap-1 recovered")),
        100,
      );
      const settled = (await posts()).length;
      // Two more flips inside the window: counted, not posted, no second triage.
      await agent.hold(false);
      await agent.hold(true);
      const flapped = await summaryAfter("first", settled);
      expect(flapped.text).toMatch(
        /^Watch: wk-flap-1 flapped 2 times between \d\d:\d\d:\d\d UTC and \d\d:\d\d:\d\d UTC; now healthy since /,
      );
      expect(flapped.thread_ts).toBe((await thread("wk-flap-1")).ts);
      expect((await posts()).slice(settled)).toEqual([flapped]);
      expect(agent.jobs).toBe(1);

      // Still flipping: the next window counts everything, and its end posts one more summary.
      const afterFirst = (await posts()).length;
      await agent.hold(false);
      await agent.hold(true);
      await agent.hold(false);
      const second = await summaryAfter("second", afterFirst);
      expect(second.text).toMatch(/^Watch: wk-flap-1 flapped 3 times between .*; now failing since /);
      expect((await posts()).slice(afterFirst)).toEqual([second]);
      expect(agent.jobs).toBe(1);
    },
    2 * FLAP_WINDOW_MS + 5 * HANG_MS,
  );

  it(
    "a silent agent is noticed by the object's alarm: its state turns stale in the shard; a disconnect says why",
    async () => {
      const agent = await connectAgent("wk-quiet-1");
      await agent.hold(true);
      const reported = await shardState("wk-quiet-1");
      if (!reported) throw new Error("no watch state in the shard");
      expect(reported.stale).toBeNull();
      // The alarm is set for the moment the agent has been silent past its digest period + 2 intervals.
      // (Set once the frame is handled, just after the shard is written.)
      const silentAt = reported.reportedAt + SILENT_AFTER_MS + 1;
      const alarmNow = () => runInDurableObject(hostObject("wk-quiet-1"), (_i, state) => state.storage.getAlarm());
      await until("the alarm at the silence", HANG_MS, async () => (await alarmNow()) === silentAt, 100, alarmNow);
      expect(await alarmNow()).toBe(silentAt);
      // Nothing more from the agent (its socket stays open): the alarm marks it stale, no request does.
      const stale = await until(
        "the stale state in the shard",
        SILENT_AFTER_MS + HANG_MS,
        async () => {
          const s = await shardState("wk-quiet-1");
          return s?.stale ? s : null;
        },
        100,
        seenBy("wk-quiet-1"),
      );
      expect(stale.stale).toEqual({ reason: "no report from its agent since", at: reported.reportedAt });
      expect(stale.held).toMatchObject({ healthy: true });
      expect((await hostObject("wk-quiet-1").status()).watch).toMatchObject({
        healthy: true,
        stale: { reason: "no report from its agent since" },
      });
      // Stale is not yet an incident: nothing posted; the object wakes again at the moment its agent
      // counts as lost (its silence began, plus CLAWOPS_WATCH_LOST_S, 90 s by default).
      expect(await posts()).toEqual([]);
      expect(await runInDurableObject(hostObject("wk-quiet-1"), (_i, state) => state.storage.getAlarm())).toBe(
        reported.reportedAt + 90_000,
      );

      // It reports again: fresh.
      await agent.probe(true);
      expect((await shardState("wk-quiet-1"))?.stale).toBeNull();

      // Its socket closes: stale with the close, before the close event ends.
      agent.socket.close(1001, "agent restarting");
      await until("the disconnect in the shard", HANG_MS, async () => (await shardState("wk-quiet-1"))?.stale, 100);
      expect((await shardState("wk-quiet-1"))?.stale?.reason).toBe("agent disconnected (close 1001 agent restarting)");
      expect(await posts()).toEqual([]);
    },
    SILENT_AFTER_MS + 4 * HANG_MS,
  );
});
