import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AgentFrame, HubFrame, parseFrame } from "../../src/contract/agent-wire.ts";
import { ApprovalClaims } from "../../src/contract/approval.ts";

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
