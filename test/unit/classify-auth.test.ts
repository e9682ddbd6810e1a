import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import { type GatewayWsData, type LogSignaturesData, STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { RULE_CHECKS } from "../../src/core/classify/rule-checks.ts";
import { RULES } from "../../src/core/classify/rules.ts";
import { type Data, gatewayDownData, healthyData, toResults } from "../support/evidence.ts";

/**
 * The auth/close-code/service rules (rules-auth.ts, rules-service.ts) on the gateway's captured
 * failure frames (GATEWAY-FACTS §4.3, quoted verbatim) and on real or constructed log lines.
 */
const classify = (d: Data) => classifyResults(toResults(d), STEP_NAMES);
const ids = (d: Data) => classify(d).findings.map((f) => f.id);
const URL_ = "ws://127.0.0.1:19001";

function rejected(code: string, message: string, detailCode: string | undefined, close: number): Data {
  const d = healthyData();
  d.ws = {
    url: URL_,
    outcome: "rejected",
    challenged: true,
    tokenSource: "config",
    error: { code, message, ...(detailCode ? { detailCode } : {}) },
    close: { code: close, reason: message },
  };
  return d;
}

function closed(code: number, reason: string): Data {
  const d = healthyData();
  const ws: GatewayWsData = {
    url: URL_,
    outcome: "closed",
    challenged: true,
    tokenSource: "config",
    close: { code, reason },
  };
  d.ws = ws;
  return d;
}

function logsFrom(text: string): LogSignaturesData {
  return {
    found: true,
    path: "/home/op/.openclaw/logs/gateway.log",
    tried: [],
    bytesRead: text.length,
    ...scanLogText(text),
  };
}
const realLog = readFileSync(new URL("./fixtures/openclaw/logs/real-gateway.jsonl", import.meta.url), "utf8");

describe("handshake refusals beyond the shared token", () => {
  it.each([
    [
      "AUTH_DEVICE_TOKEN_MISMATCH",
      "INVALID_REQUEST",
      "unauthorized: device token mismatch",
      "device-token-mismatch",
      "auth",
    ],
    ["PAIRING_REQUIRED", "NOT_PAIRED", "device pairing required", "pairing-required", "auth"],
    ["PAIRING_REQUIRED", "NOT_PAIRED", "scope upgrade pending approval", "pairing-required", "auth"],
    [
      "DEVICE_AUTH_SIGNATURE_EXPIRED",
      "INVALID_REQUEST",
      "device signature expired",
      "device-identity-required",
      "auth",
    ],
    [
      "CONTROL_UI_DEVICE_IDENTITY_REQUIRED",
      "INVALID_REQUEST",
      "device identity required",
      "device-identity-required",
      "auth",
    ],
    ["CONTROL_UI_ORIGIN_NOT_ALLOWED", "INVALID_REQUEST", "origin not allowed", "origin-not-allowed", "policy"],
    ["AUTH_SCOPE_MISMATCH", "INVALID_REQUEST", "unauthorized: scope mismatch", "scope-mismatch", "scope"],
  ])("%s (%s) → %s, evidence quotes the frame, layer fails", (detail, code, message, id, layer) => {
    const c = classify(rejected(code, message, detail, 1008));
    const f = c.findings[0];
    expect(f?.id).toBe(id);
    expect(f?.severity).toBe("fail");
    expect(f?.evidence).toContain(`connect → ${code} "${message}" (details.code ${detail})`);
    expect(c.matrix[layer as keyof typeof c.matrix].status).toBe("fail");
    expect(f?.nextCommands.length).toBeGreaterThan(0);
  });

  it("missing token without a device (DEVICE_IDENTITY_REQUIRED, captured) stays token-missing, not a pairing finding", () => {
    const d = rejected("NOT_PAIRED", "device identity required", "DEVICE_IDENTITY_REQUIRED", 1008);
    expect(ids(d)).toEqual(["token-missing"]);
  });

  it("AUTH_RATE_LIMITED is a warning about a consequence, never the only fail", () => {
    const d = rejected(
      "INVALID_REQUEST",
      "unauthorized: too many failed authentication attempts (retry later)",
      "AUTH_RATE_LIMITED",
      1008,
    );
    const f = classify(d).findings.find((x) => x.id === "auth-rate-limited");
    expect(f?.severity).toBe("warn");
  });

  it("device-token-mismatch names /healthz as the check that lied", () => {
    const f = classify(rejected("INVALID_REQUEST", "device token mismatch", "AUTH_DEVICE_TOKEN_MISMATCH", 1008))
      .findings[0];
    expect(f?.falseGreen).toContain("/healthz answered 200");
  });
});

describe("close codes, with what each means", () => {
  it("4001 gateway auth changed → auth warning, not a transport failure", () => {
    const c = classify(closed(4001, "gateway auth changed"));
    expect(c.findings.map((f) => [f.id, f.severity])).toEqual([["close-4001-auth-changed", "warn"]]);
    expect(c.findings[0]?.evidence).toContain('closed 4001 "gateway auth changed"');
  });

  it("1012 service restart → the gateway is restarting", () => {
    const c = classify(closed(1012, "service restart"));
    expect(c.findings[0]?.id).toBe("close-1012-service-restart");
    expect(c.findings[0]?.explanation).toMatch(/restart/);
  });

  it("1000 with an empty reason before hello-ok is a failure, not success", () => {
    expect(ids(closed(1000, ""))[0]).toBe("close-1000-not-success");
  });

  it("1008 with only a reason (captured: invalid request frame) → the reason is the diagnosis", () => {
    const c = classify(closed(1008, "invalid request frame"));
    expect(c.findings[0]?.id).toBe("close-1008-policy");
    expect(c.findings[0]?.evidence).toContain('closed 1008 "invalid request frame"');
  });

  it("1008 origin not allowed as a bare close reason → origin-not-allowed, not the generic 1008", () => {
    expect(ids(closed(1008, "origin not allowed"))).toEqual(["origin-not-allowed"]);
  });
});

describe("log lines: handshake timeouts, parse errors, crash loops", () => {
  it("a real parse/handle error after the last ready → frame-parse-errors-in-logs (warn)", () => {
    const d = healthyData();
    d.logs = logsFrom(realLog.split("\n").slice(0, 17).join("\n"));
    const f = classify(d).findings.find((x) => x.id === "frame-parse-errors-in-logs");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence.some((l) => l.includes("parse/handle error: SyntaxError"))).toBe(true);
  });

  it("handshake timeouts after the last ready → warning; before it → history", () => {
    const d = healthyData();
    const timeout = "2026-11-22T09:02:00.000+00:00 [ws] handshake timeout conn=5b0c phase=ws_upgrade_started";
    d.logs = logsFrom(`2026-11-22T09:00:00.000+00:00 [gateway] ready\n${timeout}`);
    expect(ids(d)).toEqual(["handshake-timeouts-in-logs"]);
    d.logs = logsFrom(`${timeout}\n2026-11-22T09:03:00.000+00:00 [gateway] ready`);
    expect(ids(d)).toEqual([]);
  });

  it("repeated 'Gateway failed to start' with the gateway down → crash loop ranks above gateway-down", () => {
    const d = gatewayDownData();
    const fail = (t: string) =>
      `2026-11-22T09:0${t}.000+00:00 Gateway failed to start: OpenClaw startup migrations did not complete cleanly; refusing to report the gateway ready.`;
    d.logs = logsFrom(
      ["2026-11-22T09:00:00.000+00:00 [gateway] ready", fail("1:00"), fail("1:10"), fail("1:20")].join("\n"),
    );
    const c = classify(d);
    // The refusal's own reason comes right after the loop, before the bare "not running".
    expect(c.findings.map((f) => f.id).slice(0, 3)).toEqual([
      "gateway-crash-loop",
      "gateway-start-refused",
      "gateway-down",
    ]);
    expect(c.findings[0]?.evidence[0]).toMatch(/3 "start-failed" lines/);
    expect(c.matrix.service.status).toBe("fail");
  });

  it("one failed start (the real EADDRINUSE duplicate) while the gateway serves is not a crash loop", () => {
    const d = healthyData();
    d.logs = logsFrom(realLog);
    expect(ids(d)).not.toContain("gateway-crash-loop");
  });
});

