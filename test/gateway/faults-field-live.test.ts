import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { resetVitalSamples } from "../../src/agent/probes/vital-samples.ts";
import {
  type StepName,
  type StepResult,
  type StepResultOf,
  stepPlan,
  TRIAGE_STEP_NAMES,
} from "../../src/contract/catalog.ts";
import { type Classification, classifyResults } from "../../src/core/classify/classify.ts";
import type { FleetEvidence } from "../../src/core/classify/evidence.ts";
import { FIELD_CHANNEL_RULES } from "../../src/core/classify/rules-field-channels.ts";
import { FIELD_MODEL_RULES } from "../../src/core/classify/rules-field-models.ts";
import { FIELD_PROCESS_RULES } from "../../src/core/classify/rules-field-process.ts";
import { sharedCredentials, watchAttributes } from "../../src/core/hosts/watch-attributes.ts";
import type { WatchRecord } from "../../src/core/ports/watch-record.ts";
import { sharedGateway } from "../support/gateway/control.ts";
import { labProbeContext } from "../support/gateway/lab-triage.ts";
import { startTelegramStandIn, type TelegramStandIn } from "../support/telegram-standin.ts";
import { until } from "../support/until.ts";

/**
 * Issue 30's field failures on the real gateway, every one live on the running gateway (one
 * restart, to clear the Telegram account's runtime state and log lines for the files after this one): the agent's vitals, locks and log attribution read from it; the operator's
 * own `openclaw gateway probe` running beside it; a write lock a dead process left in its state
 * dir; its event loop held with SIGSTOP; a Telegram account (the gateway's own Telegram plugin) against a Bot API stand-in that answers
 * 409 like Telegram does to a second poller. Each test puts the gateway back.
 */
const gw = sharedGateway();
const FIELD_IDS = new Set([...FIELD_CHANNEL_RULES, ...FIELD_MODEL_RULES, ...FIELD_PROCESS_RULES].map((r) => r.id));
const BOT_TOKEN = "7000001:AAHlabFakeTokenForClawopsTests0123456";
let originalConfig: string;

const ctx = () => labProbeContext(gw);

async function probe(steps: StepName[], fleet?: FleetEvidence): Promise<{ c: Classification; results: StepResult[] }> {
  const results = await runSteps(ctx(), stepPlan(steps as never), { deadlineMs: 30_000 });
  const text = JSON.stringify(results);
  expect(text).not.toContain(gw.token);
  expect(text).not.toContain(BOT_TOKEN);
  return { c: classifyResults(results, steps, undefined, fleet ? { fleet } : {}), results };
}

const triage = (fleet?: FleetEvidence) => probe([...TRIAGE_STEP_NAMES], fleet);

function data<N extends StepName>(results: StepResult[], name: N): NonNullable<StepResultOf<N>["data"]> {
  const r = results.find((x): x is StepResultOf<N> => x.step === name);
  if (!r?.data) throw new Error(`no ${name}: ${JSON.stringify(r)}`);
  return r.data as NonNullable<StepResultOf<N>["data"]>;
}

const fieldFindings = (c: Classification) => c.findings.filter((f) => FIELD_IDS.has(f.id));

