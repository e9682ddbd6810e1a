import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DIRECTORY_NAME } from "../../src/worker/directory-store.ts";
import type { WorkerEnv } from "../../src/worker/env.ts";
import type { RecordedRequest } from "./signed-slack.ts";

/**
 * The expiry radar's weekly post on the Workers runtime (issue 42, item 3): the directory
 * object's alarm reads the calendar and posts it to CLAWOPS_EXPIRIES_CHANNEL at its weekday and
 * hour, once per week however often the alarm runs (the claim in the object's SQLite), and sets
 * its next alarm no later than next week's moment. The weekday and hour are this run's own, so
 * the moment is due now; they are given to this test's object only (other files' alarms stay as
 * they were).
 */
const now = new Date();
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const RADAR = {
  CLAWOPS_EXPIRIES_CHANNEL: "C0EXPIRY",
  CLAWOPS_EXPIRIES_DAY: DAYS[now.getUTCDay()] as string,
  CLAWOPS_EXPIRIES_HOUR_UTC: String(now.getUTCHours()),
};

async function outboundCalls(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("the weekly expiry calendar from the directory object's alarm", () => {
  it("is posted once to its channel however often the alarm runs; the next alarm is set by next week", async () => {
    const stub = env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));
    const ring = async () => {
      await runInDurableObject(stub, async (instance, state) => {
        // This object's settings: the shared bindings plus the radar's.
        (instance as unknown as { env: WorkerEnv }).env = { ...(env as WorkerEnv), ...RADAR };
        // A minute ahead, so the alarm waits for runDurableObjectAlarm rather than firing on its own.
        await state.storage.setAlarm(Date.now() + 60_000);
      });
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    };
    await ring();
    await ring();
    const posts = (await outboundCalls())
      .filter((c) => c.url.endsWith("/chat.postMessage"))
      .map((c) => JSON.parse(c.body) as { channel: string; text: string });
    expect(posts.filter((p) => p.channel === "C0EXPIRY").map((p) => p.text)).toEqual([
      expect.stringMatching(/^Weekly Expiry calendar: 0 dated items on 0 hosts: 0 within 14 days$/),
    ]);
    const hour = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours());
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeLessThanOrEqual(hour + 7 * 86_400_000);
  });
});
