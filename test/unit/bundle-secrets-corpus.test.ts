import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { secondScan } from "../../src/core/bundles/second-scan.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { capabilityOn } from "../../src/core/ports/deps.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../../src/core/ports/transport.ts";
import { SqliteStore } from "../../src/node/sqlite-store.ts";
import { type BundleStandIns, startBundleStandIns } from "../support/bundle-standins.ts";
import { collectingLogger, seedHost, testDeps } from "../support/harness.ts";
import { KINDS, type Planted, plantCorpus, SOURCES } from "../support/secret-corpus.ts";
import type { SlackStandIn } from "../support/slack-standin.ts";
import type { GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";

/**
 * Issue 15, item 3: 7 of 51 planted secrets reached bundles. Here every kind of the corpus
 * (test/support/secret-corpus.ts, random bodies made now) is planted once in each source
 * `bundle.collect` and the triage probes read (config with its `env` block, the `.env`
 * OpenClaw loads, the gateway log, CLI output, the agent's process environment); the real
 * probes collect on the lab host, the control plane scans, packs, posts to the Slack stand-in
 * and attaches to Jira/GitHub stand-ins. Not one secret, nor a piece of one, may show in the
 * zip, a Slack call, a ticket, a log line or the SQLite database.
 */
const BOT_TOKEN = "xoxb-test-bot-token-0000";
const GATEWAY_TOKEN = `gw-${crypto.randomUUID()}`;

let work: string;
let env: Record<string, string>;
let planted: Planted[];
let standIns: BundleStandIns;
let slack: SlackStandIn;
let jira: JiraStandIn;
let github: GithubStandIn;

/** Process-environment names the bundle shows (env.txt lists OpenClaw-related variables only). */
const envName = (name: string) => (/^(?:OPENCLAW_|ANTHROPIC_|OPENAI_|SLACK_)/.test(name) ? name : `OPENCLAW_${name}`);

function dotenvLine(p: Planted): string {
  return p.value.includes("\n") ? `${p.name}="${p.value}"` : `${p.name}=${p.value}`;
}

async function makeCorpusLab(): Promise<void> {
  work = await mkdtemp(join(tmpdir(), "clawops-corpus-"));
  const state = join(work, "state");
  await mkdir(state, { recursive: true });
  const from = (s: string) => planted.filter((p) => p.source === s);
  const logPath = join(work, "openclaw.log");
  await writeFile(
    join(state, "openclaw.json"),
    JSON.stringify(
      {
        gateway: { mode: "local", port: 1, auth: { mode: "token", token: GATEWAY_TOKEN } },
        env: Object.fromEntries(from("config").map((p) => [p.name, p.value])),
        logging: { file: logPath },
        agents: { defaults: { workspace: join(work, "ws") } },
      },
      null,
      2,
    ),
  );
  await writeFile(join(state, ".env"), `# OpenClaw env\n${from("dotenv").map(dotenvLine).join("\n")}\n`);
  const logLines = [
    "2026-11-22T09:00:00.000Z [gateway] loading configuration…",
    "2026-11-22T09:00:07.000Z [gateway] ready",
    ...from("log").map((p, i) => `2026-11-22T09:01:${String(i).padStart(2, "0")}.000Z [plugins] ${p.line}`),
    "2026-11-22T09:05:00.000Z [ws] gateway closed (1000) session=agent:main:s42",
  ];
  await writeFile(logPath, `${logLines.join("\n")}\n`);
  await writeFile(
    join(work, "status-all.txt"),
    `Gateway  ws://127.0.0.1:1\n${from("cli")
      .map((p) => p.line)
      .join("\n")}\n`,
  );
  const bin = join(work, "openclaw");
  await writeFile(
    bin,
    `#!/bin/sh
case "$*" in
  "--version") echo "OpenClaw 2026.9.6 (eb377ac)" ;;
  "status --all") cat "${join(work, "status-all.txt")}" ;;
  "gateway status --json") echo '{"service":{"label":"openclaw-gateway"}}' ;;
  "doctor --lint --json") echo '{"ok":true,"findings":[]}' ;;
  *) echo "unknown $*" >&2; exit 2 ;;
esac
`,
  );
  await chmod(bin, 0o755);
  env = {
    HOME: work,
    PATH: process.env.PATH ?? "",
    OPENCLAW_STATE_DIR: state,
    OPENCLAW_GATEWAY_TOKEN: GATEWAY_TOKEN,
    CLAWOPS_OPENCLAW_BIN: bin,
    ...Object.fromEntries(from("env").map((p) => [envName(p.name), p.value])),
  };
}

class LabTransport implements HostTransport {
  async isOnline(): Promise<boolean> {
    return true;
  }
  async dispatch(_host: string, job: JobSpec, onProgress: (r: StepResult) => void): Promise<JobOutcome> {
    const ctx = resolveProbeContext(env, {
      procRoot: join(work, "no-proc"),
      serviceUnitDirs: [],
      gatewayPortOverride: 1,
    });
    return {
      status: "done",
      results: await runSteps(ctx, job.steps, { deadlineMs: job.deadlineMs, onResult: onProgress }),
    };
  }
}

beforeAll(async () => {
  planted = plantCorpus();
  await makeCorpusLab();
  standIns = await startBundleStandIns(BOT_TOKEN);
  ({ slack, jira, github } = standIns);
});

afterAll(async () => {
  await standIns.stop();
  await rm(work, { recursive: true, force: true });
});

/** Which planted secrets (whole or any needle) show in `text`. */
function leaks(text: string): string[] {
  return planted
    .filter((p) => text.includes(p.value) || p.needles.some((n) => text.includes(n)))
    .map((p) => `${p.kind} (planted in ${p.source})`);
}

describe("planted-secrets corpus through a whole bundle", () => {
  it("has at least 100 secrets of at least 20 kinds in every source", () => {
    expect(planted.length).toBeGreaterThanOrEqual(100);
    expect(new Set(planted.map((p) => p.kind)).size).toBeGreaterThanOrEqual(20);
    for (const s of SOURCES) expect(planted.filter((p) => p.source === s)).toHaveLength(KINDS.length);
    // The needles are random and long enough never to occur by chance.
    for (const p of planted) for (const n of p.needles) expect(n.length).toBeGreaterThanOrEqual(10);
    // The leak check sees every planted secret where it is (so "0 found" below means something).
    expect(leaks(planted.map((p) => p.line).join("\n"))).toHaveLength(planted.length);
  });

  it("0 reach the zip, Slack, a ticket, the log or the database; the bundle is stored, not refused", async () => {
    const logger = collectingLogger();
    const dbPath = join(work, "data", "clawops.sqlite");
    const store = new SqliteStore(dbPath);
    let n = 0;
    const deps = testDeps({
      store,
      transport: new LabTransport(),
      chat: new SlackWebApiChat({ token: BOT_TOKEN, apiUrl: slack.url, logger }),
      ids: { id: (p) => `${p}_${(++n).toString().padStart(6, "0")}` },
      logger,
      bundles: capabilityOn(standIns.services()),
    });
    await seedHost(store, "lab-1");
    const reply = await handleCommand(deps, {
      text: "bundle lab-1 --ticket OPS-12 --ticket acme/infra#7",
      user: "U123",
      channel: "C1",
      requestKey: "corpus-1",
      source: "slack",
    });
    expect(reply.error).toBeUndefined();
    await reply.later?.();

    // Stored and delivered: a refused bundle would leak nothing and prove nothing.
    const upload = [...slack.uploads.values()][0];
    const zip = upload?.bytes as Uint8Array;
    expect(zip, JSON.stringify(slack.calls.map((c) => c.body)).slice(-1_500)).toBeTruthy();
    expect(jira.attachments).toHaveLength(1);
    expect(github.comments).toHaveLength(1);
    const files = Object.fromEntries(Object.entries(unzipSync(zip)).map(([k, v]) => [k, strFromU8(v)]));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(["config/openclaw.json", "config/dotenv.txt", "env.txt", "cli/status-all.txt"]),
    );
    // Each source really reached the bundle, its names kept, its values gone.
    for (const p of planted.filter((q) => q.source === "dotenv")) expect(files["config/dotenv.txt"]).toContain(p.name);
    for (const p of planted.filter((q) => q.source === "env")) expect(files["env.txt"]).toContain(envName(p.name));
    for (const p of planted.filter((q) => q.source === "config"))
      expect(files["config/openclaw.json"]).toContain(p.name);
    const report = JSON.parse(files["redaction-report.json"] ?? "{}");
    expect(report.total).toBeGreaterThanOrEqual(planted.length - KINDS.length);
    expect(report.secondScan).toMatchObject({ findings: 0, rules: expect.stringContaining("secretlint") });

    store.close();
    const db = (await readdir(join(work, "data"))).map((f) => readFile(join(work, "data", f), "latin1"));
    const haystacks: Record<string, string> = {
      ...files,
      "slack calls": JSON.stringify(slack.calls),
      "slack upload": strFromU8(zip, true),
      jira: jira.allText(),
      github: github.allText(),
      "control-plane log": logger.text(),
      database: (await Promise.all(db)).join("\n"),
    };
    const found = Object.entries(haystacks).flatMap(([where, text]) => leaks(text).map((l) => `${l} in ${where}`));
    expect(found).toEqual([]);
    const summary = slack.calls.map((c) => JSON.stringify(c.body)).find((b) => b.includes("Repro bundle")) ?? "";
    expect(summary).toContain("second scan (secretlint recommended preset");
    expect(summary).not.toContain("second scan clean");
  }, 60_000);
});

