import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandFromSlashForm } from "../../src/adapters/slack/envelope.ts";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { failInterruptedJobs } from "../../src/core/incidents/interrupted-jobs.ts";
import type { CoreDeps } from "../../src/core/ports/deps.ts";
import type { JobRecord } from "../../src/core/ports/store.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { collectingLogger, seedHost, testDeps } from "../support/harness.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { slashCommandBody } from "../support/slack-signing.ts";
import { type SlackFault, SlackStandIn } from "../support/slack-standin.ts";

/**
 * Issue 15 item 5 and issue 16 item 5: Slack failing the way it does (429 with Retry-After,
 * 500/502/503 from its edge, a connection reset, ok:false for a channel the bot is not in)
 * while a triage runs, through the real Slack client against the loopback stand-in. Waits are
 * recorded at their real length and slept at 1/100 of it, so the test stays short.
 */
const BOT_TOKEN = "xoxb-hiccup-test-token";
let slack: SlackStandIn;

beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  await slack.start();
});
afterAll(() => slack.stop());

function setup(opts: { budgetMs?: number } = {}) {
  const waits: number[] = [];
  // The client's clock moves by each wait's full length, so the budget counts it in full.
  let waited = 0;
  const logger = collectingLogger();
  const store = new InMemoryStore();
  const transport = new FakeHostTransport();
  const deps: CoreDeps = testDeps({
    store,
    transport,
    chat: new SlackWebApiChat({
      token: BOT_TOKEN,
      apiUrl: slack.url,
      logger,
      retry: { budgetMs: opts.budgetMs ?? 30_000, baseDelayMs: 500 },
      now: () => Date.now() + waited,
      sleep: (ms) => {
        waits.push(ms);
        waited += ms;
        return new Promise((r) => setTimeout(r, Math.ceil(ms / 100)));
      },
    }),
    logger,
  });
  return { deps, store, transport, waits, logs: logger.lines };
}

async function enroll(ctx: ReturnType<typeof setup>, host: string) {
  await seedHost(ctx.store, host);
  ctx.transport.addHost(host, { results: healthyResults().map((result) => ({ result, delayMs: 5 })) });
}

/** A slash command as Slack sends it (form body through the real envelope converter). */
async function slash(deps: CoreDeps, text: string, channel: string, hook: string) {
  const form = new URLSearchParams(
    slashCommandBody({ text, channel_id: channel, response_url: slack.responseUrl(hook) }),
  );
  const req = commandFromSlashForm(form);
  expect(req.responseUrl).toBe(slack.responseUrl(hook));
  const reply = await handleCommand(deps, req);
  expect(reply.error).toBeUndefined();
  await reply.later?.();
  const job = reply.jobId ? await deps.store.getJob(reply.jobId) : null;
  return { reply, job: job as JobRecord };
}

function threadOf(channel: string) {
  const parents = slack.topLevel(channel);
  expect(parents).toHaveLength(1);
  return slack.thread(channel, parents[0]?.ts ?? "");
}

function expectCompleteTriage(channel: string, job: JobRecord) {
  expect(job.status).toBe("done");
  const [progress, result, ...rest] = threadOf(channel);
  expect(rest).toEqual([]);
  expect(progress?.text).toContain("finished");
  expect(progress?.text).not.toContain("running");
  expect(result?.text).toContain("Triage");
  expect(JSON.stringify(result?.blocks)).not.toContain("still running");
  expect(slack.violations).toEqual([]);
}

let firstCase = 0;

describe("a Slack hiccup on the first post does not lose the triage", () => {
  const cases: [string, SlackFault[]][] = [
    ["one 500", [{ kind: "http", status: 500 }]],
    ["one 502", [{ kind: "http", status: 502 }]],
    ["one connection reset", [{ kind: "reset" }]],
    ["five 429s", Array.from({ length: 5 }, () => ({ kind: "ratelimited", retryAfterS: 1 }) as SlackFault)],
  ];
  for (const [name, faults] of cases) {
    it(`survives ${name}: messages appear, the job is done`, async () => {
      const ctx = setup();
      await enroll(ctx, "node-3");
      const channel = `C0FIRST${++firstCase}`;
      slack.faultsServed.length = 0;
      slack.failNext("chat.postMessage", ...faults);
      const { reply, job } = await slash(ctx.deps, "triage node-3", channel, "first");
      expect(reply.ack.text).toContain("Triage of node-3 started");
      expect(slack.faultsServed).toHaveLength(faults.length);
      expect(ctx.transport.dispatched).toHaveLength(1);
      expectCompleteTriage(channel, job);
      if (faults[0]?.kind === "ratelimited") {
        // Retry-After: 1 honoured each time, not a shorter backoff.
        expect(ctx.waits).toEqual([1000, 1000, 1000, 1000, 1000]);
      }
    });
  }
});

