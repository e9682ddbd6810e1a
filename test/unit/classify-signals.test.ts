import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeDoctorLint } from "../../src/agent/probes/doctor-lint.ts";
import { summarizeChannels, summarizeConfigGet, summarizeCron } from "../../src/agent/probes/gateway-ws.ts";
import type { RpcResult } from "../../src/agent/probes/gateway-ws-client.ts";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { type LogSignaturesData, STEP_NAMES, type StepResult } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { RULES } from "../../src/core/classify/rules.ts";
import { type Data, freshGatewayModels, gatewayDownData, healthyData, toResults } from "../support/evidence.ts";

/**
 * The log, doctor, models and version rules on captured CLI output and real (or, where this
 * machine cannot produce the fault, GATEWAY-FACTS-quoted) log lines.
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/openclaw/${name}`, import.meta.url), "utf8");
const classify = (results: StepResult[]) => classifyResults(results, STEP_NAMES);
const top = (d: Data) => classify(toResults(d)).findings[0];
const ids = (d: Data) => classify(toResults(d)).findings.map((f) => f.id);

function logsFrom(text: string): LogSignaturesData {
  return {
    found: true,
    path: "/home/op/lab/logs/openclaw-file.log",
    tried: [],
    bytesRead: text.length,
    ...scanLogText(text),
  };
}

/** Real lines up to (and including) the first line containing `until`. */
function realLogUntil(until: string): string {
  const lines = fixture("logs/real-gateway.jsonl").split("\n");
  const end = lines.findIndex((l) => l.includes(until));
  return lines.slice(0, end + 1).join("\n");
}

const constructedLine = (needle: string) =>
  fixture("logs/constructed-signatures.log")
    .split("\n")
    .filter((l) => l.includes(needle))
    .join("\n");

describe("healthy gateway with the new probes", () => {
  it("in service: no finding at all", () => {
    expect(ids(healthyData())).toEqual([]);
  });

  it("freshly set up (captures/up): only the model-auth warning, never a fail", () => {
    const d = healthyData();
    d.models = freshGatewayModels();
    const c = classify(toResults(d));
    expect(c.findings.map((f) => [f.id, f.severity])).toEqual([["model-auth-missing", "warn"]]);
    expect(c.findings[0]?.evidence).toContain("models status: missingProvidersInUse [openai]");
    expect(c.matrix.model_routing.status).toBe("warn");
  });

  it("doctor's two warnings on a healthy gateway do not fail config", () => {
    const d = healthyData();
    d.lint = { exitCode: 1, timedOut: false, ...summarizeDoctorLint(fixture("doctor-lint-json.up.out")) };
    expect(ids(d)).toEqual([]);
    expect(classify(toResults(d)).matrix.config.status).toBe("ok");
  });
});

