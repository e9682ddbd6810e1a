import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { summarizeDoctorLint } from "../../src/agent/probes/doctor-lint.ts";
import { parseLogLine, scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { firstLogFile, logCandidates } from "../../src/agent/probes/logs.ts";
import { cliOnlyRoutes, isCliOnlyRef, summarizeModelsStatus } from "../../src/agent/probes/models-status.ts";
import { interpretConfig } from "../../src/agent/probes/openclaw-config.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { LogSignaturesData } from "../../src/contract/catalog.ts";

/** Parsers of the new probes, on captured CLI output and real gateway log lines. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/openclaw/${name}`, import.meta.url), "utf8");

describe("summarizeDoctorLint (captured `doctor --lint --json`)", () => {
  it("healthy gateway: two warnings, no error", () => {
    const s = summarizeDoctorLint(fixture("doctor-lint-json.up.out"));
    expect(s).toMatchObject({ schemaVersion: 1, ok: false, checksRun: 35 });
    expect(s.parseError).toBeUndefined();
    expect(s.findings?.map((f) => [f.checkId, f.severity])).toEqual([
      ["core/doctor/node-hosting-preconditions", "warning"],
      ["core/doctor/security", "warning"],
    ]);
  });

  it("un-creatable workspace: ENOTDIR errors with checkId, message and path; fixHint dropped", () => {
    const s = summarizeDoctorLint(fixture("doctor-lint-json.enotdir.out"));
    const errors = s.findings?.filter((f) => f.severity === "error") ?? [];
    expect(errors.map((f) => f.checkId)).toEqual([
      "core/doctor/heartbeat-scratch-migration",
      "core/doctor/tools-md-migration",
    ]);
    expect(errors[0]?.message).toContain("ENOTDIR: not a directory");
    expect(errors[0]?.path).toBe("<lab>/package.json/ws/HEARTBEAT.md");
    expect(JSON.stringify(s)).not.toContain("fixHint");
  });

  it.each([
    ["empty", ""],
    ["truncated", fixture("doctor-lint-json.up.out").slice(0, 120)],
    ["future shape", '{"schemaVersion":2,"ok":true,"results":[{"id":"x","level":"error"}]}'],
    ["not an object", "[1,2,3]"],
  ])("%s output → a parse note, no findings", (_label, stdout) => {
    const s = summarizeDoctorLint(stdout);
    expect(s.parseError).toBeTruthy();
    expect(s.findings).toBeUndefined();
  });

  it("cuts long messages, skips findings without checkId/severity, and redacts known secrets", () => {
    const long = "x".repeat(2_000);
    const s = summarizeDoctorLint(
      JSON.stringify({
        findings: [
          { checkId: "a", severity: "error", message: `${long} token lab-token-aaaa1111` },
          { severity: "error" },
          { checkId: "b", severity: "critical", message: "future level stays a string", path: "/p" },
        ],
      }),
      ["lab-token-aaaa1111"],
    );
    expect(s.findings?.[0]?.message.length).toBeLessThan(410);
    expect(s.findings?.[1]).toEqual({
      checkId: "b",
      severity: "critical",
      message: "future level stays a string",
      path: "/p",
    });
    expect(s.parseError).toBe("1 finding(s) without checkId/severity were skipped");
    const s2 = summarizeDoctorLint(
      JSON.stringify({ findings: [{ checkId: "a", severity: "error", message: "t=lab-token-aaaa1111" }] }),
      ["lab-token-aaaa1111"],
    );
    expect(JSON.stringify(s2)).not.toContain("lab-token-aaaa1111");
  });
});

describe("summarizeModelsStatus (captured `models status --json`)", () => {
  it("fresh gateway: default model, openai missing credentials, runtime route summarised", () => {
    const s = summarizeModelsStatus(fixture("models-status-json.up.out"));
    if (!("json" in s)) throw new Error(s.parseError);
    expect(s.json).toEqual({
      defaultModel: "openai/gpt-6-astra",
      resolvedDefault: "openai/gpt-6-astra",
      fallbacks: [],
      missingProvidersInUse: ["openai"],
      modelRouteIssues: [],
      runtimeAuthRoutes: [
        { provider: "openai", runtime: "codex", status: "unavailable", runtimeReason: "owner-plugin-not-activatable" },
      ],
    });
  });

  it.each([
    ["empty", ""],
    ["truncated", fixture("models-status-json.up.out").slice(0, 200)],
    ["future shape", '{"v":3,"routing":{}}'],
  ])("%s output → a parse note", (_label, stdout) => {
    expect(summarizeModelsStatus(stdout)).toHaveProperty("parseError");
  });

  it("route issues of unknown shape become one line each", () => {
    const s = summarizeModelsStatus(
      JSON.stringify({
        defaultModel: "a/b",
        auth: { modelRouteIssues: ["plain", { provider: "x", message: "no key" }, { z: 1 }] },
      }),
    );
    expect("json" in s && s.json.modelRouteIssues).toEqual(["plain", "x no key", '{"z":1}']);
  });

  it("flags *-cli providers from the config and from the CLI's answer", () => {
    expect(isCliOnlyRef("claude-cli/opus-4")).toBe(true);
    expect(isCliOnlyRef("codex-cli")).toBe(true);
    expect(isCliOnlyRef("openai/gpt-6-astra")).toBe(false);
    expect(isCliOnlyRef("anthropic/claude-cli-like")).toBe(false);
    const routes = cliOnlyRoutes([{ ref: "claude-cli/opus", source: "agents.defaults.model.primary" }], {
      defaultModel: "openai/gpt-6-astra",
      fallbacks: ["codex-cli/gpt-5"],
    });
    expect(routes).toEqual([
      { ref: "claude-cli/opus", source: "agents.defaults.model.primary" },
      { ref: "codex-cli/gpt-5", source: "models status fallbacks" },
    ]);
  });

  it("config model refs: string, {primary, fallbacks}, models map, per-agent entries", () => {
    const c = interpretConfig(
      {
        logging: { file: "/var/log/openclaw.log" },
        agents: {
          defaults: {
            model: { primary: "claude-cli/opus", fallbacks: ["openai/gpt-6-astra"] },
            models: { "anthropic/opus": {} },
          },
          entries: { ops: { model: "codex-cli/gpt-5" } },
          list: [{ id: "main", model: "openai/x" }],
        },
      },
      {},
    );
    expect(c.logFile).toBe("/var/log/openclaw.log");
    expect(c.modelRefs).toEqual([
      { ref: "claude-cli/opus", source: "agents.defaults.model.primary" },
      { ref: "openai/gpt-6-astra", source: "agents.defaults.model.fallbacks" },
      { ref: "anthropic/opus", source: "agents.defaults.models" },
      { ref: "codex-cli/gpt-5", source: "agents.entries.ops.model" },
      { ref: "openai/x", source: "agents.list.main.model" },
    ]);
  });
});

describe("log signatures", () => {
  it("reads tslog JSON lines as the console prints them", () => {
    const [ready] = fixture("logs/real-gateway.jsonl")
      .split("\n")
      .filter((l) => l.includes('"gateway ready"'));
    expect(parseLogLine(ready ?? "")).toEqual({
      time: "2026-11-22T08:12:23.695+00:00",
      text: "[gateway] gateway ready",
    });
    expect(parseLogLine("2026-11-22T08:12:40.439+00:00 [reload] config reload failed: X")).toEqual({
      time: "2026-11-22T08:12:40.439+00:00",
      text: "[reload] config reload failed: X",
    });
    expect(parseLogLine('{"0":"{\\"subsystem\\":"')).toBeNull();
    expect(parseLogLine("\u0000\u0001binary")).toBeNull();
  });

  it("real gateway lines: reload failed/applied, ready, unauthorized with reason, close codes, EADDRINUSE", () => {
    const scan = scanLogText(fixture("logs/real-gateway.jsonl"));
    const byKind = Object.fromEntries(scan.signatures.map((s) => [s.kind, s]));
    expect(scan.linesSkipped).toBe(0);
    expect(byKind["reload-failed"]).toMatchObject({ count: 1, lastAt: "2026-11-22T08:12:40.437+00:00" });
    expect(byKind["reload-failed"]?.examples[0]).toContain(
      "[reload] config reload failed: StartupMaintenanceRequiredError: Legacy workspace setup state requires migration",
    );
    expect(byKind["reload-applied"]?.count).toBe(2);
    expect(byKind["gateway-ready"]?.count).toBe(3);
    expect(byKind["ws-unauthorized"]).toMatchObject({ count: 1, reasons: { token_mismatch: 1 } });
    expect(byKind["closed-before-connect"]).toMatchObject({ count: 2, reasons: { "1008": 1, "1000": 1 } });
    // The readable message, not the structured context object, is what gets quoted.
    expect(byKind["closed-before-connect"]?.examples[0]).toMatch(/\[ws\] closed before connect conn=/);
    expect(byKind["parse-error"]?.count).toBe(1);
    expect(byKind["port-in-use"]?.examples[0]).toContain("another gateway instance is already listening");
    expect(byKind["start-failed"]?.count).toBe(1);
    expect(byKind["start-blocked"]?.examples[0]).toContain("Missing config. Run `openclaw setup`");
    expect(LogSignaturesData.safeParse({ found: true, path: "p", tried: ["p"], bytesRead: 1, ...scan }).success).toBe(
      true,
    );
  });

  it("constructed lines for the signatures this machine cannot produce; junk is skipped, never thrown", () => {
    const scan = scanLogText(fixture("logs/constructed-signatures.log"), ["0.0.0.0:19001"]);
    const kinds = Object.fromEntries(scan.signatures.map((s) => [s.kind, s.count]));
    expect(kinds).toMatchObject({
      "refusing-to-bind": 1,
      "start-blocked": 1,
      "handshake-timeout": 1,
      "anthropic-429-long-context": 1,
      "cron-disabled": 1,
      "cron-tick-failed": 1,
      "heartbeat-skipped": 2,
      "chrome-cdp-failed": 1,
      "remote-cdp-unreachable": 1,
      "browser-command-unknown": 1,
      "workspace-vanished": 1,
      "ws-unauthorized": 1,
    });
    expect(scan.signatures.find((s) => s.kind === "heartbeat-skipped")?.reasons).toEqual({
      "quiet-hours": 1,
      "empty-heartbeat-file": 1,
    });
    expect(scan.linesSkipped).toBe(1);
    // Known secrets are removed from the quoted lines.
    expect(JSON.stringify(scan)).not.toContain("0.0.0.0:19001");
  });

  it("keeps only the newest five examples per kind", () => {
    const lines = Array.from({ length: 9 }, (_, i) => `2026-11-22T10:00:0${i}.000Z [ws] handshake timeout conn=${i}`);
    const sig = scanLogText(lines.join("\n")).signatures[0];
    expect(sig?.count).toBe(9);
    expect(sig?.examples).toHaveLength(5);
    expect(sig?.examples.at(-1)).toContain("conn=8");
    expect(sig?.lastAt).toBe("2026-11-22T10:00:08.000Z");
  });

  it("log file: logging.file, else the /tmp/openclaw daily files of UTC tomorrow, today and yesterday", () => {
    // OpenClaw names daily files by the gateway's local date, at most a day from UTC's.
    const now = new Date("2026-11-22T00:30:00Z");
    expect(logCandidates("/srv/oc.log", "/home/op", now)).toEqual(["/srv/oc.log"]);
    expect(logCandidates("~/logs/oc.log", "/home/op", now)).toEqual(["/home/op/logs/oc.log"]);
    expect(logCandidates(null, "/home/op", now)).toEqual([
      "/tmp/openclaw/openclaw-2026-11-23.log",
      "/tmp/openclaw/openclaw-2026-11-22.log",
      "/tmp/openclaw/openclaw-2026-11-21.log",
    ]);
  });

  it("a configured openclaw-<date>.log rolls daily in its folder, as OpenClaw's logger rolls it", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(logCandidates("/srv/logs/openclaw-2026-11-01.log", "/home/op", now)).toEqual([
      "/srv/logs/openclaw-2026-11-23.log",
      "/srv/logs/openclaw-2026-11-22.log",
      "/srv/logs/openclaw-2026-11-21.log",
    ]);
    expect(logCandidates("~/logs/openclaw-YYYY-MM-DD.log", "/home/op", now)[1]).toBe(
      "/home/op/logs/openclaw-2026-11-22.log",
    );
    // A profile's file (openclaw-<profile>-<date>.log) is not advanced by OpenClaw when configured.
    expect(logCandidates("/srv/logs/openclaw-work-2026-11-01.log", "/home/op", now)).toEqual([
      "/srv/logs/openclaw-work-2026-11-01.log",
    ]);
  });
});

describe("logs.signatures probe on files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawops-logs-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (config: unknown, maxBytes?: number) => {
    const configPath = join(dir, "openclaw.json");
    await writeFile(configPath, JSON.stringify(config));
    const ctx = resolveProbeContext(
      { HOME: dir, OPENCLAW_CONFIG_PATH: configPath, PATH: "" },
      { openclawBin: "/nonexistent" },
    );
    const [r] = await runSteps(ctx, [{ step: "logs.signatures", args: maxBytes ? { maxBytes } : {} }], {
      deadlineMs: 5_000,
    });
    return r;
  };

  it("the newest day's file that is there is the one a single read takes (tomorrow's by UTC seldom is)", async () => {
    const [tomorrow, today, yesterday] = logCandidates(join(dir, "openclaw-2026-11-01.log"), dir, new Date());
    await writeFile(today ?? "", "x\n");
    await writeFile(yesterday ?? "", "x\n");
    expect(await firstLogFile([tomorrow ?? "", today ?? "", yesterday ?? ""])).toBe(today);
    expect(await firstLogFile([join(dir, "none.log")])).toBeNull();
  });

  it("a missing file is data: found false, with the path tried", async () => {
    const r = await run({ logging: { file: join(dir, "nope.log") } });
    expect(r).toMatchObject({ status: "ok", data: { found: false, path: null, tried: [join(dir, "nope.log")] } });
  });

  it("reads only the tail, starting at a whole line", async () => {
    const file = join(dir, "gw.log");
    const filler = Array.from(
      { length: 400 },
      (_, i) => `2026-11-22T08:00:00.000Z [gateway] filler line ${i} ${"x".repeat(40)}`,
    );
    await writeFile(
      file,
      [
        `2026-11-22T07:00:00.000Z [reload] config reload failed: old`,
        ...filler,
        fixture("logs/real-gateway.jsonl"),
      ].join("\n"),
    );
    const r = await run({ logging: { file } }, 16_384);
    expect(r?.status).toBe("ok");
    const data = r?.step === "logs.signatures" ? r.data : undefined;
    expect(data?.found).toBe(true);
    expect(data?.bytesRead).toBeLessThanOrEqual(16_384);
    expect(data?.linesSkipped).toBe(0);
    // The old failure lies before the tail; the real one is inside it.
    expect(data?.signatures.find((s) => s.kind === "reload-failed")?.count).toBe(1);
  });
});
