import { describe, expect, it } from "vitest";
import { STEP_NAMES, StepResult } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { RULES } from "../../src/core/classify/rules.ts";
import { LAYERS } from "../../src/core/vocabulary/layers.ts";
import { gatewayDownData, healthyData, healthyResults, tokenDriftData, toResults } from "../support/evidence.ts";

const classify = (results: StepResult[]) => classifyResults(results, STEP_NAMES);
const top = (results: StepResult[]) => classify(results).findings[0];

describe("classifier on a healthy gateway", () => {
  it("finds nothing failing and reports every layer, never one boolean", () => {
    const c = classify(healthyResults());
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
    expect(Object.keys(c.matrix).sort()).toEqual([...LAYERS].sort());
    for (const layer of ["process", "port", "transport", "auth", "scope", "config", "workspace", "channels"] as const) {
      expect(c.matrix[layer].status, layer).toBe("ok");
    }
    // Not probed by the foundation catalog: says so instead of guessing.
    expect(c.matrix.policy).toEqual({ status: "unknown", reason: "not checked by this probe set" });
    // No service manager here: `Runtime: unknown` is not a fault (GATEWAY-FACTS §3.1).
    expect(c.matrix.service.status).toBe("unknown");
  });
});

describe("classifier on injected faults", () => {
  it("token drift: ranks token-drift first, quotes the detail code and which source the gateway accepts", () => {
    const c = classify(toResults(tokenDriftData()));
    const f = c.findings[0];
    expect(f?.id).toBe("token-drift");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence.join("\n")).toContain("details.code AUTH_TOKEN_MISMATCH");
    expect(f?.evidence.join("\n")).toContain("closed 1008");
    expect(f?.evidence.join("\n")).toContain("running gateway accepts sha256:99aa88bb77cc (= process-argv)");
    expect(f?.falseGreen).toContain("/healthz answered 200");
    expect(c.matrix.auth.status).toBe("fail");
    expect(c.matrix.transport.status).toBe("ok");
    // Drift is one root cause: the latent-drift warning must not be listed beside it.
    expect(c.findings.map((x) => x.id)).not.toContain("token-sources-disagree");
  });

  it("gateway down: ranks gateway-down first and names the probe that lies", () => {
    const c = classify(toResults(gatewayDownData()));
    expect(c.findings[0]?.id).toBe("gateway-down");
    expect(c.findings[0]?.evidence).toContain("port 19001: no listener; openclaw-gateway processes: 0");
    expect(c.findings[0]?.falseGreen).toContain("`openclaw gateway status` exited 0");
    expect(c.matrix.process.status).toBe("fail");
    expect(c.matrix.auth).toEqual({ status: "unknown", reason: "gateway unreachable" });
  });

  it("port held by something else", () => {
    const d = healthyData();
    d.listeners = {
      port: 19001,
      method: "procfs",
      listeners: [{ pid: 4242, command: "python3", address: "127.0.0.1:19001" }],
      gatewayProcesses: [],
    };
    d.ws = {
      url: d.ws.url,
      outcome: "upgrade-refused",
      challenged: false,
      tokenSource: "config",
      upgradeStatus: 200,
      error: { message: "Unexpected server response: 200" },
    };
    expect(top(toResults(d))?.id).toBe("port-held-by-other");
  });

  it("two gateway processes", () => {
    const d = healthyData();
    d.listeners.gatewayProcesses.push({ pid: 9001, command: "openclaw-gatewa", commandLine: "openclaw-gateway" });
    const f = top(toResults(d));
    expect(f?.id).toBe("dual-gateway-process");
    expect(f?.evidence).toHaveLength(2);
  });

  it("token missing: DEVICE_IDENTITY_REQUIRED is read as a missing token (GATEWAY-FACTS §7.4)", () => {
    const d = healthyData();
    d.ws = {
      url: d.ws.url,
      outcome: "rejected",
      challenged: true,
      tokenSource: null,
      error: { code: "NOT_PAIRED", message: "device identity required", detailCode: "DEVICE_IDENTITY_REQUIRED" },
      close: { code: 1008, reason: "device identity required" },
    };
    d.config.tokenConfigured = false;
    expect(top(toResults(d))?.id).toBe("token-missing");
  });

  it("protocol mismatch", () => {
    const d = healthyData();
    d.ws = {
      url: d.ws.url,
      outcome: "rejected",
      challenged: true,
      tokenSource: "config",
      error: { code: "INVALID_REQUEST", message: "protocol mismatch", detailCode: "PROTOCOL_MISMATCH" },
      close: { code: 1002, reason: "protocol mismatch" },
    };
    const c = classify(toResults(d));
    expect(c.findings[0]?.id).toBe("protocol-mismatch");
    expect(c.matrix.transport.status).toBe("fail");
  });

  it("missing operator scope is a warning with the false green named", () => {
    const d = healthyData();
    d.ws.auth = { method: "token", role: "operator", scopes: [] };
    d.ws.statusRpc = {
      ok: false,
      error: {
        code: "FORBIDDEN",
        message: "missing scope: operator.read",
        detailCode: "MISSING_SCOPE",
        missingScope: "operator.read",
      },
    };
    const f = top(toResults(d));
    expect(f).toMatchObject({ id: "missing-operator-scope", severity: "warn" });
    expect(f?.falseGreen).toContain("handshake itself succeeded");
  });

  it("workspace missing (warn) and not a directory (fail)", () => {
    const d = healthyData();
    d.config.workspace = { path: "/srv/gone", exists: false, isDirectory: false };
    expect(top(toResults(d))).toMatchObject({ id: "workspace-missing", severity: "warn" });
    d.config.workspace = { path: "/srv/file", exists: true, isDirectory: false };
    expect(top(toResults(d))).toMatchObject({ id: "workspace-not-directory", severity: "fail" });
  });

  it("gateway.mode not local, including missing", () => {
    const d = healthyData();
    d.config.mode = "remote";
    expect(top(toResults(d))?.evidence).toEqual(["config /home/op/.openclaw/openclaw.json: gateway.mode=remote"]);
    d.config.mode = null;
    expect(top(toResults(d))?.evidence[0]).toContain("gateway.mode=(missing)");
  });

  it("close 1000 with an empty reason before hello-ok is a failure, not success", () => {
    const d = healthyData();
    d.ws = {
      url: d.ws.url,
      outcome: "closed",
      challenged: true,
      tokenSource: "config",
      close: { code: 1000, reason: "" },
    };
    const c = classify(toResults(d));
    expect(c.findings[0]?.id).toBe("close-1000-not-success");
    expect(c.findings[0]?.evidence).toContain("closed 1000 with an empty reason");
    expect(c.matrix.transport.status).toBe("fail");
  });
});

