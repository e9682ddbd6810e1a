import { generateKeyPairSync } from "node:crypto";
import { appendFile, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsoleChat } from "../../src/adapters/console/feed.ts";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import { AgentConnection, type JobRunner } from "../../src/agent/connection.ts";
import type { AgentIdentity } from "../../src/agent/identity.ts";
import { createJobRunner } from "../../src/agent/job-runner.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { enrollHost, issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import { HubSession } from "../../src/core/hub/hub-session.ts";
import type { ChatPort } from "../../src/core/ports/chat.ts";
import { capabilityOn } from "../../src/core/ports/deps.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { type BundleLab, makeBundleLab } from "../support/bundle-lab.ts";
import { type BundleStandIns, startBundleStandIns } from "../support/bundle-standins.ts";
import { inMemoryDial } from "../support/frame-pair.ts";
import { type CollectingLogger, collectingLogger, quietLogger, testDeps, until } from "../support/harness.ts";
import { leaked, type Planted, plantedCorpus } from "../support/planted-secrets.ts";
import type { SlackStandIn } from "../support/slack-standin.ts";
import type { GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";

/**
 * Issue 32, item 1: the planted-secret corpus (test/support/planted-secrets.ts, 194 entries)
 * through every sink a person or a disk sees: the Slack thread, the console's feed, the SQLite
 * database, the control plane's log, the bundle (Slack upload, Jira attachment, GitHub
 * comment). The control plane runs in process with the real hub session and the real agent
 * connection code over an in-memory frame pair, the real SQLite store, the Slack and ticket
 * stand-ins. Two agents: the real one (its probes and redactor on a lab host whose log holds
 * every planted line), and one that redacts nothing (every step's error message is the
 * corpus), so the control plane's second scan alone must hold. 0 may leak either way.
 */
const BOT_TOKEN = "xoxb-test-bot-token-0000";
const corpus = plantedCorpus();

let lab: BundleLab;
let standIns: BundleStandIns;
let slack: SlackStandIn;
let jira: JiraStandIn;
let github: GithubStandIn;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  lab = await makeBundleLab();
  // Every planted line in the gateway's log, between the lines the lab's triage keys on.
  await appendFile(
    lab.logPath,
    `${corpus.map((p, i) => `2026-11-22T09:06:${String(i % 60).padStart(2, "0")}.000Z [plugins] ${p.text}`).join("\n")}\n`,
  );
  // Issue 44: the values no name gives away also sit where OpenClaw keeps them, in a plugin's
  // config and a skill's env in openclaw.json, which the bundle carries.
  const configPath = join(lab.env.OPENCLAW_STATE_DIR ?? "", "openclaw.json");
  const config = JSON.parse(await readFile(configPath, "utf8"));
  const plantedAs = (form: string) => corpus.find((p) => p.form === form)?.value ?? "";
  config.plugins = {
    entries: {
      "acme-hooks": {
        enabled: true,
        config: {
          endpoint: "https://hooks.acme.example/in",
          hmac: plantedAs("plugin config hmac (openclaw.json)"),
          shared: plantedAs("plugin config, a name that says nothing"),
          signing: plantedAs("plugin config hmac in hex (.env)"),
        },
      },
    },
  };
  config.skills = {
    entries: {
      "acme-lookup": { enabled: true, env: { ACME_LICENSE: plantedAs("skill env without a credential word (.env)") } },
    },
  };
  await writeFile(configPath, JSON.stringify(config));
  standIns = await startBundleStandIns(BOT_TOKEN);
  ({ slack, jira, github } = standIns);
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

afterAll(async () => {
  await standIns?.stop();
  if (lab) await rm(lab.dir, { recursive: true, force: true });
});

/** An agent that sends every planted line back as each step's error, unredacted. */
const leakyRunner: JobRunner = {
  async run(job, onResult) {
    const out = job.steps.map(
      (s) =>
        ({
          step: s.step,
          status: "error",
          durationMs: 1,
          error: { code: "EXEC_FAILED", message: corpus.map((p) => p.text).join("\n") },
        }) as StepResult,
    );
    for (const r of out) onResult(r);
    return out;
  },
};

function newIdentity(): AgentIdentity {
  const { privateKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey: (privateKey.export({ format: "jwk" }) as { x: string }).x };
}

/** A control plane in process (its data folder under the lab) with one agent online. */
async function controlPlane(name: string, runner: JobRunner, chatOf: (store: SqliteStore) => ChatPort) {
  const logger: CollectingLogger = collectingLogger();
  const dataDir = join(lab.dir, `data-${name}`);
  const store = new SqliteStore(join(dataDir, "clawops.sqlite"));
  const clock = { now: () => Date.now() };
  const session = new HubSession({
    store,
    clock,
    logger,
    heartbeatMs: 60_000,
    handshakeTimeoutMs: 10_000,
    deadlineGraceMs: 0,
  });
  const identity = newIdentity();
  const { code } = await issueEnrollmentCode({ store, clock }, "lab-1");
  await enrollHost({ store, clock }, { code, host: "lab-1", publicKey: identity.publicKey });
  const agent = new AgentConnection({
    server: "https://clawops.test",
    host: "lab-1",
    identity,
    agentVersion: "9.9.9-test",
    gatewayVersion: () => "2026.9.6",
    runner,
    logger: quietLogger,
    backoff: { baseMs: 60_000, maxMs: 60_000 },
    dial: inMemoryDial(session).dial,
  });
  agent.start();
  stops.push(() => store.close());
  stops.push(() => agent.stop());
  await until("the agent online", 10_000, () => session.isOnline("lab-1"));
  let n = 0;
  const deps = testDeps({
    store,
    transport: session,
    chat: chatOf(store),
    clock,
    ids: { id: (p) => `${p}_${name}${String(++n).padStart(6, "0")}` },
    logger,
    bundles: capabilityOn(standIns.services()),
  });
  const run = async (text: string) => {
    const reply = await handleCommand(deps, {
      text,
      user: "U123",
      channel: "C1",
      requestKey: `${name}-${++n}`,
      source: "slack",
    });
    expect(reply.error).toBeUndefined();
    await reply.later?.();
  };
  /** Every sink's text: the database file (closed first) and the log; the caller adds its chat's. */
  const sinks = async (): Promise<Record<string, string>> => {
    const consoleFeed = JSON.stringify(await store.since(0, 10_000));
    store.close();
    const files = await readdir(dataDir);
    const db = await Promise.all(files.map((f) => readFile(join(dataDir, f), "latin1")));
    return {
      console: consoleFeed,
      database: db.join("\n"),
      "control-plane log": logger.text(),
    };
  };
  return { run, sinks };
}

/** Bundle bytes and ticket text added since `from` (Slack upload, Jira attachment, GitHub comment). */
function bundleSinks(uploadsBefore: number): Record<string, string> {
  const out: Record<string, string> = { jira: jira.allText(), github: github.allText() };
  for (const upload of [...slack.uploads.values()].slice(uploadsBefore)) {
    const zip = upload.bytes as Uint8Array;
    out["slack upload"] = strFromU8(zip, true);
    for (const [file, bytes] of Object.entries(unzipSync(zip))) out[`zip ${file}`] = strFromU8(bytes);
  }
  return out;
}

function leaksIn(haystacks: Record<string, string>): string[] {
  return Object.entries(haystacks).flatMap(([where, text]) =>
    corpus.filter((p: Planted) => leaked(p, text)).map((p) => `${p.form} in ${where}`),
  );
}

describe("planted-secret corpus through every sink", () => {
  it("the leak check sees every value where it is planted (so 0 below means something)", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    expect(leaksIn({ raw: corpus.map((p) => p.text).join("\n") })).toHaveLength(corpus.length);
  });

  it("the real agent on a lab host: triage and bundle to Slack and tickets, 0 leak", async () => {
    const cp = await controlPlane(
      "real",
      createJobRunner(lab.env),
      () => new SlackWebApiChat({ token: BOT_TOKEN, apiUrl: slack.url, logger: collectingLogger() }),
    );
    const calls = slack.calls.length;
    const uploads = slack.uploads.size;
    await cp.run("triage lab-1");
    await cp.run("bundle lab-1 --ticket OPS-12 --ticket acme/infra#7");
    const slackText = JSON.stringify(slack.calls.slice(calls));
    // The thread and the bundle really carry what the host sent (its log, redacted).
    expect(slackText).toContain("lab-1");
    expect(slack.uploads.size).toBe(uploads + 1);
    const haystacks = { "slack thread": slackText, ...bundleSinks(uploads), ...(await cp.sinks()) };
    // The planted lines reached the bundle and the tickets (forms only the corpus has, redacted).
    const zipText = Object.entries(haystacks)
      .filter(([k]) => k.startsWith("zip "))
      .map(([, v]) => v)
      .join("\n");
    expect(zipText).toContain("[REDACTED:url-encoded]");
    expect(zipText).toContain("[REDACTED:telegram-bot-token]");
    // The plugin's and skill's config went out, its values judged by where they sit (issue 44).
    expect(zipText).toContain("https://hooks.acme.example/in");
    expect(zipText).toContain("[REDACTED:secret-place]");
    expect(jira.attachments.length).toBeGreaterThan(0);
    expect(github.comments.length).toBeGreaterThan(0);
    expect(leaksIn(haystacks)).toEqual([]);
  }, 60_000);

  it("an agent that redacts nothing, to Slack: the control plane's scan alone lets 0 out", async () => {
    const cp = await controlPlane(
      "leaky-slack",
      leakyRunner,
      () => new SlackWebApiChat({ token: BOT_TOKEN, apiUrl: slack.url, logger: collectingLogger() }),
    );
    const calls = slack.calls.length;
    await cp.run("triage lab-1");
    const slackText = JSON.stringify(slack.calls.slice(calls));
    const haystacks: Record<string, string> = { "slack thread": slackText, ...(await cp.sinks()) };
    // The errors reached the thread and the database, scrubbed (a removed scan leaks here).
    expect(slackText).toContain("[REDACTED:cp-");
    expect(haystacks.database).toContain("[REDACTED:cp-");
    expect(leaksIn(haystacks)).toEqual([]);
  }, 60_000);

  it("an agent that redacts nothing, to the console: 0 in the feed, the database or the log", async () => {
    const cp = await controlPlane("leaky-console", leakyRunner, (store) => new ConsoleChat(store, { now: Date.now }));
    await cp.run("triage lab-1");
    const haystacks = await cp.sinks();
    expect(haystacks.console).toContain("[REDACTED:cp-");
    expect(leaksIn(haystacks)).toEqual([]);
  }, 60_000);
});