describe("policy tightened", () => {
  it("doctor's dmPolicy allowlist warning (wording from openclaw 2026.9.6) → policy-tightened", () => {
    const d = healthyData();
    d.lint = {
      exitCode: 1,
      timedOut: false,
      findings: [
        {
          checkId: "core/doctor/channel-dm-policy",
          severity: "warning",
          message: '- channels.telegram.dmPolicy is "allowlist" but allowFrom is empty — all DMs will be blocked.',
        },
      ],
    };
    const c = classify(d);
    expect(c.findings.map((f) => f.id)).toEqual(["policy-tightened"]);
    expect(c.matrix.policy.status).toBe("warn");
  });

  it("heartbeats skipped as dm-blocked → policy-tightened quotes the count", () => {
    const d = healthyData();
    d.logs = logsFrom("2026-11-22T09:05:00.000+00:00 [heartbeat] heartbeat skipped agent=main reason=dm-blocked");
    const f = classify(d).findings.find((x) => x.id === "policy-tightened");
    expect(f?.evidence).toEqual(["gateway log: 1 heartbeat(s) skipped with reason=dm-blocked"]);
  });
});

describe("ranked answer: how to be sure", () => {
  it("every rule in the catalog has a 'would confirm' and a 'would rule out' check, and no check is orphaned", () => {
    const ruleIds = RULES.map((r) => r.id).sort();
    expect(Object.keys(RULE_CHECKS).sort()).toEqual(ruleIds);
    for (const c of Object.values(RULE_CHECKS)) {
      expect(c.confirm.length).toBeGreaterThan(10);
      expect(c.ruleOut.length).toBeGreaterThan(10);
    }
  });

  it("a finding whose evidence a higher-ranked finding already quotes is marked as its consequence", () => {
    const d = rejected("INVALID_REQUEST", "device token mismatch", "AUTH_DEVICE_TOKEN_MISMATCH", 1008);
    const byId = (id: string) => RULES.find((r) => r.id === id) as (typeof RULES)[number];
    // A second rule reading the same frame (as a log rule and a live rule can): same lines, lower rank.
    const echo = {
      ...byId("close-1008-policy"),
      id: "echo",
      severity: "warn" as const,
      match: byId("device-token-mismatch").match,
    };
    const c = classifyResults(toResults(d), STEP_NAMES, [byId("device-token-mismatch"), echo]);
    expect(c.findings.map((f) => [f.id, f.explainedBy])).toEqual([
      ["device-token-mismatch", null],
      ["echo", "device-token-mismatch"],
    ]);
    expect(c.findings[0]?.wouldConfirm).toBe(RULE_CHECKS["device-token-mismatch"]?.confirm);
  });

  it("a crash loop with its cause in the log: the cause first, then the loop, then 'down'", () => {
    const down = gatewayDownData();
    down.logs = logsFrom(
      [
        "2026-11-22T09:00:00.000+00:00 [gateway] ready",
        "2026-11-22T09:01:00.000+00:00 refusing to bind gateway to 0.0.0.0:19001 without auth",
        "2026-11-22T09:01:00.100+00:00 Gateway failed to start: refusing to bind gateway to 0.0.0.0:19001 without auth",
        "2026-11-22T09:01:10.000+00:00 refusing to bind gateway to 0.0.0.0:19001 without auth",
        "2026-11-22T09:01:10.100+00:00 Gateway failed to start: refusing to bind gateway to 0.0.0.0:19001 without auth",
      ].join("\n"),
    );
    const ranked = classify(down).findings;
    expect(ranked.map((f) => f.id).slice(0, 3)).toEqual(["refusing-to-bind", "gateway-crash-loop", "gateway-down"]);
    expect(ranked.every((f) => f.wouldConfirm && f.wouldRuleOut)).toBe(true);
  });
});