describe("config reload failed (real gateway log lines, GATEWAY-FACTS §6d)", () => {
  it("a failure newer than the last ready/applied is the top finding, with the lying checks named", () => {
    const d = healthyData();
    d.logs = logsFrom(realLogUntil("config reload failed"));
    d.lint = { exitCode: 1, timedOut: false, ...summarizeDoctorLint(fixture("doctor-lint-json.enotdir.out")) };
    const c = classify(toResults(d));
    expect(c.findings.map((f) => f.id).slice(0, 2)).toEqual(["config-reload-failed", "doctor-lint-error"]);
    const f = c.findings[0];
    expect(f?.evidence.some((l) => l.includes("[reload] config reload failed: StartupMaintenanceRequiredError"))).toBe(
      true,
    );
    expect(f?.evidence).toContain(
      "doctor --lint: error core/doctor/heartbeat-scratch-migration: Agent \"main\" HEARTBEAT.md cannot be migrated: ENOTDIR: not a directory, lstat '<lab>/package.json/ws/HEARTBEAT.md'",
    );
    // The rule names its own three; the fourth trusted check that was green is added to it.
    expect(f?.falseGreen).toBe(
      '/healthz 200; /readyz 200; health RPC configReload.hotReloadStatus "active"; `openclaw gateway status` Connectivity probe: ok (it checks only a zero-scope WebSocket connect, not the config layer)',
    );
    expect(c.matrix.config).toEqual({ status: "fail", reason: f?.title });
  });

  it("a later successful hot reload or restart makes the failure history", () => {
    const d = healthyData();
    d.logs = logsFrom(
      realLogUntil(
        'config hot reload applied (agents.defaults.workspace)","_meta":{"runtime":"node","runtimeVersion":"24.21.0","hostname":"vm","date":"2026-11-22T08:13',
      ),
    );
    expect(ids(d)).not.toContain("config-reload-failed");
    d.logs = logsFrom(fixture("logs/real-gateway.jsonl"));
    expect(ids(d)).not.toContain("config-reload-failed");
  });

  it("a config file changed after the failure (reverted: OpenClaw logs nothing) is not the file that failed", () => {
    const d = healthyData();
    d.logs = logsFrom(realLogUntil("config reload failed"));
    d.config.modifiedAt = "2026-11-22T08:12:30.000Z";
    expect(ids(d)[0]).toBe("config-reload-failed");
    d.config.modifiedAt = "2026-11-22T08:12:50.000Z";
    expect(ids(d)).not.toContain("config-reload-failed");
  });
});

describe("doctor --lint", () => {
  it("errors fail config with checkId and message quoted", () => {
    const d = healthyData();
    d.lint = { exitCode: 1, timedOut: false, ...summarizeDoctorLint(fixture("doctor-lint-json.enotdir.out")) };
    const f = top(d);
    expect(f).toMatchObject({ id: "doctor-lint-error", layer: "config", severity: "fail" });
    expect(f?.evidence).toHaveLength(2);
  });

  it.each([
    ["empty", ""],
    ["truncated", fixture("doctor-lint-json.enotdir.out").slice(0, 300)],
    ["future shape", '{"schemaVersion":2,"results":[{"severity":"error"}]}'],
  ])("%s output: config unknown with the reason, no doctor finding", (_l, stdout) => {
    const d = healthyData();
    d.lint = { exitCode: 1, timedOut: false, ...summarizeDoctorLint(stdout) };
    const c = classify(toResults(d));
    expect(c.findings).toEqual([]);
    expect(c.matrix.config.status).toBe("unknown");
    expect(c.matrix.config.reason).toMatch(/^doctor --lint output unreadable: /);
  });

  it("timed out: unknown; not yet reported (two-phase answer): the config probe's ok stands", () => {
    const d = healthyData();
    d.lint = { exitCode: null, timedOut: true };
    expect(classify(toResults(d)).matrix.config).toEqual({
      status: "unknown",
      reason: "`openclaw doctor --lint --json` timed out",
    });
    const pending = toResults(healthyData()).filter((r) => r.step !== "doctor.lint");
    expect(classify(pending).matrix.config.status).toBe("ok");
  });
});

describe("model routing", () => {
  it("CLI-only default route fails model_routing; a CLI-only fallback only warns", () => {
    const d = healthyData();
    d.models.configModelRefs = [{ ref: "claude-cli/opus", source: "agents.defaults.model.primary" }];
    d.models.cliOnlyRoutes = [{ ref: "claude-cli/opus", source: "agents.defaults.model.primary" }];
    expect(top(d)).toMatchObject({ id: "cli-only-model-backend", layer: "model_routing", severity: "fail" });
    expect(top(d)?.evidence).toEqual([
      "model route claude-cli/opus (agents.defaults.model.primary): provider ends in -cli",
    ]);
    d.models.cliOnlyRoutes = [{ ref: "codex-cli/gpt-5", source: "agents.defaults.model.fallbacks" }];
    expect(top(d)).toMatchObject({ id: "cli-only-model-fallback", severity: "warn" });
  });

  it.each([
    [
      "unreadable output",
      { parseError: "stdout is not JSON: Unexpected end of JSON input" },
      /^models status unreadable: stdout is not JSON/,
    ],
    ["timeout", { timedOut: true }, /timed out/],
  ])("%s: model_routing unknown with the reason, no model finding", (_l, patch, reason) => {
    const d = healthyData();
    d.models = { exitCode: null, timedOut: false, configModelRefs: [], cliOnlyRoutes: [], ...patch };
    const c = classify(toResults(d));
    expect(c.findings).toEqual([]);
    expect(c.matrix.model_routing.status).toBe("unknown");
    expect(c.matrix.model_routing.reason).toMatch(reason);
  });

  it("Anthropic 429 long context (GATEWAY-FACTS-quoted line)", () => {
    const d = healthyData();
    d.logs = logsFrom(constructedLine("429"));
    expect(top(d)).toMatchObject({ id: "anthropic-429-long-context", layer: "model_routing", severity: "warn" });
  });
});

