import { describe, expect, it } from "vitest";
import { STEP_NAMES } from "../../src/contract/catalog.ts";
import { type Classification, classifyResults } from "../../src/core/classify/classify.ts";
import { RULES } from "../../src/core/classify/rules.ts";
import { freshGatewayModels, healthyData, toResults } from "../support/evidence.ts";

/**
 * Every sentence of an answer true (issue 14), on synthetic evidence: ownership, process
 * state, an uncreatable workspace, an unreadable config, ranking and the false green.
 * The same states are made for real in test/gateway/faults-truth.test.ts.
 */
const classify = (d: ReturnType<typeof healthyData>) => classifyResults(toResults(d), STEP_NAMES);
const ids = (c: Classification) => c.findings.map((f) => f.id);
const HEALTHY_CLAIM =
  /\b(gateway( itself)? is (up and )?healthy|everything else is healthy|while the gateway is healthy)\b/i;

describe("process state and ownership", () => {
  it("a stopped (T) gateway is not 'Process: ok': gateway-stopped ranks first", () => {
    const d = healthyData();
    d.listeners.gatewayProcesses = [{ pid: 8088, command: "openclaw-gatewa", state: "T", servesThisConfig: true }];
    d.ws = { url: d.ws.url, outcome: "timeout", challenged: false, tokenSource: "config" };
    d.http = { ...d.http, healthz: { status: null, error: "timeout" }, readyz: { status: null, error: "timeout" } };
    const c = classify(d);
    expect(ids(c)[0]).toBe("gateway-stopped");
    expect(c.matrix.process.status).toBe("fail");
    expect(c.matrix.process.reason).toContain("stopped");
    expect(c.matrix.port.status).toBe("ok");
  });

  it("a zombie gateway is never this config's gateway, nor a duplicate", () => {
    const d = healthyData();
    d.listeners.listeners = [];
    d.listeners.gatewayProcesses = [
      { pid: 8088, command: "openclaw-gatewa", state: "Z", servesThisConfig: false },
      { pid: 9100, command: "openclaw-gatewa", state: "S", servesThisConfig: false },
    ];
    d.ws = { url: d.ws.url, outcome: "refused", challenged: false, tokenSource: "config" };
    d.http = {
      ...d.http,
      healthz: { status: null, error: "ECONNREFUSED" },
      readyz: { status: null, error: "ECONNREFUSED" },
    };
    const c = classify(d);
    expect(ids(c)).not.toContain("dual-gateway-process");
    expect(c.matrix.process.status).toBe("fail");
    expect(c.matrix.process.reason).toContain("pid 8088 exited (zombie, state Z)");
    expect(c.matrix.process.reason).toContain("+1 gateway of other configs");
  });

  it("other gateways on the host are context: one own gateway stays ok", () => {
    const d = healthyData();
    d.listeners.gatewayProcesses.push({ pid: 9100, command: "openclaw-gatewa", state: "S", servesThisConfig: false });
    const c = classify(d);
    expect(c.matrix.process.status).toBe("ok");
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
  });
});

describe("workspace that cannot be created", () => {
  it("ENOTDIR under a regular file: workspace-uncreatable (fail), not 'missing'; the green checks are named", () => {
    const d = healthyData();
    d.config.workspace = {
      path: "/srv/afile/ws",
      exists: false,
      isDirectory: false,
      error: "ENOTDIR",
      blockedBy: { path: "/srv/afile", code: "ENOTDIR" },
    };
    const c = classify(d);
    expect(ids(c)[0]).toBe("workspace-uncreatable");
    expect(ids(c)).not.toContain("workspace-missing");
    expect(c.findings[0]?.evidence[0]).toBe(
      "workspace /srv/afile/ws: does not exist and cannot be created: /srv/afile is a regular file (ENOTDIR)",
    );
    expect(c.matrix.workspace.status).toBe("fail");
    expect(c.findings[0]?.falseGreen).toContain("/readyz 200");
    expect(c.findings[0]?.falseGreen).toContain("Connectivity probe: ok");
  });

  it("a creatable missing workspace stays a warning", () => {
    const d = healthyData();
    d.config.workspace = { path: "/srv/new-ws", exists: false, isDirectory: false };
    const c = classify(d);
    expect(ids(c)).toContain("workspace-missing");
    expect(c.matrix.workspace.status).toBe("warn");
  });
});

