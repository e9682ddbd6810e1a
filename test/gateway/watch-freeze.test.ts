import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlaneProcess } from "../support/control-plane-process.ts";
import type { SharedGateway } from "../support/gateway/control.ts";
import { type GatewayPlane, startGatewayPlane } from "../support/gateway-plane.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * The watch and the freeze policy together on a real OpenClaw gateway (docs/watch.md,
 * docs/freezes.md): the control plane process runs with CLAWOPS_FREEZE_POLICY (gateway down →
 * freeze, lifted after 15 s healthy) and an announcement channel; a real clawops-agent watches
 * every 2 s. Stopping the gateway opens the thread with a triage and an automatic freeze notice
 * there and in the announcement channel; starting it posts the recovery, then the all-clear.
 */
const SECRET = "watch-freeze-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-watch-freeze-bot-token";
const HOST = "node-3";
const INCIDENTS = "C0WATCHFRZ";
const ANNOUNCE = "C0ANNOUNCE";

let plane: GatewayPlane;
let gw: SharedGateway;
let slack: SlackStandIn;
let cp: ControlPlaneProcess;
let dir: string;

const incident = (): StoredMessage | undefined =>
  slack.topLevel(INCIDENTS).find((m) => m.text === `Incident: OpenClaw gateway on ${HOST}`);
const frozenNotice = (m: StoredMessage) => m.text.startsWith(`${HOST} is frozen automatically (gateway-down)`);
const allClear = (m: StoredMessage) => m.text.startsWith(`All clear: ${HOST} is no longer frozen`);

/** What the stand-in holds, for a failure message. */
const posted = () =>
  JSON.stringify({
    incidents: slack.topLevel(INCIDENTS).map((m) => m.text),
    thread: replies().map((m) => m.text.slice(0, 160)),
    announce: slack.topLevel(ANNOUNCE).map((m) => m.text.slice(0, 160)),
  });
const replies = (): StoredMessage[] => {
  const parent = incident();
  return parent ? slack.thread(INCIDENTS, parent.ts) : [];
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawops-watch-freeze-"));
  const policy = join(dir, "freeze-policy.json");
  writeFileSync(
    policy,
    JSON.stringify({
      rules: [
        {
          name: "gateway down",
          findings: ["gateway-down", "gateway-stopped", "gateway-unresponsive"],
          liftAfterHealthyMin: 0.25,
          maxFreezeMin: 30,
        },
      ],
    }),
  );
  plane = await startGatewayPlane({
    secret: SECRET,
    botToken: BOT_TOKEN,
    host: HOST,
    watchIncidents: INCIDENTS,
    env: { CLAWOPS_ANNOUNCE_CHANNELS: ANNOUNCE, CLAWOPS_FREEZE_POLICY: policy },
  });
  ({ gw, slack, cp } = plane);
}, 120_000);

afterAll(async () => {
  await plane?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("the watch with a freeze policy on a real OpenClaw gateway", () => {
  it("stopping the gateway: the thread gets a triage and an automatic freeze notice, the announcement channel the notice, within 90 s", async () => {
    await gw.stop();
    const stoppedAt = Date.now();
    await slack
      .waitFor(
        () =>
          replies().some((m) => m.text.startsWith(`Triage ${HOST}:`) && m.text.includes("Gateway is not running")) &&
          replies().some(frozenNotice) &&
          slack.topLevel(ANNOUNCE).some(frozenNotice),
        90_000,
        "the triage and the automatic freeze notice",
      )
      .catch((err: Error) => {
        throw new Error(`${err.message}\n${posted()}\n${cp.stderr().slice(-6000)}`);
      });
    expect(Date.now() - stoppedAt).toBeLessThan(90_000);
    const notice = slack.topLevel(ANNOUNCE).find(frozenNotice) as StoredMessage;
    const body = JSON.stringify(notice.blocks);
    expect(body).toContain(`Automatic freeze: ${HOST}`);
    expect(body).toContain("clawops (automatic)");
    expect(body).toContain("gateway down");
    expect(body).toContain("after 15 s healthy");
    // The freeze is in force: `status` lists it with its automatic owner.
    const status = await fetch(`${cp.url}/api/console/command`, {
      method: "POST",
      headers: { "content-type": "application/json", ...cp.consoleHeaders() },
      body: JSON.stringify({ text: "status" }),
    });
    expect(JSON.stringify(await status.json())).toContain("clawops (automatic)");
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
    expect(JSON.stringify(slack.calls)).not.toContain(gw.token);
  }, 120_000);

  it("starting it again posts the recovery, then the all-clear in the thread and the announcement channel", async () => {
    await gw.start();
    await slack.waitFor(
      () => replies().some((m) => /^Watch: node-3 recovered at \d\d:\d\d:\d\d UTC after \d+ (s|min)$/.test(m.text)),
      90_000,
      "the recovery",
    );
    await slack
      .waitFor(() => replies().some(allClear) && slack.topLevel(ANNOUNCE).some(allClear), 60_000, "the all-clear")
      .catch((err: Error) => {
        throw new Error(`${err.message}\n${posted()}`);
      });
    const cleared = replies().find(allClear) as StoredMessage;
    expect(JSON.stringify(cleared.blocks)).toContain(`is no longer frozen. The watch has seen it healthy since`);
    const recoveredAt = replies().findIndex((m) => m.text.startsWith("Watch: node-3 recovered"));
    expect(replies().indexOf(cleared)).toBeGreaterThan(recoveredAt);
    expect(slack.topLevel(INCIDENTS)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  }, 180_000);
});