describe("version skew", () => {
  it("CLI newer than the running gateway's server.version", () => {
    const d = healthyData();
    d.versions.openclaw = "2026.10.1";
    expect(top(d)).toMatchObject({ id: "version-skew", layer: "process", severity: "warn" });
    expect(top(d)?.evidence).toEqual(["openclaw --version: 2026.10.1", "running gateway server.version: 2026.9.6"]);
  });

  it("no skew when either side is unknown", () => {
    const d = healthyData();
    d.versions.openclaw = null;
    expect(ids(d)).toEqual([]);
  });
});

describe("log-only signatures", () => {
  it.each([
    ["EADDRINUSE", "real-gateway", "another gateway instance", "port-conflict-in-logs", "process"],
    ["cron tick failed", "constructed", "timer tick failed", "cron-disabled", "scheduler"],
    ["heartbeat skipped", "constructed", "heartbeat skipped", "heartbeat-skipped", "scheduler"],
    ["browser plugin excluded", "constructed", 'unknown command "browser"', "browser-plugin-excluded", "policy"],
    ["Chrome CDP", "constructed", "Failed to start Chrome CDP", "cdp-unreachable", "process"],
    ["remote CDP", "constructed", "Remote CDP", "cdp-unreachable", "process"],
    ["workspace vanished", "constructed", "WORKSPACE_VANISHED", "workspace-vanished", "workspace"],
  ])("%s (%s lines)", (_l, source, needle, id, layer) => {
    const d = healthyData();
    d.logs = logsFrom(
      source === "real-gateway"
        ? fixture("logs/real-gateway.jsonl")
            .split("\n")
            .filter((l) => l.includes(needle) || l.includes('"gateway ready"'))
            .join("\n")
        : `${constructedLine("[gateway] loading")}\n${constructedLine(needle)}`,
    );
    const f = top(d);
    expect(f).toMatchObject({ id, layer });
    expect(f?.evidence.some((l) => l.startsWith("log: "))).toBe(true);
  });

  it("[ws] unauthorized since the last start supports token drift; before it, it is history", () => {
    const d = healthyData();
    d.logs = logsFrom(realLogUntil("unauthorized conn="));
    expect(top(d)).toMatchObject({ id: "ws-unauthorized-in-logs", layer: "auth", severity: "warn" });
    expect(top(d)?.evidence[0]).toContain("(token_mismatch×1)");
    const ready = d.logs.signatures.find((x) => x.kind === "gateway-ready");
    if (ready) ready.lastAt = "2026-11-22T09:00:00.000Z";
    expect(ids(d)).not.toContain("ws-unauthorized-in-logs");
  });

  it("[ws] unauthorized before a live change of gateway.auth is history; after one, it counts, saying when auth changed", () => {
    // The line a 2026.9.6 gateway logs when its config's token is changed while it runs (lab, 2026-11-29).
    const authReload = (time: string, paths = "gateway.auth.token") =>
      JSON.stringify({
        "0": '{"subsystem":"gateway/reload"}',
        "1": `config hot reload applied (${paths})`,
        _meta: { runtime: "node", date: time.replace("+00:00", "Z"), name: '{"subsystem":"gateway/reload"}' },
        time,
        hostname: "vm",
        message: `config hot reload applied (${paths})`,
      });
    const rejected = realLogUntil("unauthorized conn=");
    const at = Date.parse(
      scanLogText(rejected).signatures.find((x) => x.kind === "ws-unauthorized")?.lastAt ?? "no unauthorized line",
    );
    const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");
    const d = healthyData();
    d.logs = logsFrom(`${rejected}\n${authReload(iso(at + 1_000))}`);
    expect(d.logs.signatures.find((x) => x.kind === "auth-reloaded")?.count).toBe(1);
    expect(ids(d)).not.toContain("ws-unauthorized-in-logs");
    d.logs = logsFrom(`${authReload(iso(at - 1_000))}\n${rejected}`);
    const f = top(d);
    expect(f).toMatchObject({ id: "ws-unauthorized-in-logs", layer: "auth", severity: "warn" });
    expect(f?.evidence).toContain(`gateway.auth last changed live at ${iso(at - 1_000)}`);
    // The limiter's settings changed live (lab, 2026-11-29: `(gateway.auth.rateLimit)`) change no
    // credential: the refusals before them still count; with the token in the same reload, not.
    d.logs = logsFrom(`${rejected}\n${authReload(iso(at + 1_000), "gateway.auth.rateLimit")}`);
    expect(d.logs.signatures.find((x) => x.kind === "auth-reloaded")).toBeUndefined();
    expect(top(d)).toMatchObject({ id: "ws-unauthorized-in-logs" });
    d.logs = logsFrom(`${rejected}\n${authReload(iso(at + 1_000), "gateway.auth.rateLimit, gateway.auth.token")}`);
    expect(ids(d)).not.toContain("ws-unauthorized-in-logs");
  });
});