describe("edits that fail do not decide the job's outcome", () => {
  it("a 5xx burst on chat.update still leaves the final state in place", async () => {
    const ctx = setup({ budgetMs: 2_000 });
    await enroll(ctx, "node-4");
    slack.faultsServed.length = 0;
    slack.failNext(
      "chat.update",
      ...Array.from({ length: 8 }, (_, i) => ({ kind: "http", status: i % 2 ? 502 : 503 }) as SlackFault),
    );
    const { job } = await slash(ctx.deps, "triage node-4", "C0EDITS", "edits");
    expect(slack.faultsServed).toHaveLength(8);
    expectCompleteTriage("C0EDITS", job);
    expect(job.detail).toBeNull();
  });

  it("when no edit goes through, the job still ends with the agent's outcome and the asker is told", async () => {
    const ctx = setup({ budgetMs: 1_000 });
    await enroll(ctx, "node-5");
    slack.failNext("chat.update", ...Array.from({ length: 200 }, () => ({ kind: "http", status: 503 }) as SlackFault));
    const before = slack.responses.length;
    const { job } = await slash(ctx.deps, "triage node-5", "C0NOEDIT", "noedit");
    slack.faults.delete("chat.update");
    expect(job.status).toBe("done");
    expect(job.finishedAt).not.toBeNull();
    expect(threadOf("C0NOEDIT").length).toBeGreaterThanOrEqual(2);
    // The result went out as a post (the early answer), so a failed final edit of it is said.
    const told = slack.responses.slice(before).map((r) => String(r.body.text));
    expect(job.detail).toContain("could not be posted");
    expect(told.join("\n")).toContain("finished (done), but its result could not be posted in <#C0NOEDIT>");
    expect(ctx.logs.some((l) => l.message === "final progress edit failed")).toBe(true);
    expect(slack.violations).toEqual([]);
  });
});

