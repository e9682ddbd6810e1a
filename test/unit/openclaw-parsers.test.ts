import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summarizeDoctorRepair } from "../../src/agent/probes/doctor-fix.ts";
import { parseJsonOutput, summarizeGatewayStatus } from "../../src/agent/probes/gateway-status.ts";
import { parseOpenclawVersion } from "../../src/agent/probes/versions.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/openclaw/${name}`, import.meta.url), "utf8");

describe("parseOpenclawVersion", () => {
  it("reads the captured banner", () => {
    expect(parseOpenclawVersion(fixture("version.up.out"))).toBe("2026.9.6");
  });

  it.each([
    ["OpenClaw 2026.9.6 (eb377ac)", "2026.9.6"],
    ["OpenClaw 2026.10.0-beta.2 (abc1234)\n", "2026.10.0-beta.2"],
    ["openclaw: Node 20.20.2: node:sqlite is unavailable; use 24.16+/26.1+", null],
    ["", null],
  ])("%j → %j", (input, expected) => {
    expect(parseOpenclawVersion(input)).toBe(expected);
  });
});

describe("summarizeGatewayStatus (captured `openclaw gateway status --json`)", () => {
  const summary = (name: string) => {
    const parsed = parseJsonOutput(fixture(name));
    if (!parsed.ok) throw new Error(parsed.error);
    return summarizeGatewayStatus(parsed.value);
  };

  it("healthy gateway", () => {
    expect(summary("gw-status-json.up.json")).toEqual({
      serviceLabel: "no supported service manager detected",
      serviceLoaded: false,
      runtimeStatus: "unknown",
      portStatus: "busy",
      rpcOk: true,
      rpcCapability: "connected_no_operator_scope",
      configCliPath: "<lab>/state/openclaw.json",
      configServicePath: "<lab>/state/openclaw.json",
      gatewayVersion: "2026.9.6",
      extraServices: 0,
    });
  });

  it("gateway stopped", () => {
    expect(summary("gw-status-json.fb-down.json")).toMatchObject({
      portStatus: "free",
      rpcOk: false,
      rpcCapability: "unknown",
      connectFailureKind: "unreachable",
      rpcError: "connect ECONNREFUSED 127.0.0.1:19001",
    });
    expect(summary("gw-status-json.fb-down.json").gatewayVersion).toBeUndefined();
  });

  it("token drift", () => {
    expect(summary("gw-status-json.fa-drift.json")).toMatchObject({
      portStatus: "busy",
      rpcOk: false,
      connectFailureKind: "auth-rejected",
      connectFailureDetailCode: "AUTH_TOKEN_MISMATCH",
      rpcError: "unauthorized: gateway token mismatch (provide gateway auth token)",
    });
  });

  it("tolerates a banner before the JSON and reports garbage as a parse error", () => {
    expect(parseJsonOutput('warning: something\n{"rpc":{"ok":true}}')).toEqual({
      ok: true,
      value: { rpc: { ok: true } },
    });
    expect(parseJsonOutput("")).toEqual({ ok: false, error: "no output on stdout" });
    expect(parseJsonOutput("Gateway: down").ok).toBe(false);
  });

  it("ignores shapes it does not know instead of throwing", () => {
    expect(summarizeGatewayStatus(null)).toEqual({});
    expect(summarizeGatewayStatus({ rpc: "nope", port: [] })).toEqual({});
  });
});

describe("summarizeDoctorRepair (captured `openclaw doctor --repair --non-interactive` on a fresh lab)", () => {
  it("lists the lines of every 'Doctor changes' box and the config rewrite", () => {
    const s = summarizeDoctorRepair(fixture("doctor-repair-noninteractive.txt"));
    expect(s.changes?.[0]).toBe("Tightened permissions on /tmp/dfx/state to 700");
    expect(s.changes).toContain("Disabled 1password");
    expect(s.changes).toContain('Create heartbeat monitor for agent "main" at 30m.');
    expect(s.changes).toHaveLength(32);
    // Advice boxes (Backups, Security, Workspace …) are not changes.
    expect(s.changes?.join("\n")).not.toMatch(/backup create|Memory system/);
    expect(s.configUpdated).toEqual({
      path: "/tmp/dfx/state/openclaw.json",
      backup: "/tmp/dfx/state/openclaw.json.bak",
    });
  });

  it("joins wrapped bullets, and reads empty, cut or other output as no changes", () => {
    const wrapped = [
      "◇  Doctor changes ─────────╮",
      "│                          │",
      "│  - Moved legacy session   │",
      "│    store to SQLite        │",
      "│  - Removed stale lock     │",
      "├──────────────────────────╯",
    ].join("\n");
    expect(summarizeDoctorRepair(wrapped).changes).toEqual([
      "Moved legacy session store to SQLite",
      "Removed stale lock",
    ]);
    for (const odd of ["", "◇  Doctor changes ───", "Error: something else entirely\n\u0000"]) {
      expect(summarizeDoctorRepair(odd)).toEqual({ changes: [], configUpdated: null });
    }
  });
});
