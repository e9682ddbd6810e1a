import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackCallError } from "../../src/adapters/slack/client.ts";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import { jsonLogger } from "../../src/agent/log.ts";
import { TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";
import { METRIC_CATALOG } from "../../src/core/ports/metrics.ts";
import { createLogger, REDACT_PATHS } from "../../src/node/logger.ts";
import { PromMetrics } from "../../src/node/metrics.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { collectingLogger, quietLogger } from "../support/harness.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";
import { Scrape, scrape } from "../support/prometheus.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * Monitoring as an SRE meets it: Prometheus scrapes /metrics of a control plane started as
 * `npm start` runs it (a real agent process triages through it), an orchestrator asks /livez
 * and /readyz, and the logs honour LOG_LEVEL and never carry a secret.
 */
const TOKEN = "metrics-test-token-7f3a9c2e41b8";
const HOST = "metrics-host";
const MAIN = fileURLToPath(new URL("../../src/node/main.ts", import.meta.url));
const REFUSAL_BOUND_MS = 60_000;

async function command(cp: ControlPlaneProcess, text: string): Promise<{ error?: { code: string } | null }> {
  const res = await fetch(`${cp.url}/api/console/command`, {
    method: "POST",
    headers: { "content-type": "application/json", ...cp.consoleHeaders() },
    body: JSON.stringify({ text }),
  });
  return (await res.json()) as { error?: { code: string } | null };
}

/** Scrapes until `done` holds (the job runs after the command's ack); fails with the last scrape. */
async function scrapeUntil(url: string, done: (s: Scrape) => boolean, what: string): Promise<Scrape> {
  const end = Date.now() + 60_000;
  let last = await scrape(url, TOKEN);
  while (!done(last)) {
    if (Date.now() > end) throw new Error(`${what} never showed in /metrics`);
    await new Promise((r) => setTimeout(r, 200));
    last = await scrape(url, TOKEN);
  }
  return last;
}

describe("/metrics of a control plane started as npm start runs it, after a real triage", () => {
  let cp: ControlPlaneProcess;
  let agent: AgentProcess;
  let agentDir: string;
  let home: string;

  beforeAll(async () => {
    cp = await spawnControlPlane({ CLAWOPS_METRICS_TOKEN: TOKEN });
    // An agent on a host with no gateway and no openclaw CLI: every probe runs and reports.
    home = mkdtempSync(join(tmpdir(), "clawops-metrics-home-"));
    const env = {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: home,
      OPENCLAW_CONFIG_PATH: join(home, "missing", "openclaw.json"),
      OPENCLAW_GATEWAY_PORT: "1",
      CLAWOPS_GATEWAY_PORT: "1",
    };
    agentDir = await enrollAgent({ server: cp.url, host: HOST, code: await cp.enrollmentCode(HOST), env });
    agent = runAgent({ dir: agentDir, env });
    await scrapeUntil(cp.url, (s) => s.value("clawops_agents_connected") === 1, "the agent's connection");
  }, 60_000);

  afterAll(async () => {
    await agent?.kill();
    await cp?.stop();
    for (const dir of [agentDir, home]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a scrape without the bearer token, or with a wrong one, before rendering anything", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${cp.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="clawops metrics"');
      const body = await res.text();
      expect(body).not.toContain("clawops_");
      expect(JSON.parse(body)).toMatchObject({ ok: false, error: { code: "unauthorized" } });
      expect(body).toContain("CLAWOPS_METRICS_TOKEN");
    }
  });

  it("counts the commands, the triage job and each probe's duration, and shows the connected agent", async () => {
    expect((await command(cp, `triage ${HOST}`)).error ?? null).toBeNull();
    expect((await command(cp, "triage no-such-host")).error?.code).toBe("unknown_host");
    expect((await command(cp, "frobnicate")).error?.code).toBe("unknown_command");
    const s = await scrapeUntil(
      cp.url,
      (m) => m.value("clawops_jobs_finished_total", { kind: "triage" }) > 0,
      "the triage job's end",
    );

    expect(s.value("clawops_commands_total", { command: "triage", outcome: "ok" })).toBe(1);
    expect(s.value("clawops_commands_total", { command: "triage", outcome: "refused" })).toBe(1);
    expect(s.value("clawops_commands_total", { command: "invalid", outcome: "refused" })).toBe(1);
    expect(s.value("clawops_commands_total", { outcome: "error" })).toBe(0);
    // Enrolling the agent was a command too.
    expect(s.value("clawops_commands_total", { command: "enroll", outcome: "ok" })).toBe(1);
    expect(s.family("clawops_commands_total")).toMatchObject({
      type: "counter",
      help: METRIC_CATALOG.commands_total.help,
    });

    expect(s.value("clawops_jobs_finished_total", { kind: "triage", outcome: "done" })).toBe(1);
    expect(s.value("clawops_jobs_finished_total", { kind: "triage" })).toBe(1);
    expect(s.count("clawops_job_duration_seconds", { kind: "triage", outcome: "done" })).toBe(1);

    // Every triage step came back once, timed by the agent.
    expect(s.family("clawops_step_duration_seconds")?.type).toBe("histogram");
    for (const step of TRIAGE_STEP_NAMES) {
      expect(s.count("clawops_step_duration_seconds", { step }), step).toBe(1);
    }
    // With no gateway on the port, the WebSocket probe still ran (ok = it ran) and was quick.
    const ws = s.histograms("clawops_step_duration_seconds", { step: "gateway.ws" })[0];
    expect(ws?.labels.status).toBe("ok");
    expect(ws?.buckets["+Inf"]).toBe(1);

    expect(s.value("clawops_agents_connected")).toBe(1);
    expect(s.family("clawops_agents_connected")?.type).toBe("gauge");
    // Node's default process metrics come along.
    expect(s.value("process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(s.family("nodejs_eventloop_lag_seconds")).toBeDefined();
    // No Slack here: nothing failed there.
    expect(s.value("clawops_slack_api_errors_total")).toBe(0);
  }, 90_000);

  it("answers /livez and /readyz without a token, saying which checks passed and nothing else", async () => {
    const live = await fetch(`${cp.url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    for (const path of ["/readyz", "/healthz"]) {
      const ready = await fetch(`${cp.url}${path}`);
      expect(ready.status, path).toBe(200);
      expect(ready.headers.get("cache-control")).toBe("no-store");
      expect(await ready.json()).toEqual({ ok: true, checks: { store: "ok", disk: "ok", hub: "ok" } });
    }
  });

  it("logs JSON lines at info by default, the start line among them", () => {
    const lines = cp
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: string; msg: string; component: string; t: string });
    expect(lines.find((l) => l.msg === "control plane listening")).toMatchObject({
      level: "info",
      component: "clawops",
    });
    expect(cp.stderr()).not.toContain(TOKEN);
  });
});

describe("LOG_LEVEL on the Node control plane", () => {
  it("warn: no info line is written, from the start through a command and a probe", async () => {
    const cp = await spawnControlPlane({ LOG_LEVEL: "warn" });
    try {
      await command(cp, "help");
      await command(cp, "triage no-such-host");
      expect((await fetch(`${cp.url}/readyz`)).status).toBe(200);
      const levels = cp
        .stderr()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => (JSON.parse(l) as { level: string }).level);
      expect(levels.filter((l) => l === "info" || l === "debug")).toEqual([]);
      expect(cp.stderr()).not.toContain("control plane listening");
    } finally {
      await cp.stop();
    }
  }, 90_000);

  it(
    "a value that is not a level stops the start with the choices named",
    async () => {
      const run = await startExpectingRefusal({ LOG_LEVEL: "verbose" });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('LOG_LEVEL="verbose" is not one of debug, info, warn, error.');
    },
    REFUSAL_BOUND_MS + 10_000,
  );

  it(
    "a CLAWOPS_METRICS_TOKEN shorter than 16 characters stops the start, without printing it",
    async () => {
      const run = await startExpectingRefusal({ CLAWOPS_METRICS_TOKEN: "short-tok" });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("CLAWOPS_METRICS_TOKEN is 9 characters; use at least 16 random ones");
      expect(run.stderr).not.toContain("short-tok");
    },
    REFUSAL_BOUND_MS + 10_000,
  );
});

/** `npm start` with `env` that it must refuse: its exit code and stderr. A start that goes on
 *  anyway is killed after 60 s: a hang bound, not a speed claim (a loaded CI box took more than
 *  15 s to reach the refusal). */
async function startExpectingRefusal(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawops-refused-"));
  try {
    return await new Promise((resolve) => {
      const child = spawn(process.execPath, [MAIN], {
        env: { ...process.env, CLAWOPS_PORT: "0", CLAWOPS_DATA_DIR: dataDir, CLAWOPS_LOCAL_AGENT: "0", ...env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), REFUSAL_BOUND_MS);
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("/readyz and /metrics of an in-process control plane", () => {
  let plane: NodePlane;
  let cp: ControlPlane;
  const logger = collectingLogger();

  beforeAll(async () => {
    plane = await startNodePlane({ name: "readyz", logger });
    cp = plane.cp;
  });
  afterAll(() => plane?.close());

  it("without CLAWOPS_METRICS_TOKEN, /metrics answers 503 saying which variable to set", async () => {
    const res = await fetch(`${cp.url}/metrics`, { headers: { authorization: "Bearer anything-at-all" } });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("not_configured");
    expect(body.error.message).toContain("set CLAWOPS_METRICS_TOKEN");
  });

  it("a store that no longer answers makes /readyz 503 naming the store; /livez stays 200", async () => {
    expect((await fetch(`${cp.url}/readyz`)).status).toBe(200);
    cp.store.close();
    const res = await fetch(`${cp.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ok: boolean; error: { message: string }; checks: Record<string, string> };
    expect(body.checks).toEqual({ store: "failed", disk: "ok", hub: "ok" });
    expect(body.error.message).toBe(
      "Not ready: store failed (the store answers a query). The control-plane log says why.",
    );
    // The cause goes to the log, not to whoever asked.
    expect(JSON.stringify(body)).not.toMatch(/database|sqlite/i);
    expect(
      logger
        .text()
        .split("\n")
        .some((l) => l.startsWith("warn readiness check failed") && /"check":"store"/.test(l)),
    ).toBe(true);
    expect((await fetch(`${cp.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${cp.url}/livez`)).status).toBe(200);
  });

  it("a closed agent hub makes /readyz 503 naming the hub", async () => {
    await cp.hub.close();
    const body = (await (await fetch(`${cp.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(body.checks.hub).toBe("failed");
  });
});

describe("Slack API errors and retries, counted", () => {
  const BOT = "xoxb-metrics-test-token";
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = new SlackStandIn(BOT);
    await slack.start();
  });
  afterAll(() => slack.stop());

  it("a 503 retried and a not_in_channel refusal show by method and error", async () => {
    const metrics = new PromMetrics({ agents_connected: () => 0 }, { processMetrics: false });
    const chat = new SlackWebApiChat({
      token: BOT,
      apiUrl: slack.url,
      logger: quietLogger,
      metrics,
      sleep: async () => {},
    });
    const message = (channel: string) => ({ channel, text: "hi", parts: [{ kind: "section" as const, text: "hi" }] });
    slack.failNext("chat.postMessage", { kind: "http", status: 503 });
    await chat.postMessage(message("C0METRICS"));
    slack.channelErrors.set("C0OUT", "not_in_channel");
    await expect(chat.postMessage(message("C0OUT"))).rejects.toBeInstanceOf(SlackCallError);

    const s = await Scrape.parse((await metrics.render()).body);
    expect(s.value("clawops_slack_api_retries_total", { method: "chat.postMessage", error: "http_503" })).toBe(1);
    expect(s.value("clawops_slack_api_retries_total")).toBe(1);
    expect(s.value("clawops_slack_api_errors_total", { method: "chat.postMessage", error: "not_in_channel" })).toBe(1);
    expect(s.value("clawops_slack_api_errors_total")).toBe(1);
  });

  it("a label value that is not a plain word is exported as `other`, so the series stay bounded", async () => {
    const metrics = new PromMetrics({ agents_connected: () => 0 }, { processMetrics: false });
    metrics.count("alerts_received_total", { source: "alertmanager" });
    metrics.count("alerts_received_total", { source: 'x"} 1\nfake_metric 1' });
    const s = await Scrape.parse((await metrics.render()).body);
    expect(s.value("clawops_alerts_received_total", { source: "alertmanager" })).toBe(1);
    expect(s.value("clawops_alerts_received_total", { source: "other" })).toBe(1);
    expect(s.family("fake_metric")).toBeUndefined();
  });

  it("a NaN value, written as prom-client writes it (`Nan`), is a sample Prometheus reads; a word is not", async () => {
    // prom-client writes NaN as `Nan` (an event-loop histogram with no sample since the last
    // scrape has a NaN mean). Prometheus's float parser takes it in any case, and `-Inf` too.
    const metrics = new PromMetrics({ agents_connected: () => Number.NaN }, { processMetrics: false });
    const body = (await metrics.render()).body;
    expect(body).toMatch(/^clawops_agents_connected Nan$/m);
    const s = await Scrape.parse(body);
    expect(s.family("clawops_agents_connected")?.type).toBe("gauge");
    expect(s.value("clawops_agents_connected")).toBeNaN();
    expect((await Scrape.parse("# TYPE up gauge\nup -Inf\n")).value("up")).toBe(-Infinity);
    await expect(Scrape.parse("# TYPE up gauge\nup abc\n")).rejects.toThrow("Unable to parse metric [up abc]");
  });
});

describe("the Node logger (pino)", () => {
  function capture(level?: "debug" | "info" | "warn" | "error") {
    const lines: string[] = [];
    const logger = createLogger("clawops", {
      ...(level ? { level } : {}),
      destination: { write: (l) => lines.push(l) },
    });
    return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it("LOG_LEVEL=warn writes warn and error lines only", () => {
    const { logger, lines } = capture("warn");
    logger.debug?.("a debug line");
    logger.info("an info line");
    logger.warn("a warn line", { host: "node-3" });
    logger.error("an error line");
    expect(lines().map((l) => [l.level, l.msg])).toEqual([
      ["warn", "a warn line"],
      ["error", "an error line"],
    ]);
    expect(lines()[0]).toMatchObject({ component: "clawops", host: "node-3" });
    expect(typeof lines()[0]?.t).toBe("string");
  });

  it("never writes a token, a secret or an authorization header, wherever the field is", () => {
    const { logger, lines } = capture("debug");
    const secrets = {
      token: "xoxb-1111-2222-abcdefabcdef",
      botToken: "xoxb-3333-4444-bcdefabcdefa",
      signingSecret: "8f14e45fceea167a5a36dedd4bea2543",
      authorization: "Bearer sk-live-abcdef0123456789",
      enrollmentCode: "ABCD-EFGH-JKMN",
      password: "hunter2hunter2",
    };
    logger.info("flat fields", { ...secrets, host: "node-3", code: "unknown_host" });
    logger.warn("nested", {
      headers: { authorization: secrets.authorization, cookie: "clawops_console=s3cr3t" },
    } as never);
    logger.debug?.("debug too", { token: secrets.token });
    const text = lines()
      .map((l) => JSON.stringify(l))
      .join("\n");
    for (const value of [...Object.values(secrets), "s3cr3t"]) expect(text).not.toContain(value);
    // What is not a secret stays readable: the host, an error code.
    expect(lines()[0]).toMatchObject({ host: "node-3", code: "unknown_host", token: "[redacted]" });
    expect(lines()).toHaveLength(3);
  });

  it("censors the Slack signature header at the top and one level down, and leaves the caller's fields as they were", () => {
    const { logger, lines } = capture("info");
    const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const fields = {
      headers: { "x-slack-signature": signature, "x-slack-request-timestamp": "1790000000" },
      request: { headers: { "x-slack-signature": signature }, secret: "s3cr3t-value", path: "/slack/commands" },
      job: "job_1",
    };
    logger.info("a request", fields as never);
    expect(JSON.stringify(lines())).not.toContain(signature);
    expect(JSON.stringify(lines())).not.toContain("s3cr3t-value");
    expect(lines()[0]).toMatchObject({
      headers: { "x-slack-signature": "[redacted]", "x-slack-request-timestamp": "1790000000" },
      request: { headers: { "x-slack-signature": "[redacted]" }, secret: "[redacted]", path: "/slack/commands" },
      job: "job_1",
    });
    expect(fields.headers["x-slack-signature"]).toBe(signature);
    expect(fields.request.secret).toBe("s3cr3t-value");
  });
});

describe("the agent's own logger", () => {
  it("honours LOG_LEVEL, and an unreadable one logs at info after saying so", () => {
    const lines: string[] = [];
    const at = (level: string | undefined) => jsonLogger("clawops-agent", (l) => lines.push(l), level);
    const warn = at("warn");
    warn.info("hidden");
    warn.error("shown");
    const debug = at("debug");
    debug.debug?.("a debug line");
    const bad = at("loud");
    bad.debug?.("hidden too");
    bad.info("shown at info");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      "shown",
      "a debug line",
      'LOG_LEVEL="loud" is not one of debug, info, warn, error. Logging at info.',
      "shown at info",
    ]);
  });
});

describe("docs/monitoring.md", () => {
  const doc = readFileSync(new URL("../../docs/monitoring.md", import.meta.url), "utf8");

  it("lists every metric of the catalog with its type and labels", () => {
    for (const [name, spec] of Object.entries(METRIC_CATALOG)) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`clawops_${name}\` |`));
      expect(row, name).toBeDefined();
      expect(row).toContain(`| ${spec.type} |`);
      for (const label of spec.labels) expect(row).toContain(`\`${label}\``);
    }
  });

  it("names every redacted field", () => {
    for (const path of REDACT_PATHS.filter((p) => /^\w+$/.test(p))) expect(doc).toContain(`\`${path}\``);
  });
});
