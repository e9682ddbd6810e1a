import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  AGENT_SCHEMAS,
  CHECKS_FILE,
  CHECKS_TYPES_FILE,
  REGENERATE,
  renderChecks,
  renderCheckTypes,
} from "../../scripts/gen-agent-checks.ts";
import * as generated from "../../src/agent/checks.generated.js";
import { check } from "../../src/agent/checks.ts";
import { AgentFrame, HubFrame, parseFrame } from "../../src/contract/agent-wire.ts";

/**
 * The agent checks values with validators generated from the zod schemas (scripts/gen-agent-checks.ts);
 * the control plane parses with zod. Both must say the same about every value: the recorded frames
 * of wire protocol v1, the agent's own files, and every value one edit away from those (a key
 * removed, a value of the wrong type, a string or number out of range). Where zod accepts, the
 * generated check accepts and zod reads what it leaves exactly as zod read the original (it fills
 * the same defaults; it keeps keys zod would drop, and zod drops them on the control plane).
 */
type Name = keyof typeof AGENT_SCHEMAS;
const checks = Object.fromEntries(
  Object.entries(generated).map(([n, validate]) => [n, check<unknown>(validate)]),
) as Record<Name, ReturnType<typeof check<unknown>>>;

type Recorded = { raw: string; parsed?: unknown; reason?: string };
const recorded = JSON.parse(readFileSync(new URL("fixtures/wire/frames-v1.json", import.meta.url), "utf8")) as {
  hub: Recorded[];
  agent: Recorded[];
};

const clone = <T>(v: T): T => structuredClone(v);

/** Every value one edit away from `value`: each key removed, each leaf and subtree replaced by a misfit. */
function variants(value: unknown): unknown[] {
  const misfits: unknown[] = [null, -1, 1.5, 1e12, "", "x".repeat(200), true, [], {}, "ok"];
  const out: unknown[] = [];
  const walk = (node: unknown, set: (v: unknown) => unknown, remove: (() => unknown) | null) => {
    for (const m of misfits) out.push(set(m));
    if (remove) out.push(remove());
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        walk(
          child,
          (v) => set(node.map((c, j) => (j === i ? v : c))),
          () => set(node.filter((_, j) => j !== i)),
        );
      });
    } else if (node && typeof node === "object") {
      for (const key of Object.keys(node)) {
        const rec = node as Record<string, unknown>;
        walk(
          rec[key],
          (v) => set({ ...rec, [key]: v }),
          () => {
            const { [key]: _, ...rest } = rec;
            return set(rest);
          },
        );
      }
      out.push(set({ ...(node as object), unknownKey: 1 }));
    }
  };
  walk(value, (v) => v, null);
  return out.map(clone);
}

/** The two agree on `value`; returns whether it was accepted. */
function agree(name: Name, value: unknown): boolean {
  const schema: z.ZodType = AGENT_SCHEMAS[name];
  const byZod = schema.safeParse(clone(value));
  const byCheck = checks[name].safeParse(clone(value));
  expect({ name, value, accepted: byCheck.success }).toEqual({ name, value, accepted: byZod.success });
  if (byZod.success && byCheck.success) expect(schema.parse(byCheck.data)).toEqual(byZod.data);
  if (!byZod.success && !byCheck.success) {
    // The first issue is where zod would point, whenever zod sees only one thing wrong.
    if (byZod.error.issues.length === 1) {
      expect({ name, value, at: byCheck.error.issues[0]?.path.map(String) }).toEqual({
        name,
        value,
        at: byZod.error.issues[0]?.path.map(String),
      });
    }
  }
  return byZod.success;
}

const recordedResults = (): unknown[] =>
  recorded.agent.flatMap((r) => {
    const frame = JSON.parse(r.raw) as { result?: unknown; results?: unknown[] };
    return [...(frame.result ? [frame.result] : []), ...(frame.results ?? [])];
  });