describe("a browser refused by gateway.controlUi.allowedOrigins (log only: the agent sends no Origin)", () => {
  // The real `closed before connect` line (fixture line shape) with the Origin, code and reason
  // the 2026.9.6 gateway writes for CONTROL_UI_ORIGIN_NOT_ALLOWED (proven live in faults-netns).
  const refused = (time: string) =>
    JSON.stringify({
      "0": '{"subsystem":"gateway/ws"}',
      "1": { handshake: "failed", origin: "https://evil.example" },
      "2":
        "closed before connect conn=9d1c0d0e-5c55-4d0b-9a43-3f0f5f1f2a11 peer=127.0.0.1:40112->127.0.0.1:18789 " +
        "remote=127.0.0.1 fwd=n/a origin=https://evil.example host=127.0.0.1:18789 ua=Mozilla/5.0 code=1008 " +
        "reason=origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins) " +
        "phase=connect_received",
      time,
    });
  const ready = (time: string) => JSON.stringify({ "0": '{"subsystem":"gateway"}', "1": "gateway ready", time });

  it("since the last start: origin-not-allowed (policy, fail), the Origin counted and quoted", () => {
    const d = healthyData();
    d.logs = logsFrom([ready("2026-11-22T08:00:00.000+00:00"), refused("2026-11-22T08:05:00.000+00:00")].join("\n"));
    const f = top(d);
    expect(f).toMatchObject({ id: "origin-not-allowed", layer: "policy", severity: "fail" });
    expect(f?.evidence[0]).toContain("(https://evil.example×1)");
    expect(f?.evidence.some((l) => l.startsWith("log: ") && l.includes("origin=https://evil.example"))).toBe(true);
  });

  it("before the last start it is history; a plain closed-before-connect is not an origin refusal", () => {
    const d = healthyData();
    d.logs = logsFrom([refused("2026-11-22T08:05:00.000+00:00"), ready("2026-11-22T08:06:00.000+00:00")].join("\n"));
    expect(ids(d)).not.toContain("origin-not-allowed");
    d.logs = logsFrom(realLogUntil("closed before connect"));
    expect(ids(d)).not.toContain("origin-not-allowed");
  });
});