async function readyzOk(): Promise<boolean> {
  return fetch(`${gw.httpUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.status === 200,
    () => false,
  );
}

async function writeConfig(change: (config: Record<string, unknown>) => void): Promise<void> {
  const config = JSON5.parse(await readFile(gw.configPath, "utf8")) as Record<string, unknown>;
  change(config);
  await writeFile(gw.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

beforeAll(async () => {
  originalConfig = await readFile(gw.configPath, "utf8");
  await gw.restoreHealthy();
}, 420_000);

// Left stopped, its config file put back: the Telegram account's runtime state and plugin stay in
// a running gateway, and its 409 lines are in the shared log since the last start. The next file's
// start (test/support/gateway/control.ts, `gatewayAtFileStart`) gives it a gateway without either;
// and when this file is its lane's last (`gateway-b` in a clean clone), no start is spent on it.
afterAll(async () => {
  await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
  await gw.stop();
}, 420_000);

describe("live faults on the running gateway", () => {
  it("healthy: vitals, locks and log attribution are read from the real gateway, and say nothing is wrong", async () => {
    resetVitalSamples();
    const { pid } = await gw.state();
    await triage();
    const { c, results } = await triage();
    const locks = data(results, "state.locks");
    expect(locks.gatewayLocks, JSON.stringify(locks)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "config", pid, owner: "alive", heldOpen: true, port: gw.port }),
      ]),
    );
    expect(locks.writeLocks).toEqual([]);
    const v = data(results, "gateway.vitals");
    expect(v.pid).toBe(pid);
    expect(v.memory?.rssBytes).toBeGreaterThan(200 * 1024 ** 2);
    expect(v.memory?.rssBytes).toBeLessThan(4 * 1024 ** 3);
    // The heap comes from the gateway's own status RPC (processMemory.heapUsedBytes), sampled by the first triage.
    expect(v.memory?.heapUsedBytes).toBeGreaterThan(10 * 1024 ** 2);
    // Its /readyz round trip and verdict (a busy host may have missed the first triage's sample).
    expect(v.responsiveness).toMatchObject({ gatewayDegraded: expect.any(Boolean), slowStreak: 0 });
    expect(v.responsiveness?.samples).toBeGreaterThanOrEqual(1);
    expect(data(results, "logs.signatures").attribution?.verdict).toBe("configured");
    expect(fieldFindings(c)).toEqual([]);
  }, 240_000);

  it("the operator runs `openclaw gateway probe`: a second openclaw-gateway process for seconds, not a second gateway", async () => {
    const { pid } = await gw.state();
    const cli = spawn(gw.openclawBin, ["gateway", "probe"], { env: { ...process.env, ...gw.env }, stdio: "ignore" });
    const exited = new Promise<void>((resolve) => cli.on("exit", () => resolve()));
    try {
      const seen = await until(
        "the CLI titled openclaw-gateway beside the gateway",
        60_000,
        async () => {
          const { c, results } = await probe(["port.listeners", "config"]);
          const pl = data(results, "port.listeners");
          const cliProcess = pl.gatewayProcesses.find((p) => p.pid !== pid && p.servesThisConfig);
          return cliProcess ? { c, cliProcess } : null;
        },
        200,
      );
      expect(seen.cliProcess.serving).toBe(false);
      expect(seen.c.findings.map((f) => f.id)).not.toContain("dual-gateway-process");
      expect(seen.c.matrix.process.status).toBe("ok");
      expect(seen.c.matrix.process.reason).toContain(
        `pid ${seen.cliProcess.pid} holds no gateway lock and no port: an \`openclaw gateway …\` command or a gateway still loading`,
      );
    } finally {
      // Seen is enough: the CLI's probe takes seconds more on a busy host.
      cli.kill("SIGTERM");
      await exited;
    }
  }, 240_000);

  it("a session transcript lock left by a process that is gone → stale-write-lock", async () => {
    const sessions = join(gw.env.OPENCLAW_STATE_DIR, "agents", "main", "sessions");
    const lock = join(sessions, "clawops-test-5f2c9d1e.jsonl.lock");
    await mkdir(sessions, { recursive: true });
    // fs-safe's sidecar payload, {pid, createdAt}; pid 4194303 is above any pid this host hands out.
    await writeFile(lock, JSON.stringify({ pid: 4_194_303, createdAt: "2026-11-24T10:20:00.000Z" }));
    try {
      const { c } = await probe(["state.locks", "port.listeners", "config"]);
      const f = c.findings.find((x) => x.id === "stale-write-lock");
      expect(f?.evidence[0]).toBe(
        "agents/main/sessions/clawops-test-5f2c9d1e.jsonl.lock: owner pid 4194303 is gone (session transcript lock), written 2026-11-24T10:20:00.000Z",
      );
    } finally {
      await rm(lock, { force: true });
    }
  }, 120_000);

  it("its event loop held still (SIGSTOP) through two probes → event-loop-starved; resumed, the finding goes", async () => {
    resetVitalSamples();
    const { pid } = await gw.state();
    if (!pid) throw new Error("gateway not running");
    const quick = () => probe(["gateway.vitals", "port.listeners", "config"]);
    for (let i = 0; i < 3; i++) await quick();
    // Each probe waits for /readyz within its own budget (about 1.5 s): held 2.5 s, the gateway
    // answers none of it, as a gateway whose event loop is blocked answers nobody.
    const held = async () => {
      process.kill(pid, "SIGSTOP");
      try {
        const [answer] = await Promise.all([quick(), new Promise((r) => setTimeout(r, 2_500))]);
        return answer;
      } finally {
        process.kill(pid, "SIGCONT");
      }
    };
    await held();
    const starved = await held();
    const r = data(starved.results, "gateway.vitals").responsiveness;
    expect(r?.slowStreak, JSON.stringify(r)).toBe(2);
    const f = starved.c.findings.find((x) => x.id === "event-loop-starved");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toMatch(
      /^clawops → \/readyz: 1\d{3} ms now, 2 probes in a row slow; usual \d+ ms \(median of 3\)$/,
    );
    expect(f?.evidence[1]).toBe("the gateway's own event-loop verdict: not in its /readyz answer");
    await until("the gateway answers again", 30_000, readyzOk, 500);
    const resumed = await quick();
    expect(data(resumed.results, "gateway.vitals").responsiveness?.slowStreak).toBe(0);
    expect(resumed.c.findings.map((x) => x.id)).not.toContain("event-loop-starved");
  }, 240_000);
});

