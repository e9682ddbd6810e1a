import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeReport } from "../../src/agent/probe-report.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { type LogSignaturesData, STEP_NAMES, type StepResult } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { stepOutcome } from "../../src/core/classify/step-outcome.ts";
import { LAYERS } from "../../src/core/vocabulary/layers.ts";
import { type Data, healthyData, toResults } from "../support/evidence.ts";

/**
 * Issue 46 from captured strings: each fixture `*.dist-strings.*` is built from the OpenClaw
 * 2026.9.6 package's own log strings (dist/, file named in gateway-log-patterns-runtime.ts and
 * beside each case here), for states the lab gateway cannot be brought into in a test's time.
 * Where a line's surroundings are not in dist (the tool that reports a failed exec), the
 * fixture wraps the dist sentence in a plain prefix; the patterns read only the sentence.
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/openclaw/field/${name}`, import.meta.url), "utf8");

function logsFrom(text: string, path = "/home/op/.openclaw/logs/gateway.log"): LogSignaturesData {
  return { found: true, path, tried: [path], bytesRead: text.length, ...scanLogText(text) };
}
const classify = (d: Data) => classifyResults(toResults(d), STEP_NAMES);
const finding = (d: Data, id: string) => classify(d).findings.find((f) => f.id === id);

describe("a gateway log that cannot be read says so (truth defect)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawops-h46-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const runLogStep = async (logFile: string): Promise<StepResult> => {
    const configPath = join(dir, "openclaw.json");
    await writeFile(configPath, JSON.stringify({ logging: { file: logFile } }));
    const ctx = resolveProbeContext(
      { HOME: dir, OPENCLAW_CONFIG_PATH: configPath, PATH: "" },
      { openclawBin: "/nonexistent" },
    );
    const [r] = await runSteps(ctx, [{ step: "logs.signatures", args: {} }], { deadlineMs: 5_000 });
    if (!r) throw new Error("no result");
    return r;
  };

  it("logging.file a directory: the step names it unreadable (EISDIR), config is not green, the gateway-log-unwritable finding says why", async () => {
    const logDir = join(dir, "logs-as-dir");
    await mkdir(logDir);
    const r = await runLogStep(logDir);
    expect(r).toMatchObject({ status: "ok", data: { found: false, unreadable: [{ path: logDir, code: "EISDIR" }] } });
    const d = healthyData();
    if (r.step !== "logs.signatures" || !r.data) throw new Error("no data");
    d.logs = r.data;
    const c = classify(d);
    // Before issue 46 every layer of this healthy gateway was ok with no word about the log.
    expect(LAYERS.every((l) => c.matrix[l].status === "ok")).toBe(false);
    expect(c.matrix.config.status).toBe("warn");
    const f = c.findings.find((x) => x.id === "gateway-log-unwritable");
    expect(f?.evidence).toEqual([`${logDir} is a directory (EISDIR): the gateway cannot append its log to it`]);
    expect(f?.falseGreen).toContain("/readyz 200");
    // The agent's own `probe` report says the same, not "no file log found".
    expect(probeReport([r]).text).toContain(`log not read: ${logDir} (EISDIR)`);
    // The probe list: not a ✅ beside a log that was never read.
    expect(stepOutcome(r)).toEqual({
      status: "warn",
      note: "Config: The gateway's file log is not being written: every check that reads it is blind",
    });
  });

  it("a log the agent may not read (EACCES): config unknown with why, no finding that blames the gateway", () => {
    const d = healthyData();
    const path = "/home/op/.openclaw/logs/gateway.log";
    d.logs = {
      found: false,
      path: null,
      tried: [path],
      bytesRead: 0,
      linesScanned: 0,
      linesSkipped: 0,
      signatures: [],
      error: `${path}: EACCES`,
      unreadable: [{ path, code: "EACCES" }],
    };
    const c = classify(d);
    expect(c.matrix.config).toEqual({
      status: "unknown",
      reason: `gateway log not read (${path}: EACCES): its log-only checks did not run`,
    });
    expect(c.findings.map((f) => f.id)).not.toContain("gateway-log-unwritable");
    const r: StepResult = { step: "logs.signatures", status: "ok", durationMs: 2, data: d.logs };
    expect(stepOutcome(r)).toEqual({ status: "warn", note: `gateway log not read: ${path}: EACCES` });
  });

  it("an agent before issue 46 (only `error`, no `unreadable`) still leaves config unknown", () => {
    const d = healthyData();
    d.logs = { ...d.logs, found: false, path: null, signatures: [], error: "/var/log/openclaw: EISDIR" };
    delete d.logs.unreadable;
    expect(classify(d).matrix.config.status).toBe("unknown");
  });

  it("no log at all (nothing configured, no default file) is not a reading that failed", () => {
    const d = healthyData();
    d.logs = { ...d.logs, found: false, path: null, signatures: [] };
    delete d.logs.error;
    expect(classify(d).matrix.config.status).toBe("ok");
  });

  it("the gateway's own stderr line in the journal (logger-*.mjs) → gateway-log-unwritable", () => {
    const d = healthyData();
    d.service.journal = {
      command: "journalctl --user -u openclaw-gateway -n 300",
      linesScanned: 3,
      signatures: scanLogText(fixture("log-append.dist-strings.log")).signatures,
    };
    const f = finding(d, "gateway-log-unwritable");
    expect(f?.evidence[0]).toContain('1 "log-append-failed" line');
    expect(f?.evidence[1]).toContain("check that the path is a writable regular file; file=/var/log/openclaw");
  });
});

describe("a file log the running gateway no longer writes", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawops-h46-stale-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the step says when the file was last written and when it was read", async () => {
    const file = join(dir, "gateway.log");
    await writeFile(file, fixture("memory-vector.dist-strings.log"));
    const written = new Date("2026-11-20T08:00:00.000Z");
    await utimes(file, written, written);
    const configPath = join(dir, "openclaw.json");
    await writeFile(configPath, JSON.stringify({ logging: { file } }));
    const ctx = resolveProbeContext(
      { HOME: dir, OPENCLAW_CONFIG_PATH: configPath, PATH: "" },
      { openclawBin: "/nonexistent" },
    );
    const [r] = await runSteps(ctx, [{ step: "logs.signatures", args: {} }], { deadlineMs: 5_000 });
    const data = r?.step === "logs.signatures" ? r.data : undefined;
    expect(data?.modifiedAt).toBe("2026-11-20T08:00:00.000Z");
    expect(Date.parse(data?.readAt ?? "")).toBeGreaterThan(written.getTime());
  });

  const staleLogs = (modifiedAt: string): LogSignaturesData => ({
    ...logsFrom("2026-11-25T10:00:08.000+00:00 [gateway] ready\n"),
    modifiedAt,
    readAt: "2026-11-25T12:00:00.000Z",
  });

  it("last modified an hour before a gateway up for 4.6 min started → gateway-log-stale, with both times", () => {
    const d = healthyData();
    d.logs = staleLogs("2026-11-25T11:00:00.000Z");
    const f = finding(d, "gateway-log-stale");
    expect(f?.evidence).toEqual([
      "/home/op/.openclaw/logs/gateway.log last modified 2026-11-25T11:00:00.000Z",
      "the running gateway started about 2026-11-25T11:55:25.029Z (its uptime in the handshake)",
    ]);
  });

  it("written since the start (or within a minute before it): no finding", () => {
    const d = healthyData();
    d.logs = staleLogs("2026-11-25T11:54:40.000Z");
    expect(finding(d, "gateway-log-stale")).toBeUndefined();
  });

  it("another gateway's log, or no handshake to give the uptime: not judged", () => {
    const other = healthyData();
    other.logs = { ...staleLogs("2026-11-25T11:00:00.000Z"), attribution: { verdict: "other-gateway", how: "pid 9" } };
    expect(finding(other, "gateway-log-stale")).toBeUndefined();
    const down = healthyData();
    down.logs = staleLogs("2026-11-25T11:00:00.000Z");
    down.ws = { url: down.ws.url, outcome: "refused", challenged: false, tokenSource: "config" };
    expect(finding(down, "gateway-log-stale")).toBeUndefined();
  });
});

describe("stop or restart stuck draining (run-*.mjs, server-start-*.mjs)", () => {
  it("/readyz 503 gateway-draining, 'still draining' lines, the process alive → gateway-draining (fail), not unresponsive", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("drain-stop.dist-strings.log"));
    d.http.readyz = { status: 503, body: { ready: false, failing: ["gateway-draining"], uptimeMs: 3_690_000 } };
    const c = classify(d);
    const f = c.findings.find((x) => x.id === "gateway-draining");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toBe('/readyz 503 {"failing":["gateway-draining"]}');
    expect(f?.evidence).toContain(
      "log: 2026-11-25T11:00:00.020+00:00 [gateway] draining active work before stop with timeout 315000ms: cron-run=1",
    );
    expect(f?.evidence.some((l) => l.includes('3 "drain-still-pending" lines'))).toBe(true);
    expect(f?.falseGreen).toContain("the gateway process runs and holds its port");
    expect(c.findings[0]?.id).toBe("gateway-draining");
    expect(c.findings.map((x) => x.id)).not.toContain("gateway-unresponsive");
  });

  it("the probe's WebSocket refused 503 while /readyz says draining: transport names the drain, one finding", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("drain-stop.dist-strings.log"));
    d.http.readyz = { status: 503, body: { ready: false, failing: ["gateway-draining"] } };
    d.ws = { url: d.ws.url, outcome: "upgrade-refused", upgradeStatus: 503, challenged: false, tokenSource: "config" };
    const c = classify(d);
    expect(c.matrix.transport).toEqual({
      status: "fail",
      reason: "WebSocket admission closed (503): the gateway is draining",
    });
    expect(c.findings.map((x) => x.id)).toEqual(["gateway-draining"]);
    expect(c.findings[0]?.evidence).toContain("WebSocket upgrade refused (HTTP 503)");
  });

  it("the same lines from a gateway that has since exited: a finished stop, no finding", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("drain-stop.dist-strings.log"));
    d.listeners = { ...d.listeners, listeners: [], gatewayProcesses: [] };
    expect(finding(d, "gateway-draining")).toBeUndefined();
  });

  it("a drain followed by a new start is history", () => {
    const d = healthyData();
    d.logs = logsFrom(`${fixture("drain-stop.dist-strings.log")}2026-11-25T11:06:00.000+00:00 [gateway] ready\n`);
    expect(finding(d, "gateway-draining")).toBeUndefined();
  });
});

describe("spawn broker lost (host-*.mjs, server-*.mjs)", () => {
  it("'Spawn broker exited; command outcome is unavailable' after the last restart → spawn-broker-lost (fail), health named as the false green", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("spawn-broker.dist-strings.log"));
    const f = finding(d, "spawn-broker-lost");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence[0]).toContain('1 "spawn-broker-lost" line');
    expect(f?.evidence).toContain(
      "log: 2026-11-25T11:21:10.000+00:00 [tools] exec failed: SpawnBrokerError: Spawn broker is unavailable",
    );
    expect(f?.evidence).toContain(
      "spawn broker restarted 1 time(s) in the log read, first 2026-11-25T10:40:00.000+00:00",
    );
    expect(f?.falseGreen).toContain("/healthz answered 200");
  });

  it("an exit whose commands were lost, then a restart: no lasting loss, no finding", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("spawn-broker.dist-strings.log").split("\n").slice(0, 4).join("\n"));
    expect(finding(d, "spawn-broker-lost")).toBeUndefined();
  });

  it("a broker restarted after the loss has recovered: no finding", () => {
    const d = healthyData();
    d.logs = logsFrom(
      `${fixture("spawn-broker.dist-strings.log")}2026-11-25T11:22:00.000+00:00 [gateway] spawn broker restarted pid=4411\n`,
    );
    expect(finding(d, "spawn-broker-lost")).toBeUndefined();
  });
});

describe("wedged session lane (diagnostic-*.mjs, command-queue-*.mjs)", () => {
  it("'stuck session … reason=queued_work_without_active_run' and a 12-minute 'lane wait exceeded' → session-lane-wedged (warn)", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("session-lane.dist-strings.log"));
    const f = finding(d, "session-lane-wedged");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toBe(
      '/home/op/.openclaw/logs/gateway.log: 2 "session-stuck" lines (queued_work_without_active_run×2), newest 2026-11-25T10:36:00.000+00:00',
    );
    expect(f?.evidence.some((l) => l.includes('"lane-wait-long" line (main×1)'))).toBe(true);
    expect(f?.falseGreen).toContain("hello-ok");
  });

  it("a message that waited seconds behind a running turn is routine (logged from 2 s on): no finding", () => {
    const d = healthyData();
    d.logs = logsFrom(
      "2026-11-25T10:00:08.000+00:00 [gateway] ready\n2026-11-25T10:30:00.000+00:00 [diagnostic] lane wait exceeded: lane=main waitedMs=41250 queueAhead=0 activeAhead=1 activeNow=1 queueBehind=0\n",
    );
    expect(finding(d, "session-lane-wedged")).toBeUndefined();
  });
});

describe("core and plugins out of lockstep (loader-shared-*.mjs, loader-runtime-load-*.mjs)", () => {
  it("a plugin that cannot import from this core's SDK → plugins-core-out-of-lockstep, first of the findings", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("plugins-lockstep.dist-strings.log"));
    const c = classify(d);
    const f = c.findings.find((x) => x.id === "plugins-core-out-of-lockstep");
    expect(f?.evidence[0]).toContain('1 "plugin-export-missing" line (discord×1)');
    expect(f?.evidence[1]).toContain("built with OpenClaw 2026.8.2; running core 2026.9.6");
    expect(f?.falseGreen).toContain("/readyz 200");
    // Logged while the start loaded its plugins, before its `ready` line: still this start's.
    expect(c.findings[0]?.id).toBe("plugins-core-out-of-lockstep");
  });

  it("a failure of an earlier start (before an update and restart) is history", () => {
    const d = healthyData();
    d.logs = logsFrom(
      `${fixture("plugins-lockstep.dist-strings.log")}2026-11-25T14:00:00.000+00:00 [gateway] spawn broker ready pid=5100\n2026-11-25T14:00:08.000+00:00 [gateway] ready\n`,
    );
    expect(finding(d, "plugins-core-out-of-lockstep")).toBeUndefined();
  });
});

describe("MCP servers failing (agent-bundle-mcp-*.mjs, agent-bundle-lsp-runtime-*.mjs, tslog JSON lines)", () => {
  it("skipped and failed servers since the start → mcp-servers-failing, naming each server", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("mcp-servers.dist-strings.jsonl"));
    const f = finding(d, "mcp-servers-failing");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toContain('2 "mcp-server-failed" lines (github×1, pyright×1)');
    expect(f?.falseGreen).toContain("hello-ok");
    expect(f?.evidence).toContain(
      'log: 2026-11-25T10:02:11.000+00:00 [bundle-mcp] skipped server "github" because its command is missing and its url is missing.',
    );
  });

  it("the connect timeout (mcp-client-lifecycle-*.mjs) is read wherever it is logged", () => {
    const sig = scanLogText("MCP server connection timed out after 30000ms").signatures;
    expect(sig.map((s) => s.kind)).toEqual(["mcp-server-failed"]);
  });
});

describe("context overflow and compaction loops (embedded-agent-*.mjs)", () => {
  it("three overflow attempts, then livenessState=blocked → context-overflow-loop with OpenClaw's suggested action", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("context-overflow.dist-strings.log"));
    const f = finding(d, "context-overflow-loop");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toContain('1 "context-blocked" line (reset_or_new×1)');
    expect(
      f?.evidence.some((l) => l.includes('3 "context-overflow" lines (attempt 1/3×1, attempt 2/3×1, attempt 3/3×1)')),
    ).toBe(true);
  });

  it("three sessions that each overflowed once and were compacted are not a loop", () => {
    const d = healthyData();
    const line = (t: string) =>
      `2026-11-25T${t}.000+00:00 [embedded] context overflow detected (attempt 1/3); attempting auto-compaction for anthropic/claude-sonnet-5`;
    d.logs = logsFrom(
      ["2026-11-25T10:00:08.000+00:00 [gateway] ready", line("11:00:00"), line("12:00:00"), line("13:00:00")].join(
        "\n",
      ),
    );
    expect(finding(d, "context-overflow-loop")).toBeUndefined();
  });

  it("one overflow that compaction fixed is not a loop", () => {
    const d = healthyData();
    const first = fixture("context-overflow.dist-strings.log").split("\n").slice(0, 3).join("\n");
    d.logs = logsFrom(first);
    expect(finding(d, "context-overflow-loop")).toBeUndefined();
  });
});

describe("Gmail watcher alive but failing (gmail-watcher-*.mjs, command-error-*.mjs)", () => {
  it("a renewal refused with invalid_grant → gmail-watch-failing (warn), the grant named", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("gmail-watch.dist-strings.jsonl"));
    const f = finding(d, "gmail-watch-failing");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toContain('1 "gmail-watch-failed" line (invalid_grant×1)');
  });

  it("a renewal that took after the failure clears it", () => {
    const d = healthyData();
    const started = JSON.stringify({
      "0": JSON.stringify({ subsystem: "gmail-watcher" }),
      "1": "watch started for ops@example.com",
      time: "2026-11-26T10:00:09.000+00:00",
    });
    d.logs = logsFrom(`${fixture("gmail-watch.dist-strings.jsonl")}${started}\n`);
    expect(finding(d, "gmail-watch-failing")).toBeUndefined();
  });
});

describe("memory search degraded (manager-vector-warning-*.mjs)", () => {
  it("'memory_index_chunks_vec not updated — sqlite-vec unavailable' → memory-search-degraded", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("memory-vector.dist-strings.log"));
    const f = finding(d, "memory-search-degraded");
    expect(f?.evidence[0]).toContain('1 "memory-vector-degraded" line (sqlite-vec unavailable×1)');
  });
});

describe("TLS renewal rejected (server-start-*.mjs)", () => {
  it("'gateway TLS renewal failed; keeping accepted material' → tls-renewal-failed (warn), not a transport failure", () => {
    const d = healthyData();
    d.logs = logsFrom(fixture("tls-renewal.dist-strings.log"));
    const c = classify(d);
    const f = c.findings.find((x) => x.id === "tls-renewal-failed");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[1]).toContain("key values mismatch");
    expect(c.matrix.transport.status).toBe("warn");
  });

  it("a renewal that took after the failure clears it", () => {
    const d = healthyData();
    d.logs = logsFrom(
      `${fixture("tls-renewal.dist-strings.log")}2026-11-25T13:05:00.000+00:00 [gateway] gateway TLS certificate renewed without restarting listeners\n`,
    );
    expect(finding(d, "tls-renewal-failed")).toBeUndefined();
  });
});