describe("start refusals explain a down gateway", () => {
  it.each([
    ["refusing to bind", "refusing-to-bind", "policy"],
    ["Gateway start blocked", "start-blocked-mode", "config"],
  ])("%s → %s outranks gateway-down", (needle, id, layer) => {
    const d = gatewayDownData();
    d.logs = logsFrom(constructedLine(needle));
    const c = classify(toResults(d));
    expect(c.findings[0]).toMatchObject({ id, layer, severity: "fail" });
    expect(c.findings.map((f) => f.id)).toContain("gateway-down");
  });

  it("the real no-config refusal (exit 78) reads as start-blocked-mode", () => {
    const d = gatewayDownData();
    d.logs = logsFrom(realLogUntil("Missing config"));
    expect(top(d)?.id).toBe("start-blocked-mode");
  });

  it("a refusal older than the last ready, or while the gateway serves, is not reported", () => {
    const d = healthyData();
    d.logs = logsFrom(constructedLine("refusing to bind"));
    expect(ids(d)).toEqual([]);
    const down = gatewayDownData();
    down.logs = logsFrom(`${constructedLine("refusing to bind")}\n2026-11-22T09:30:00.000Z [gateway] gateway ready`);
    expect(classify(toResults(down)).findings[0]?.id).toBe("gateway-down");
  });
});

describe("catalog", () => {
  it("every new rule is in RULES exactly once", () => {
    const all = RULES.map((r) => r.id);
    for (const id of [
      "config-reload-failed",
      "doctor-lint-error",
      "cli-only-model-backend",
      "model-auth-missing",
      "version-skew",
      "ws-unauthorized-in-logs",
      "port-conflict-in-logs",
      "refusing-to-bind",
      "start-blocked-mode",
      "anthropic-429-long-context",
      "cron-disabled",
      "heartbeat-skipped",
      "browser-plugin-excluded",
      "cdp-unreachable",
    ]) {
      expect(
        all.filter((x) => x === id),
        id,
      ).toHaveLength(1);
    }
  });
});