describe("the second scan alone, on the secrets as planted (no host redaction)", () => {
  it("flags every kind in every text form: a host that missed one would get the bundle refused", async () => {
    const missed: string[] = [];
    for (const p of planted.filter((q) => q.source === "log" || q.source === "cli")) {
      const scan = await secondScan([{ where: "f", text: p.line }]);
      if (scan.hits.length === 0) missed.push(`${p.kind}: line`);
    }
    for (const p of planted.filter((q) => q.source === "dotenv")) {
      const scan = await secondScan([{ where: "f", text: `${dotenvLine(p)}\n` }]);
      if (scan.hits.length === 0) missed.push(`${p.kind}: .env`);
    }
    for (const p of planted.filter((q) => q.source === "config")) {
      const scan = await secondScan([{ where: "f", text: JSON.stringify({ env: { [p.name]: p.value } }, null, 2) }]);
      if (scan.hits.length === 0) missed.push(`${p.kind}: config env block`);
    }
    expect(missed).toEqual([]);
  });

  it("a `secretlint-disable` line in gateway output switches no rule off", async () => {
    const stripe = planted.find((p) => p.kind === "stripe-secret-key")?.value ?? "";
    const scan = await secondScan([{ where: "log", text: `// secretlint-disable\nbilling ${stripe}\n` }]);
    expect(scan.hits.map((h) => h.kind)).toContain("rule-stripe");
  });
});
