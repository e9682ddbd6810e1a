import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SharedGateway } from "../support/gateway/control.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * The watch's flows on a real OpenClaw gateway (docs/watch.md), run on both runtimes at once
 * (test/gateway/watch.test.ts): the Node control plane and the Worker in workerd (a host Durable
 * Object per host), each with a real clawops-agent of its own running the quick probe every 2 s
 * (the interval the control plane tells it in the welcome) against the one shared gateway, each
 * posting to its own Slack stand-in in its incident channel. Stopping the gateway opens the
 * host's thread with a triage; starting it posts the recovery; flapping it again inside the flap
 * window (hung with SIGSTOP, then SIGCONT: a failure and a recovery with no start to wait for)
 * posts nothing per flap and one summary at the window's end (on Workers, from the host object's
 * alarm).
 *
 * Both runtimes watch the same stops and starts: every flow below is asserted on each, and the
 * gateway is stopped and started once for both, so the flap window (which must hold one start of
 * the gateway on a loaded box, and the hang) is waited out once, not once per runtime.
 *
 * What is the runtime's own (the plane): where the held health is read from, since each runtime
 * shows it in its own API (Node: the console's fleet rows; Workers: the operator API's view of
 * the host object), and what that API says of a healthy host.
 */
export const WATCH_HOST = "node-3";
/**
 * The flap window each plane must set (CLAWOPS_WATCH_FLAP_WINDOW_S). It opens with the failure
 * posted on the stop and must hold the start after it and the hang: the start and its recovery
 * took 21–33 s in the clean clones of 2026-11-28 (15–40 s to ready on a loaded box), the hang and
 * its recovery about 10 s more, so 90 s leaves the flips some 40 s to spare (120 s until then).
 */
export const WATCH_FLAP_WINDOW_S = 90;

export interface WatchFlowsPlane {
  /** "Node", "Workers": named in every failure. */
  runtime: string;
  /** Its Slack signing secret and incident channel. */
  secret: string;
  incidents: string;
  slack: SlackStandIn;
  /** Where signed slash commands go. */
  url: string;
  /** Waits until the watch holds `WATCH_HOST` healthy (ok, or warn) or failing, as the runtime shows it. */
  waitHeld(healthy: boolean, timeoutMs: number): Promise<void>;
  /** Asserts what the runtime's own API says of the healthy host. */
  expectHealthyView(): Promise<void>;
  stop(): Promise<void>;
}

