import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOG_PROBES } from "../../src/agent/probes/catalog-probes.ts";
import { AgentFrame, HubFrame, parseFrame } from "../../src/contract/agent-wire.ts";
import { ApprovalClaims } from "../../src/contract/approval.ts";
import {
  DEFAULT_STEP_DEADLINE_MS,
  MUTATING_STEPS,
  SLOW_STEPS,
  STEP_NAMES,
  StepArgs,
  TRIAGE_STEPS,
} from "../../src/contract/catalog.ts";
import { BUNDLE_DEADLINE_MS, BUNDLE_STEPS } from "../../src/core/bundles/bundle.ts";
import { TRIAGE_DEADLINE_MS } from "../../src/core/triage/triage.ts";

/**
 * Wire protocol v1 stays what it was when the step catalog was a set of parallel lists: the
 * fixture holds frames for every step (defaults, every argument, ok/error/timeout results,
 * a newer agent's extra fields, refused frames) and what the schemas of that day made of
 * each, the parsed frame or the refusal reason, recorded before the catalog was defined per
 * step. Never regenerate it from the current schemas.
 */
type Recorded = { raw: string; parsed?: unknown; reason?: string };
const recorded = JSON.parse(readFileSync(new URL("fixtures/wire/frames-v1.json", import.meta.url), "utf8")) as {
  hub: Recorded[];
  agent: Recorded[];
  approvalStepIssue: string;
};

const expectSame = (schema: typeof HubFrame | typeof AgentFrame, r: Recorded) => {
  const now = parseFrame<unknown>(schema, r.raw);
  if (r.reason !== undefined) expect(now).toEqual({ ok: false, reason: r.reason });
  else expect(now).toEqual({ ok: true, frame: r.parsed });
};

describe("step catalog on the wire (protocol v1)", () => {
  it("parses every recorded hub frame as before", () => {
    expect(recorded.hub.length).toBeGreaterThan(5);
    for (const r of recorded.hub) expectSame(HubFrame, r);
  });

  it("parses every recorded agent frame as before", () => {
    const steps = new Set(recorded.agent.map((r) => (r.parsed as { result?: { step: string } })?.result?.step));
    steps.delete(undefined);
    expect(steps.size).toBe(16);
    for (const r of recorded.agent) expectSame(AgentFrame, r);
  });

  it("approval claims name only the mutating steps, as before", () => {
    const bad = ApprovalClaims.safeParse({
      v: 1,
      host: "h",
      step: "versions",
      approver: "U",
      job: "j",
      nonce: "0123456789abcdef",
      iat: 1,
      exp: 2,
    });
    expect(bad.success ? null : bad.error.issues[0]?.message).toBe(recorded.approvalStepIssue);
  });
});

describe("what the catalog derives from its step definitions", () => {
  it("names, deadlines and flags as the parallel lists had them", () => {
    expect(STEP_NAMES).toEqual([
      "versions",
      "gateway.ws",
      "gateway.http",
      "port.listeners",
      "config",
      "tokens",
      "gateway.status",
      "doctor.lint",
      "models.status",
      "logs.signatures",
      "service.state",
      "state.files",
      "service.definition",
      "gateway.env",
      "gateway.inventory",
      "bundle.collect",
      "gateway.inflight",
      "gateway.acceptance",
      "gateway.restart",
      "doctor.fix",
      "agent.upgrade",
      "gateway.vitals",
      "state.locks",
      "gateway.tls",
      "gateway.switch",
    ]);
    expect(DEFAULT_STEP_DEADLINE_MS).toEqual({
      versions: 5_000,
      "gateway.ws": 9_000,
      "gateway.http": 3_000,
      "port.listeners": 3_000,
      config: 2_000,
      tokens: 12_000,
      "gateway.status": 15_000,
      "doctor.lint": 30_000,
      "models.status": 10_000,
      "logs.signatures": 3_000,
      "service.state": 6_000,
      "state.files": 3_000,
      "service.definition": 3_000,
      "gateway.env": 3_000,
      "gateway.inventory": 9_000,
      "bundle.collect": 30_000,
      "gateway.inflight": 12_000,
      "gateway.acceptance": 15_000,
      "gateway.restart": 90_000,
      "doctor.fix": 120_000,
      "agent.upgrade": 60_000,
      "gateway.vitals": 2_000,
      "state.locks": 3_000,
      "gateway.tls": 4_000,
      "gateway.switch": 300_000,
    });
    expect(Object.keys(StepArgs)).toEqual(STEP_NAMES);
    expect([...SLOW_STEPS]).toEqual(["gateway.status", "doctor.lint", "models.status"]);
    expect(MUTATING_STEPS).toEqual(["gateway.restart", "doctor.fix", "gateway.switch"]);
    expect(Object.keys(CATALOG_PROBES).sort()).toEqual([...STEP_NAMES].sort());
  });

  it("plans keep their order and deadlines", () => {
    const names = (steps: { step: string }[]) => steps.map((s) => s.step);
    expect(TRIAGE_STEPS.every((s) => Object.keys(s.args).length === 0)).toBe(true);
    expect(names(TRIAGE_STEPS)).toEqual([
      "versions",
      "gateway.ws",
      "gateway.http",
      "port.listeners",
      "config",
      "tokens",
      "logs.signatures",
      "service.state",
      "state.files",
      "service.definition",
      "gateway.env",
      "gateway.inventory",
      "gateway.vitals",
      "state.locks",
      "gateway.tls",
      "doctor.lint",
    ]);
    expect(TRIAGE_DEADLINE_MS).toBe(33_000);
    expect(names(BUNDLE_STEPS)).toEqual([
      "bundle.collect",
      "versions",
      "gateway.ws",
      "gateway.http",
      "port.listeners",
      "config",
      "tokens",
      "logs.signatures",
    ]);
    expect(BUNDLE_DEADLINE_MS).toBe(35_000);
  });
});