describe("never silent: the thread cannot be written", () => {
  it("not_in_channel: the asker hears ephemerally what failed and to invite the bot; nothing is retried or dispatched", async () => {
    const ctx = setup();
    await enroll(ctx, "node-6");
    slack.channelErrors.set("C0NOBOT", "not_in_channel");
    const before = slack.responses.length;
    const posts = slack.calls.length;
    const { reply, job } = await slash(ctx.deps, "triage node-6", "C0NOBOT", "nobot");
    expect(reply.ack.text).toContain("started");
    const told = slack.responses.slice(before);
    expect(told).toHaveLength(1);
    expect(told[0]?.path).toContain("/hooks/commands/T0001/nobot/");
    expect(told[0]?.body.response_type).toBe("ephemeral");
    const text = String(told[0]?.body.text);
    expect(text).toContain("node-6");
    expect(text).toContain("not_in_channel");
    expect(text).toContain("/invite @clawops");
    expect(text).toContain("<#C0NOBOT>");
    expect(JSON.stringify(told[0]?.body.blocks)).toContain("/invite @clawops");
    // ok:false is Slack's answer: one attempt, no waits, no job sent to the host. This channel's
    // calls: an earlier test's last edit in its own channel can land meanwhile on a loaded box.
    const here = slack.calls.slice(posts).filter((c) => c.body.channel === "C0NOBOT");
    expect(here.map((c) => c.method)).toEqual(["chat.postMessage:not_in_channel"]);
    expect(ctx.waits).toEqual([]);
    expect(ctx.transport.dispatched).toHaveLength(0);
    expect(job.status).toBe("rejected");
    expect(job.detail).toContain("not_in_channel");
    expect(job.finishedAt).not.toBeNull();
    expect(slack.violations).toEqual([]);
  });

  it("a DM the bot cannot post in (channel_not_found) says to run it in a channel", async () => {
    const ctx = setup();
    await enroll(ctx, "node-7");
    slack.channelErrors.set("D0DIRECT", "channel_not_found");
    const before = slack.responses.length;
    const { job } = await slash(ctx.deps, "triage node-7", "D0DIRECT", "dm");
    const text = String(slack.responses.slice(before)[0]?.body.text);
    expect(text).toContain("direct message");
    expect(text).toContain("/invite @clawops");
    expect(job.status).toBe("rejected");
  });

  it("an existing thread in a channel the bot was removed from: same message, job not left running", async () => {
    const ctx = setup();
    await enroll(ctx, "node-8");
    const first = await slash(ctx.deps, "triage node-8", "C0KICKED", "kick1");
    expect(first.job.status).toBe("done");
    slack.channelErrors.set("C0KICKED", "is_archived");
    const before = slack.responses.length;
    const { job } = await slash(ctx.deps, "triage node-8", "C0KICKED", "kick2");
    expect(String(slack.responses.slice(before)[0]?.body.text)).toContain("archived");
    expect(job.status).toBe("rejected");
  });

  it("Slack down past the budget: the asker is told it kept failing, the job ends rejected", async () => {
    const ctx = setup({ budgetMs: 1_500 });
    await enroll(ctx, "node-9");
    slack.failNext(
      "chat.postMessage",
      ...Array.from({ length: 50 }, () => ({ kind: "http", status: 503 }) as SlackFault),
    );
    const before = slack.responses.length;
    const { job } = await slash(ctx.deps, "triage node-9", "C0DOWN", "down");
    slack.faults.delete("chat.postMessage");
    const text = String(slack.responses.slice(before)[0]?.body.text);
    expect(text).toMatch(/failed after \d+ attempts in [\d.]+ s: HTTP 503/);
    expect(text).toContain("try again in a minute");
    expect(job.status).toBe("rejected");
    expect(ctx.transport.dispatched).toHaveLength(0);
    // Within the budget: the nominal waits sum to less than it.
    expect(ctx.waits.reduce((a, b) => a + b, 0)).toBeLessThan(1_500);
  });
});

describe("a restart loses running and queued jobs alike, each with a message in its thread", () => {
  it("a queued job (no thread of its own yet) gets the lost notice in the host's incident thread", async () => {
    const ctx = setup();
    await enroll(ctx, "node-10");
    const done = await slash(ctx.deps, "triage node-10", "C0RESTART", "r1");
    const threadTs = slack.topLevel("C0RESTART")[0]?.ts ?? "";
    const base = {
      host: "node-10",
      kind: "triage" as const,
      status: "running" as const,
      channel: "C0RESTART",
      user: "U1",
      progressTs: null,
      resultTs: null,
      createdAt: Date.now(),
      finishedAt: null,
      results: [],
      detail: null,
    };
    await ctx.store.createJob({ ...base, id: "job_running", requestKey: "k-run", threadTs });
    await ctx.store.createJob({ ...base, id: "job_queued", requestKey: "k-queued", threadTs: null });
    await ctx.store.createJob({
      ...base,
      id: "job_elsewhere",
      requestKey: "k-else",
      threadTs: null,
      channel: "C0FRESH",
    });
    expect(await failInterruptedJobs(ctx.deps)).toBe(3);
    const notices = threadOf("C0RESTART").filter((m) => m.text.includes("was lost"));
    expect(notices.map((m) => m.text.match(/job_\w+/)?.[0])).toEqual(["job_running", "job_queued"]);
    expect(notices[1]?.text).toContain("waited for its turn");
    // A queued job in a channel with no thread yet opens one there.
    expect(threadOf("C0FRESH").map((m) => m.text.match(/job_\w+/)?.[0])).toEqual(["job_elsewhere"]);
    for (const id of ["job_running", "job_queued", "job_elsewhere"])
      expect((await ctx.store.getJob(id))?.status).toBe("lost");
    expect(done.job.status).toBe("done");
    expect(slack.violations).toEqual([]);
  });
});