describe("a config that does not parse", () => {
  it("with this config's gateway running: its port (from its socket) is judged, the answer says it runs the last good config", () => {
    const d = healthyData();
    d.config = {
      ...d.config,
      parseError: "JSON5: invalid character 'x' at 1:2",
      mode: null,
      bind: null,
      authMode: null,
      tokenConfigured: false,
      workspace: null,
      portSource: "process",
      portPid: 8088,
    };
    const c = classify(d);
    expect(ids(c)[0]).toBe("config-unparseable-running");
    expect(ids(c)).not.toContain("config-unreadable");
    expect(c.findings[0]?.evidence[1]).toBe(
      "running openclaw-gateway pid 8088 of this config listens on 19001 (port read from its socket)",
    );
    expect(c.findings[0]?.title).toContain("a restart will be refused");
    for (const layer of ["process", "port", "transport", "auth"] as const) expect(c.matrix[layer].status).toBe("ok");
  });

  it("with no gateway of this config: what answers on the default port is not judged", () => {
    const d = healthyData();
    d.config = { ...d.config, parseError: "JSON5: invalid", port: 18789, portSource: "default", workspace: null };
    // Another profile's gateway on 18789 refuses our token: that is not drift of this one.
    d.listeners = {
      port: 18789,
      method: "procfs",
      listeners: [{ pid: 9100, command: "openclaw-gatewa", address: "127.0.0.1:18789" }],
      gatewayProcesses: [{ pid: 9100, command: "openclaw-gatewa", state: "S", servesThisConfig: false }],
    };
    d.ws = {
      url: "ws://127.0.0.1:18789",
      outcome: "rejected",
      challenged: true,
      tokenSource: null,
      error: { code: "INVALID_REQUEST", message: "unauthorized", detailCode: "AUTH_TOKEN_MISMATCH" },
      close: { code: 1008, reason: "unauthorized" },
    };
    const c = classify(d);
    expect(ids(c)[0]).toBe("config-unreadable");
    expect(ids(c)).not.toContain("token-drift");
    expect(c.matrix.port.status).toBe("unknown");
    expect(c.matrix.transport.status).toBe("unknown");
    expect(c.matrix.auth.status).not.toBe("fail");
  });
});

describe("no sentence contradicts the matrix", () => {
  it("no rule explanation or title calls the gateway healthy", () => {
    for (const r of RULES) expect(`${r.id}: ${r.title} ${r.explanation}`).not.toMatch(HEALTHY_CLAIM);
  });

  it("incident-specific warnings outrank the standing model-credentials warning", () => {
    const d = healthyData();
    d.models = freshGatewayModels();
    d.tokens = {
      sources: [
        {
          source: "config",
          where: "/home/op/.openclaw/openclaw.json",
          present: true,
          fingerprint: "sha256:1a2b3c4d5e6f",
        },
        { source: "shell-env", where: "OPENCLAW_GATEWAY_TOKEN", present: true, fingerprint: "sha256:999999999999" },
      ],
      distinct: 2,
    };
    const c = classify(d);
    expect(ids(c).slice(0, 2)).toEqual(["token-sources-disagree", "model-auth-missing"]);
    const tokens = c.findings[0]?.explanation ?? "";
    expect(tokens).not.toMatch(/next restart[^.]*will fail/);
  });

  it("a failing layer with a green trusted check: the failing finding names that check", () => {
    const d = healthyData();
    d.listeners.listeners = [{ pid: 4242, command: "python3", address: "127.0.0.1:19001" }];
    d.ws = { url: d.ws.url, outcome: "upgrade-refused", challenged: false, tokenSource: "config", upgradeStatus: 404 };
    const c = classify(d);
    expect(ids(c)[0]).toBe("port-held-by-other");
    expect(c.findings[0]?.falseGreen).toContain("/readyz 200");
  });

  it("where doctor says why a CLI backend fails, its words are quoted (captured from doctor --lint on 2026.9.6)", () => {
    const d = healthyData();
    d.models = { ...d.models, cliOnlyRoutes: [{ ref: "claude-cli/opus", source: "agents.defaults.model" }] };
    d.lint = {
      ...d.lint,
      findings: [
        ...(d.lint.findings ?? []),
        {
          checkId: "core/doctor/claude-cli",
          severity: "warning",
          message: 'Binary: command "claude" was not found on PATH.',
        },
      ],
    };
    const c = classify(d);
    expect(c.findings[0]?.id).toBe("cli-only-model-backend");
    expect(c.findings[0]?.evidence).toEqual([
      "model route claude-cli/opus (agents.defaults.model): provider ends in -cli",
      'doctor --lint: warning core/doctor/claude-cli: Binary: command "claude" was not found on PATH.',
    ]);
  });
});