describe("the agent's generated checks (src/agent/checks.generated.js)", () => {
  it("are what the generator writes from today's schemas", () => {
    expect(readFileSync(new URL(`../../${CHECKS_FILE}`, import.meta.url), "utf8"), `run ${REGENERATE}`).toBe(
      renderChecks(),
    );
    expect(readFileSync(new URL(`../../${CHECKS_TYPES_FILE}`, import.meta.url), "utf8"), `run ${REGENERATE}`).toBe(
      renderCheckTypes(),
    );
  });

  it("read every recorded hub frame as zod does, and every frame one edit away", () => {
    let accepted = 0;
    let refused = 0;
    for (const r of recorded.hub) {
      const json = JSON.parse(r.raw);
      expect(parseFrame(checks.HubFrame, r.raw).ok).toBe(r.reason === undefined);
      for (const v of [json, ...variants(json)]) agree("HubFrame", v) ? accepted++ : refused++;
    }
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(1_000);
  });

  it("read every recorded step result as zod does, and every result one edit away", () => {
    const results = recordedResults();
    expect(new Set(results.map((r) => (r as { step: string }).step)).size).toBeGreaterThanOrEqual(16);
    let accepted = 0;
    let refused = 0;
    for (const r of results) for (const v of [r, ...variants(r)]) agree("StepResult", v) ? accepted++ : refused++;
    expect(accepted).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(3_000);
  });

  it("read the agent's files, approvals and the gateway's frames as zod does", () => {
    const claims = {
      v: 1,
      host: "node-3",
      step: "gateway.restart",
      approver: "U123",
      job: "job-1",
      nonce: "0123456789abcdef0123",
      iat: 1_700_000_000_000,
      exp: 1_700_000_060_000,
    };
    const samples: [Name, unknown][] = [
      ["ApprovalClaims", claims],
      ["AgentConfig", { server: "https://clawops.example/", host: "node-3", enrolledAt: "2026-11-24T10:00:00Z" }],
      ["AgentConfig", { server: "http://127.0.0.1:8787", host: "vm", enrolledAt: "x" }],
      ["AgentPolicy", { allow: ["gateway.restart", "doctor.fix"] }],
      ["AgentPolicy", { supervisor: { kind: "systemd", unit: "openclaw-gateway.service" } }],
      ["AgentPolicy", { allow: [], supervisor: { kind: "launchd", label: "ai.openclaw.gateway", domain: "gui/501" } }],
      ["AgentPolicy", { supervisor: { kind: "container", container: "openclaw-gateway" } }],
      ["AgentPolicy", { supervisor: { kind: "manual" } }],
      ["ApprovalPin", { publicKey: "A".repeat(43) }],
      ["UsedApprovalsFile", { v: 1, used: { "0123456789abcdef": 1_700_000_000_000 } }],
      ["JobId", "job-1"],
      ["StepRequest", { step: "gateway.ws", args: { timeoutMs: 5_000 } }],
      ["StepRequest", { step: "versions", args: {} }],
      [
        "HelloOk",
        {
          type: "hello-ok",
          protocol: 3,
          server: { version: "2026.9.6" },
          snapshot: { uptimeMs: 1, appliedConfigHash: "abc" },
          auth: { method: "token", role: "operator", scopes: ["operator.read"] },
        },
      ],
      ["GatewayFrame", { type: "res", id: "1", ok: false, error: { code: "x", details: { missingScope: "y" } } }],
      ["GatewayFrame", { type: "event", event: "tick", payload: { ts: 1 } }],
    ];
    for (const [name, sample] of samples) {
      expect(agree(name, sample), `${name} sample`).toBe(true);
      for (const v of variants(sample)) agree(name, v);
    }
  });

  it("fill in defaults as zod's parse does (policy.json's supervisor)", () => {
    const parsed = checks.AgentPolicy.safeParse({ supervisor: { kind: "container", container: "gw" } });
    expect(parsed).toEqual({
      success: true,
      data: { allow: [], supervisor: { kind: "container", container: "gw", engine: "docker" } },
    });
  });

  it("count string lengths in code points, as zod does", () => {
    // 63 code points in 126 UTF-16 units: zod's max(63) on `host` takes it, and 64 it refuses.
    const frame = { type: "welcome", host: "😀".repeat(63), heartbeatMs: 1_000 };
    expect(agree("HubFrame", frame)).toBe(true);
    expect(agree("HubFrame", { ...frame, host: "😀".repeat(64) })).toBe(false);
  });

  it("say where a frame is wrong, in the reason the agent logs", () => {
    const reason = (raw: unknown) => {
      const r = parseFrame(checks.HubFrame, JSON.stringify(raw));
      return r.ok ? "ok" : r.reason;
    };
    const run = { type: "job.run", jobId: "j", deadlineMs: 1_000 };
    expect(reason({ ...run, steps: [{ step: "gateway.restart", args: {} }] })).toBe(
      "malformed frame at steps.0.args.approval: must have required property 'approval'",
    );
    expect(reason({ ...run, steps: [{ step: "nope", args: {} }] })).toMatch(/^malformed frame at steps\.0\.step: /);
    expect(reason({ ...run, steps: [{ step: "versions", args: { extra: 1 } }] })).toMatch(
      /^malformed frame at steps\.0\.args: must NOT have additional properties/,
    );
    expect(reason({ type: "nope" })).toMatch(/^malformed frame at type: /);
    // What the agent sends is parsed by zod on the control plane, as before.
    expect(parseFrame(AgentFrame, recorded.agent[0]?.raw ?? "").ok).toBe(true);
    expect(parseFrame(HubFrame, recorded.hub[0]?.raw ?? "").ok).toBe(true);
  });
});