describe("scheduler from the cron RPCs (cron.status, cron.list)", () => {
  const ok = (payload: unknown): RpcResult => ({ ok: true, payload });
  const status = (enabled: boolean, jobs: number) => ok({ enabled, jobs, nextWakeAtMs: null, storage: "sqlite" });
  // The shape `cron.list` returns on 2026.9.6 (cronJobReadView): state plus lastRun* fields.
  const job = (id: string, lastRunStatus: string | undefined, extra: Record<string, unknown> = {}) => ({
    id,
    name: `job ${id}`,
    enabled: true,
    state: { consecutiveErrors: lastRunStatus === "error" ? 2 : 0 },
    lastRunStatus,
    lastRunAtMs: 1_795_000_000_000,
    ...extra,
  });

  it("summarizes the scheduler and keeps only enabled jobs whose last run failed", () => {
    const s = summarizeCron(
      status(true, 4),
      ok({
        jobs: [
          job("a", "ok"),
          job("b", "error", { lastRunError: "command exited with code 1" }),
          job("c", "error", { enabled: false }),
          job("d", undefined),
        ],
      }),
    );
    expect(s).toEqual({
      ok: true,
      enabled: true,
      jobs: 4,
      nextWakeAtMs: null,
      failing: [
        {
          id: "b",
          name: "job b",
          lastRunAtMs: 1_795_000_000_000,
          lastError: "command exited with code 1",
          consecutiveErrors: 2,
        },
      ],
    });
  });

  it("an RPC error, a missing scope or an unknown shape yields no claim", () => {
    const refused: RpcResult = {
      ok: false,
      error: { code: "INVALID_REQUEST", message: "missing scope: operator.read" },
    };
    expect(summarizeCron(refused, refused)).toEqual({ ok: false, error: refused.error });
    expect(summarizeCron(ok("junk"), ok({ jobs: "nope" }))).toEqual({ ok: true, failing: [] });
    const d = healthyData();
    d.ws.cronRpc = summarizeCron(ok(null), ok(null));
    expect(ids(d)).toEqual([]);
  });

  it("failing jobs → cron-job-failing (scheduler, warn) quoting each job's error", () => {
    const d = healthyData();
    d.ws.cronRpc = summarizeCron(
      status(true, 1),
      ok({ jobs: [job("nightly", "error", { lastRunError: "model auth missing" })] }),
    );
    const c = classify(toResults(d));
    expect(c.findings.map((f) => f.id)).toEqual(["cron-job-failing"]);
    expect(c.findings[0]).toMatchObject({ layer: "scheduler", severity: "warn" });
    expect(c.findings[0]?.evidence).toEqual([
      'cron job "job nightly" (nightly): last run error, 2 in a row: model auth missing',
    ]);
    expect(c.matrix.scheduler.status).toBe("warn");
  });

  it("a logged 'scheduler disabled' is the scheduler now only while cron.status does not say it is on", () => {
    const d = healthyData();
    d.logs = logsFrom(`${constructedLine("[gateway] loading")}\n${constructedLine("scheduler disabled")}`);
    // The gateway answered no cron.status (an older gateway, or the RPC failed): the log is what there is.
    d.ws.cronRpc = summarizeCron({ ok: false, error: { code: "UNAVAILABLE", message: "no" } }, ok(null));
    expect(top(d)).toMatchObject({ id: "cron-disabled", layer: "scheduler", severity: "warn" });
    expect(top(d)?.evidence.some((l) => l.startsWith("log: "))).toBe(true);
    // cron.status says the scheduler runs (the config was put back and reloaded, or the gateway
    // started since): the line stays in the log, and is history.
    d.ws.cronRpc = summarizeCron(status(true, 3), ok({ jobs: [] }));
    expect(ids(d)).not.toContain("cron-disabled");
  });

  it("a cron tick that failed before the gateway's last start is history", () => {
    const d = healthyData();
    d.logs = logsFrom(`${constructedLine("[gateway] loading")}\n${constructedLine("timer tick failed")}`);
    expect(top(d)).toMatchObject({ id: "cron-disabled", layer: "scheduler" });
    const tick = d.logs.signatures.find((x) => x.kind === "cron-tick-failed");
    d.logs.signatures.push({ kind: "gateway-ready", count: 1, lastAt: "2099-01-01T00:00:00.000Z", examples: [] });
    expect(tick?.lastAt).toBeTruthy();
    expect(ids(d)).not.toContain("cron-disabled");
  });

  it("scheduler off with jobs stored → cron-disabled; off with no jobs is nobody's problem", () => {
    const d = healthyData();
    d.ws.cronRpc = summarizeCron(status(false, 3), ok({ jobs: [] }));
    const c = classify(toResults(d));
    expect(c.findings.map((f) => f.id)).toEqual(["cron-disabled"]);
    expect(c.findings[0]?.evidence).toEqual(["cron.status: enabled false with 3 job(s) stored"]);
    expect(c.findings[0]?.falseGreen).toContain("/readyz 200");
    d.ws.cronRpc = summarizeCron(status(false, 0), ok({ jobs: [] }));
    expect(ids(d)).toEqual([]);
  });
});