describe("classifier robustness", () => {
  it("a probe that timed out or failed leaves its layers unknown with the reason", () => {
    const results = healthyResults().map(
      (r): StepResult =>
        r.step === "gateway.status"
          ? { step: "gateway.status", status: "timeout", durationMs: 10_000 }
          : r.step === "config"
            ? {
                step: "config",
                status: "error",
                durationMs: 2,
                error: { code: "EACCES", message: "permission denied" },
              }
            : r,
    );
    const c = classify(results);
    expect(c.matrix.service).toEqual({ status: "unknown", reason: "probe timed out after 10000 ms" });
    expect(c.matrix.config).toEqual({ status: "unknown", reason: "probe failed: permission denied" });
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
  });

  it("no results at all (agent lost before anything arrived): every layer unknown, no finding", () => {
    const c = classify([]);
    expect(c.findings).toEqual([]);
    for (const layer of LAYERS) expect(c.matrix[layer].status).toBe("unknown");
  });

  it("a rule that throws on odd data does not take the triage down", () => {
    const boom = {
      ...RULES[0],
      id: "boom",
      match: () => {
        throw new Error("bad data");
      },
    } as (typeof RULES)[number];
    expect(() => classifyResults(healthyResults(), STEP_NAMES, [boom, ...RULES])).not.toThrow();
  });

  it("every rule has the data a person needs", () => {
    const ids = new Set<string>();
    for (const r of RULES) {
      expect(ids.has(r.id), r.id).toBe(false);
      ids.add(r.id);
      expect(r.explanation.length, r.id).toBeGreaterThan(60);
      expect(r.nextCommands.length, r.id).toBeGreaterThan(0);
      expect(LAYERS).toContain(r.layer);
    }
  });
});