describe("robustness: odd, empty or future input gives unknown or an honest layer, never a confident wrong cause", () => {
  const noCause = ["token-drift", "token-missing", "pairing-required", "device-token-mismatch", "gateway-down"];

  it("a detail code from a future gateway: auth fails with the code as the reason, no named cause is guessed", () => {
    const c = classify(rejected("INVALID_REQUEST", "unauthorized: something new", "AUTH_SOMETHING_NEW", 1008));
    expect(c.matrix.auth).toEqual({ status: "fail", reason: "AUTH_SOMETHING_NEW" });
    for (const id of noCause) expect(c.findings.map((f) => f.id)).not.toContain(id);
  });

  it("an unknown close code before hello-ok: transport fails with the code, no close-code rule claims it", () => {
    const c = classify(closed(4999, "future reason"));
    expect(c.matrix.transport.reason).toContain("4999");
    expect(c.findings.map((f) => f.id)).toEqual([]);
  });

  it("the gateway.ws step timed out or failed: transport, auth and scope stay unknown with the reason", () => {
    const results = toResults(healthyData()).map((r) =>
      r.step === "gateway.ws" ? { step: "gateway.ws" as const, status: "timeout" as const, durationMs: 10_000 } : r,
    );
    const c = classifyResults(results, STEP_NAMES);
    expect(c.matrix.transport.status).toBe("unknown");
    expect(c.matrix.transport.reason).toMatch(/timed out/);
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
  });

  it("an empty or cut-off log gives no log finding and does not throw", () => {
    const d = healthyData();
    d.logs = logsFrom("");
    expect(ids(d)).toEqual([]);
    d.logs = logsFrom('{"0":"{\\"subsystem\\":\\"gateway/ws\\"}","1":"handshake time');
    expect(ids(d)).toEqual([]);
  });
});
