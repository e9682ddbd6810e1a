import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import { commandButton } from "../../src/core/messages/buttons.ts";
import { handle } from "../../src/core/router/handle.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { quietLogger, seedHost, testDeps } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * The one interaction router (core/router/handle.ts) that Slack's HTTP routes, Socket Mode and
 * the console call: the same command does the same whichever way it came, a command button runs
 * as the presser's command with its ack sent to them alone, and refusals change nothing.
 */
const BOT_TOKEN = "xoxb-router-test-token";
let slack: SlackStandIn;
beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  await slack.start();
});
afterAll(() => slack.stop());

async function setup() {
  const store = new InMemoryStore();
  const transport = new FakeHostTransport();
  let n = 0;
  const deps = testDeps({
    store,
    transport,
    chat: new SlackWebApiChat({ token: BOT_TOKEN, apiUrl: slack.url, logger: quietLogger }),
    ids: { id: (p) => `${p}_${(++n).toString().padStart(4, "0")}` },
  });
  const recoveryStore = deps.recovery.store;
  await seedHost(store, "node-3");
  transport.addHost("node-3", { results: healthyResults().map((result) => ({ result, delayMs: 1 })) });
  return { deps, store, recoveryStore };
}

const who = (channel: string, key: string) => ({
  user: "U0OPERATOR",
  channel,
  requestKey: key,
  source: "slack" as const,
});

describe("one interaction router for commands and button presses", () => {
  it("a Triage button runs the presser's triage: its ack reaches them through response_url, the same words a typed command gets", async () => {
    const { deps, store } = await setup();
    const typed = await handle(deps, { kind: "command", request: { text: "triage node-3", ...who("C0TYPED", "k1") } });
    await typed.later?.();

    const button = commandButton("triage", "node-3");
    const hook = slack.responseUrl("press-1");
    const before = slack.responses.length;
    const pressed = await handle(deps, {
      kind: "command-press",
      press: { actionId: button.actionId, value: button.value, ...who("C0PRESSED", "k2"), responseUrl: hook },
    });
    expect(pressed.error).toBeUndefined();
    // Nothing reached the presser before the transport ran `later`: the ack rides on it.
    expect(slack.responses.length).toBe(before);
    await pressed.later?.();

    const told = slack.responses.slice(before);
    expect(told).toHaveLength(1);
    expect(told[0]?.path).toBe(new URL(hook).pathname);
    expect(told[0]?.body.response_type).toBe("ephemeral");
    expect(told[0]?.body.text).toBe(pressed.ack.text);
    // The same words as the typed command's ack, but for its own job.
    expect(pressed.ack.text.replaceAll(pressed.jobId ?? "?", "JOB")).toBe(
      typed.ack.text.replaceAll(typed.jobId ?? "?", "JOB"),
    );
    // Both ran a triage of node-3, each answered in its own channel's thread.
    const jobs = [await store.getJob(typed.jobId ?? ""), await store.getJob(pressed.jobId ?? "")];
    expect(jobs.map((j) => [j?.host, j?.status])).toEqual([
      ["node-3", "done"],
      ["node-3", "done"],
    ]);
    expect(slack.topLevel("C0TYPED")).toHaveLength(1);
    expect(slack.topLevel("C0PRESSED")).toHaveLength(1);
  });

  it("the console's press has no response_url: its ack comes back in place", async () => {
    const { deps } = await setup();
    const button = commandButton("triage", "node-3");
    const before = slack.responses.length;
    const handled = await handle(deps, {
      kind: "command-press",
      press: { actionId: button.actionId, value: button.value, ...who("C0CONSOLE", "k3"), source: "console" },
    });
    await handled.later?.();
    expect(handled.error).toBeUndefined();
    expect(handled.ack.text).toMatch(/node-3/);
    expect(slack.responses.length).toBe(before);
  });

  it("a button whose value clawops did not make runs nothing, says so and is audited", async () => {
    const { deps, store, recoveryStore } = await setup();
    const handled = await handle(deps, {
      kind: "command-press",
      press: { actionId: "clawops_run:triage:node-3", value: "recover node-3", ...who("C0X", "k4") },
    });
    expect(handled.error?.code).toBe("bad_request");
    expect(handled.ack.text).toMatch(/Nothing was run/);
    expect(handled.jobId).toBeUndefined();
    expect(handled.ack.text).toMatch(/action and value disagree/);
    expect(await store.listJobs({ host: "node-3" })).toEqual([]);
    const audit = await recoveryStore.listAudit({ limit: 10, order: "asc" });
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([["command", "refused"]]);
  });

  it("an approval of a confirmation that does not exist is refused with its code and audited", async () => {
    const { deps, recoveryStore } = await setup();
    const handled = await handle(deps, {
      kind: "approval",
      press: {
        confirmationId: "cnf_nope",
        decision: "approve",
        actor: { user: "U0LEAD", channel: "C0X", source: "slack" },
      },
    });
    expect(handled.error).toEqual({ code: "unknown_confirmation", message: "this confirmation does not exist" });
    expect(handled.ack.text).toMatch(/this confirmation does not exist/);
    const audit = await recoveryStore.listAudit({ limit: 10, order: "asc" });
    expect(audit.map((a) => [a.action, a.outcome, a.actor])).toEqual([["approval", "refused", "U0LEAD"]]);
  });
});