describe("classifier with several gateways on one host", () => {
  it("an intentional second gateway (another config) is not a duplicate", () => {
    const d = healthyData();
    d.listeners.gatewayProcesses = [
      { pid: 8088, command: "openclaw-gatewa", servesThisConfig: true },
      { pid: 9100, command: "openclaw-gatewa", servesThisConfig: false },
    ];
    const c = classify(toResults(d));
    expect(c.findings.map((f) => f.id)).not.toContain("dual-gateway-process");
    expect(c.matrix.process).toEqual({
      status: "ok",
      reason: "openclaw-gateway pid 8088 (+1 gateway of other configs on this host)",
    });
  });

  it("another config's gateway does not hide that this one is down", () => {
    const d = gatewayDownData();
    d.listeners.gatewayProcesses = [{ pid: 9100, command: "openclaw-gatewa", servesThisConfig: false }];
    expect(classify(toResults(d)).findings[0]?.id).toBe("gateway-down");
  });
});

describe("classifier when the agent cannot see OpenClaw", () => {
  it("no CLI and no config: says so first, instead of only 'gateway down'", () => {
    const d = openclawInvisibleData();
    const c = classify(toResults(d));
    expect(c.findings.map((f) => f.id).slice(0, 2)).toEqual(["openclaw-not-found", "gateway-down"]);
    expect(c.findings[0]?.evidence).toEqual([
      "openclaw --version: spawn openclaw ENOENT",
      "config /home/op/.openclaw/openclaw.json: file not found",
    ]);
    expect(c.matrix.workspace).toEqual({ status: "unknown", reason: "config not readable" });
  });
});

describe("classifier on a gateway that hangs", () => {
  it("port open, no answer to connect: gateway-unresponsive, not 'down' and not 'ok'", () => {
    const d = healthyData();
    d.ws = {
      url: d.ws.url,
      outcome: "timeout",
      challenged: true,
      tokenSource: "config",
      error: { message: "no answer within 9000 ms" },
    };
    const c = classify(toResults(d));
    expect(c.findings[0]?.id).toBe("gateway-unresponsive");
    expect(c.findings[0]?.evidence).toContain("challenge received, connect unanswered");
    expect(c.findings.map((f) => f.id)).not.toContain("gateway-down");
    expect(c.matrix.transport.status).toBe("fail");
    expect(c.matrix.process.status).toBe("ok");
  });
});

describe("log evidence when the agent cannot see OpenClaw", () => {
  it("the machine-wide default log is not attributed to a gateway the agent cannot see", () => {
    const d = openclawInvisibleData();
    const results: StepResult[] = [
      ...toResults(d),
      StepResult.parse({
        step: "logs.signatures",
        status: "ok",
        durationMs: 3,
        data: {
          found: true,
          path: "/tmp/openclaw/openclaw-2026-11-22.log",
          tried: ["/tmp/openclaw/openclaw-2026-11-22.log"],
          bytesRead: 900,
          linesScanned: 2,
          linesSkipped: 0,
          signatures: [
            {
              kind: "start-blocked",
              count: 1,
              lastAt: "2026-11-22T07:00:00Z",
              examples: ["Gateway start blocked: set gateway.mode=local"],
            },
          ],
        },
      }),
    ];
    const c = classify(results);
    expect(c.findings[0]?.id).toBe("openclaw-not-found");
    expect(c.findings.map((f) => f.id)).not.toContain("start-blocked-mode");
  });
});

/** A stopped gateway seen by an agent that finds no `openclaw` CLI and no config. */
function openclawInvisibleData() {
  const d = gatewayDownData();
  d.versions = { ...d.versions, openclaw: null, openclawError: "spawn openclaw ENOENT" };
  d.config = {
    ...d.config,
    exists: false,
    mode: null,
    bind: null,
    port: null,
    portSource: "default",
    authMode: null,
    tokenConfigured: false,
    workspace: null,
  };
  return d;
}