export function describeWatchFlows(
  name: string,
  gw: SharedGateway,
  startPlanes: Array<() => Promise<WatchFlowsPlane>>,
): void {
  const HOST = WATCH_HOST;
  const planes: WatchFlowsPlane[] = [];

  const incident = (p: WatchFlowsPlane): StoredMessage | undefined =>
    p.slack.topLevel(p.incidents).find((m) => m.text === `Incident: OpenClaw gateway on ${HOST}`);
  const replies = (p: WatchFlowsPlane): StoredMessage[] => {
    const parent = incident(p);
    return parent ? p.slack.thread(p.incidents, parent.ts) : [];
  };
  /** The same wait on every runtime at once, each bounded from now. */
  const onEach = (wait: (p: WatchFlowsPlane) => Promise<void>) => Promise.all(planes.map(wait));

  describe(name, () => {
    beforeAll(async () => {
      await gw.restoreHealthy();
      // One after the other: each start is a process (or workerd) and an agent coming online.
      for (const start of startPlanes) planes.push(await start());
    }, 300_000);

    afterAll(async () => {
      for (const p of planes) await p.stop();
      await gw.restoreHealthy();
    }, 180_000);

    it("a healthy gateway: held healthy (ok, or warn for its missing model credentials); status all answers from the watch with its age; nothing posted in the incident channel", async () => {
      await onEach((p) => p.waitHeld(true, 60_000));
      for (const p of planes) {
        await p.expectHealthyView();
        const before = p.slack.topLevel("C0OPS").length;
        const { body } = await postSlashCommand(p.url, p.secret, { text: "status all", channel_id: "C0OPS" });
        expect(body.text, p.runtime).toContain("from the watch follows");
        await p.slack.waitFor(
          () => p.slack.topLevel("C0OPS").length > before,
          20_000,
          `the fleet matrix (${p.runtime})`,
        );
        const matrix = p.slack.topLevel("C0OPS")[before] as StoredMessage;
        expect(matrix.text, p.runtime).toMatch(
          /^Fleet status \(all hosts\): 1 host: (1 ok · 0 warn|0 ok · 1 warn) · 0 fail · 0 no answer · 0 offline$/,
        );
        expect(JSON.stringify(matrix.blocks), p.runtime).toMatch(/\*node-3\* (🟢 ok|🟡 warn) — [^·]+ · \d+ s ago/u);
        expect(p.slack.topLevel(p.incidents), p.runtime).toEqual([]);
      }
    }, 120_000);

    it("stopping the gateway opens the host's thread in the incident channel with a triage, within 90 s", async () => {
      await gw.stop();
      await onEach((p) =>
        p.slack.waitFor(
          () =>
            replies(p).some((m) => m.text.includes("Gateway is not running") && m.text.startsWith(`Triage ${HOST}`)),
          90_000,
          `the watch's incident thread with a triage result (${p.runtime})`,
        ),
      );
      for (const p of planes) {
        expect(JSON.stringify(incident(p)?.blocks), p.runtime).toContain("Opened by *clawops watch*");
        const [notice] = replies(p);
        expect(notice?.text, p.runtime).toMatch(new RegExp(`^Watch: ${HOST} failing since \\d\\d:\\d\\d:\\d\\d UTC: `));
        expect(p.slack.topLevel(p.incidents), p.runtime).toHaveLength(1);
        expect(p.slack.violations, p.runtime).toEqual([]);
        expect(JSON.stringify(p.slack.calls), p.runtime).not.toContain(gw.token);
      }
    }, 120_000);

    it("starting it again posts the recovery in the same thread", async () => {
      await gw.start();
      await onEach((p) =>
        p.slack.waitFor(
          () =>
            replies(p).some((m) => /^Watch: node-3 recovered at \d\d:\d\d:\d\d UTC after \d+ (s|min)$/.test(m.text)),
          90_000,
          `the recovery (${p.runtime})`,
        ),
      );
      for (const p of planes) expect(p.slack.topLevel(p.incidents), p.runtime).toHaveLength(1);
      await onEach((p) => p.waitHeld(true, 10_000));
    }, 120_000);

    it("flapping it inside the window posts nothing per flap, then one summary at the window's end", async () => {
      const before = new Map(planes.map((p) => [p, replies(p).length]));
      const countBefore = (p: WatchFlowsPlane) => before.get(p) ?? 0;
      await gw.pause();
      await onEach((p) => p.waitHeld(false, 60_000));
      await gw.resume();
      await onEach((p) => p.waitHeld(true, 60_000));
      // The flips inside the window were counted, not posted, and started no triage.
      for (const p of planes) expect(replies(p), p.runtime).toHaveLength(countBefore(p));
      await onEach((p) =>
        p.slack.waitFor(
          () => replies(p).length > countBefore(p),
          (WATCH_FLAP_WINDOW_S + 30) * 1000,
          `the flap window's summary (${p.runtime})`,
        ),
      );
      for (const p of planes) {
        const added = replies(p).slice(countBefore(p));
        expect(added, p.runtime).toHaveLength(1);
        expect(added[0]?.text, p.runtime).toMatch(
          /^Watch: node-3 flapped 2 times between \d\d:\d\d:\d\d UTC and \d\d:\d\d:\d\d UTC; now healthy since /,
        );
        expect(p.slack.topLevel(p.incidents), p.runtime).toHaveLength(1);
        expect(p.slack.violations, p.runtime).toEqual([]);
      }
    }, 400_000);
  });
}
