import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SharedGateway } from "../support/gateway/control.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * The watch's flows on a real OpenClaw gateway (docs/watch.md), one suite run once per runtime:
 * test/gateway/watch.test.ts (the Node control plane) and test/gateway/watch-workers.test.ts
 * (the Worker in workerd, a host Durable Object per host). A real clawops-agent runs the quick
 * probe every 2 s (the interval the control plane tells it in the welcome), the control plane
 * posts to the Slack stand-in in the incident channel. Stopping the gateway opens the host's
 * thread with a triage; starting it posts the recovery; flapping it again inside the flap window
 * posts nothing per flap and one summary at the window's end (on Workers, from the host object's
 * alarm).
 *
 * What is the runtime's own (the plane): where the held health is read from, since each runtime
 * shows it in its own API (Node: the console's fleet rows; Workers: the operator API's view of
 * the host object), and what that API says of a healthy host.
 */
export const WATCH_HOST = "node-3";
/** The flap window the plane must set (CLAWOPS_WATCH_FLAP_WINDOW_S). */
export const WATCH_FLAP_WINDOW_S = 150;

export interface WatchFlowsPlane {
  gw: SharedGateway;
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
  cfg: { secret: string; incidents: string },
  startPlane: () => Promise<WatchFlowsPlane>,
): void {
  const HOST = WATCH_HOST;
  const INCIDENTS = cfg.incidents;
  let plane: WatchFlowsPlane;
  let gw: SharedGateway;
  let slack: SlackStandIn;

  const incident = (): StoredMessage | undefined =>
    slack.topLevel(INCIDENTS).find((m) => m.text === `Incident: OpenClaw gateway on ${HOST}`);
  const replies = (): StoredMessage[] => {
    const parent = incident();
    return parent ? slack.thread(INCIDENTS, parent.ts) : [];
  };

  describe(name, () => {
    beforeAll(async () => {
      plane = await startPlane();
      ({ gw, slack } = plane);
    }, 180_000);

    afterAll(() => plane?.stop(), 120_000);

    it("a healthy gateway: held healthy (ok, or warn for its missing model credentials); status all answers from the watch with its age; nothing posted in the incident channel", async () => {
      await plane.waitHeld(true, 60_000);
      await plane.expectHealthyView();
      const before = slack.topLevel("C0OPS").length;
      const { body } = await postSlashCommand(plane.url, cfg.secret, { text: "status all", channel_id: "C0OPS" });
      expect(body.text).toContain("from the watch follows");
      await slack.waitFor(() => slack.topLevel("C0OPS").length > before, 20_000, "the fleet matrix");
      const matrix = slack.topLevel("C0OPS")[before] as StoredMessage;
      expect(matrix.text).toMatch(
        /^Fleet status \(all hosts\): 1 host: (1 ok · 0 warn|0 ok · 1 warn) · 0 fail · 0 no answer · 0 offline$/,
      );
      expect(JSON.stringify(matrix.blocks)).toMatch(/\*node-3\* (🟢 ok|🟡 warn) — [^·]+ · \d+ s ago/u);
      expect(slack.topLevel(INCIDENTS)).toEqual([]);
    }, 120_000);

    it("stopping the gateway opens the host's thread in the incident channel with a triage, within 90 s", async () => {
      await gw.stop();
      await slack.waitFor(
        () => replies().some((m) => m.text.includes("Gateway is not running") && m.text.startsWith(`Triage ${HOST}`)),
        90_000,
        "the watch's incident thread with a triage result",
      );
      expect(JSON.stringify(incident()?.blocks)).toContain("Opened by *clawops watch*");
      const [notice] = replies();
      expect(notice?.text).toMatch(new RegExp(`^Watch: ${HOST} failing since \\d\\d:\\d\\d:\\d\\d UTC: `));
      expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
      expect(slack.violations).toEqual([]);
      expect(JSON.stringify(slack.calls)).not.toContain(gw.token);
    }, 120_000);

    it("starting it again posts the recovery in the same thread", async () => {
      await gw.start();
      await slack.waitFor(
        () => replies().some((m) => /^Watch: node-3 recovered at \d\d:\d\d:\d\d UTC after \d+ (s|min)$/.test(m.text)),
        90_000,
        "the recovery",
      );
      expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
      await plane.waitHeld(true, 10_000);
    }, 120_000);

    it("flapping it inside the window posts nothing per flap, then one summary at the window's end", async () => {
      const before = replies().length;
      await gw.stop();
      await plane.waitHeld(false, 60_000);
      await gw.start();
      await plane.waitHeld(true, 90_000);
      // The flips inside the window were counted, not posted, and started no triage.
      expect(replies()).toHaveLength(before);
      await slack.waitFor(
        () => replies().length > before,
        (WATCH_FLAP_WINDOW_S + 30) * 1000,
        "the flap window's summary",
      );
      const added = replies().slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]?.text).toMatch(
        /^Watch: node-3 flapped 2 times between \d\d:\d\d:\d\d UTC and \d\d:\d\d:\d\d UTC; now healthy since /,
      );
      expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
      expect(slack.violations).toEqual([]);
    }, 400_000);
  });
}