describe("a Telegram account on the gateway's own Telegram plugin, against a Bot API stand-in", () => {
  let telegram: TelegramStandIn;

  beforeAll(async () => {
    telegram = await startTelegramStandIn(BOT_TOKEN);
    await writeConfig((config) => {
      config.channels = {
        telegram: { enabled: true, botToken: BOT_TOKEN, apiRoot: telegram.url, dmPolicy: "pairing" },
      };
    });
    // The gateway loads its Telegram plugin for it (a hot reload, or its own in-process restart) and starts polling.
    await until(
      "the gateway's Telegram poller long-polling the stand-in",
      240_000,
      () => telegram.calls.some((x) => x.method === "getUpdates" && x.status === 200),
      1_000,
    );
    await until("the gateway ready", 60_000, readyzOk, 500);
  }, 300_000);

  afterAll(async () => {
    // The config is put back and the gateway stopped by the file's afterAll.
    await telegram?.close();
  }, 420_000);

  it("polling: connected, its bot token fingerprinted (never sent), no channel finding", async () => {
    const { c, results } = await triage();
    const account = data(results, "gateway.ws").channelsRpc?.accounts?.find((a) => a.channel === "telegram");
    expect(account).toMatchObject({ accountId: "default", connected: true, mode: "polling", transportIdleMin: 0 });
    const fingerprint = `sha256:${createHash("sha256").update(BOT_TOKEN).digest("hex").slice(0, 12)}`;
    expect(data(results, "gateway.vitals").channelCredentials).toEqual([
      { channel: "telegram", accountId: "default", setting: "botToken", fingerprint },
    ]);
    expect(watchAttributes(results)?.channelCredentials).toEqual([`telegram/default ${fingerprint}`]);
    expect(c.findings.filter((f) => f.layer === "channels")).toEqual([]);
    expect(telegram.violations).toEqual([]);
  }, 120_000);

  it("a second poller of the bot (409 Conflict) → duplicate-poller, and the same token on another host is named", async () => {
    telegram.setMode("conflict");
    const fileLog = join(gw.labDir, "logs", "openclaw-file.log");
    // The poller's current long poll ends within its 25 s hold; the next one gets the 409.
    await until(
      "the gateway's 'getUpdates conflict' line",
      120_000,
      async () => (await readFile(fileLog, "utf8")).includes("Telegram getUpdates conflict"),
      1_000,
    );
    const first = await triage();
    const own = data(first.results, "gateway.vitals").channelCredentials;
    const other: WatchRecord = {
      host: "node-7",
      last: {
        at: 1,
        seq: 1,
        hash: "h",
        healthy: true,
        layers: {},
        findingIds: [],
        reason: "ok",
        falseGreen: null,
        attributes: watchAttributes(first.results) ?? {},
      },
      run: { healthy: true, since: 1, count: 1 },
      held: null,
      failingSince: null,
      reportedAt: 1,
      stale: null,
      flap: null,
    };
    const { c } = await triage(sharedCredentials("node-3", own, [other]));
    const dup = c.findings.find((f) => f.id === "duplicate-poller");
    expect(dup?.severity).toBe("fail");
    expect(dup?.evidence[0]).toMatch(/: \d+ "telegram-getupdates-conflict" lines?, newest /);
    expect(dup?.evidence.some((l) => l.includes("terminated by other getUpdates request"))).toBe(true);
    expect(dup?.evidence).toContain(
      `telegram/default ${own[0]?.fingerprint} is also configured on node-7 (by fingerprint)`,
    );
    expect(c.findings.find((f) => f.id === "bot-token-on-several-hosts")?.evidence).toEqual([
      `telegram/default: credential ${own[0]?.fingerprint} also configured on node-7`,
    ]);
    expect(c.matrix.channels.status).toBe("fail");
    telegram.setMode("ok");
  }, 240_000);
});