describe("config file vs the running config, from config.get", () => {
  const rpc = (payload: unknown): RpcResult => ({ ok: true, payload });
  const HASH = "hmac-sha256:v1:NH2yJ8C2nmmTHTOQq2P4_P6n3mFf1mVr5B8ier1RkGY";
  const withConfigRpc = (c: ReturnType<typeof summarizeConfigGet>) => {
    const d = healthyData();
    d.ws = { ...d.ws, configRpc: c };
    return d;
  };

  it("keeps only the verdict: hashes, validity and issues (never the config itself)", () => {
    const s = summarizeConfigGet(
      rpc({
        raw: '{"gateway":{"auth":{"token":"__OPENCLAW_REDACTED__"}}}',
        config: { gateway: {} },
        valid: false,
        issues: [
          { path: "gateway.bind", message: "Invalid enum value" },
          { path: ["agents", "defaults"], message: "x" },
        ],
        configRevisionHash: null,
        appliedConfigHash: HASH,
      }),
    );
    expect(s).toEqual({
      ok: true,
      fileHash: null,
      appliedHash: HASH,
      valid: false,
      issues: ["gateway.bind: Invalid enum value", "agents.defaults: x"],
    });
    expect(
      summarizeConfigGet({ ok: false, error: { code: "INVALID_REQUEST", message: "missing scope" } }),
    ).toMatchObject({
      ok: false,
    });
    expect(summarizeConfigGet(rpc("not an object"))).toEqual({ ok: true });
  });

  it("same hashes: nothing; different: config-not-applied (warn, /readyz named); invalid file: config-file-invalid (fail)", () => {
    expect(ids(withConfigRpc({ ok: true, fileHash: HASH, appliedHash: HASH, valid: true }))).not.toContain(
      "config-not-applied",
    );
    const pending = classify(
      toResults(withConfigRpc({ ok: true, fileHash: `${HASH.slice(0, -4)}AAAA`, appliedHash: HASH, valid: true })),
    ).findings.find((f) => f.id === "config-not-applied");
    expect(pending?.severity).toBe("warn");
    expect(pending?.falseGreen).toContain("/readyz 200");
    const invalid = top(
      withConfigRpc({
        ok: true,
        fileHash: null,
        appliedHash: HASH,
        valid: false,
        issues: ["gateway.bind: Invalid enum value"],
      }),
    );
    expect(invalid?.id).toBe("config-file-invalid");
    expect(invalid?.evidence).toContain("config issue: gateway.bind: Invalid enum value");
    // An RPC that failed or an older gateway without the fields: no claim either way.
    for (const c of [{ ok: false }, { ok: true }, { ok: true, fileHash: HASH }]) {
      const found = ids(withConfigRpc(c));
      expect(found).not.toContain("config-not-applied");
      expect(found).not.toContain("config-file-invalid");
    }
  });
});

describe("chat channel accounts, from channels.status", () => {
  const rpc = (payload: unknown): RpcResult => ({ ok: true, payload });
  const withChannels = (payload: unknown) => {
    const d = healthyData();
    d.ws = { ...d.ws, channelsRpc: summarizeChannels(rpc(payload)) };
    return d;
  };
  // The shape of `channelAccounts` in openclaw 2026.9.6 (gateway channels.status handler).
  const telegram = (healthState: string, extra: Record<string, unknown> = {}) => ({
    channelOrder: ["telegram"],
    channels: { telegram: { configured: true } },
    channelAccounts: {
      telegram: [
        { accountId: "default", enabled: true, configured: true, running: false, healthState, ...extra },
        { accountId: "ops-bot", enabled: false, configured: true, running: false, healthState: "unmanaged" },
      ],
    },
  });

  it("an enabled account the gateway reports down → channel-account-down (fail) with its last error", () => {
    const d = withChannels(telegram("not-running", { lastError: "401 Unauthorized: bot token revoked" }));
    const c = classify(toResults(d));
    expect(c.findings[0]?.id).toBe("channel-account-down");
    expect(c.findings[0]?.evidence).toEqual([
      "channels.status: telegram/default not-running (not running) — last error: 401 Unauthorized: bot token revoked",
    ]);
    expect(c.findings[0]?.falseGreen).toContain("/readyz 200");
    expect(c.matrix.channels).toMatchObject({ status: "fail" });
  });

  it("healthy, in its connect grace, or disabled: no finding; odd payloads make no claim", () => {
    for (const state of ["healthy", "startup-connect-grace", "reconnect-grace", "busy"]) {
      expect(ids(withChannels(telegram(state)))).not.toContain("channel-account-down");
    }
    for (const odd of [null, "x", { channelAccounts: { telegram: "nope" } }, { channelAccounts: [] }]) {
      expect(ids(withChannels(odd))).not.toContain("channel-account-down");
    }
    expect(
      summarizeChannels({ ok: false, error: { code: "INVALID_REQUEST", message: "missing scope: operator.read" } }).ok,
    ).toBe(false);
  });
});
