import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { POLICY_FILE } from "../../src/agent/policy.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { passMutatingGate } from "../../src/agent/probes/mutating-gate.ts";
import { FileNonceLedger, USED_APPROVALS_FILE } from "../../src/agent/used-approvals.ts";
import { APPROVAL_CLOCK_SKEW_MS } from "../../src/contract/approval.ts";
import { enrolledAgentDir, testApproval } from "../support/approvals.ts";

/**
 * Issue 15, item 4: used approval nonces lived only in the agent's memory, so an approval
 * captured from a job was good again once the agent restarted.
 */
const GATE = join(import.meta.dirname, "../../src/agent/probes/mutating-gate.ts");

/** The gate in a fresh Node process: what a restarted agent (or a one-shot SSM run) does. */
function gateInNewProcess(agentDir: string, approval: string): { ok: boolean; refused?: string } {
  const script = `
    const { passMutatingGate } = await import(${JSON.stringify(GATE)});
    const gate = await passMutatingGate({ agentDir: process.env.DIR }, "gateway.restart", process.env.APPROVAL);
    process.stdout.write(JSON.stringify(gate));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, DIR: agentDir, APPROVAL: approval },
    encoding: "utf8",
    timeout: 15_000,
  });
  return JSON.parse(out) as { ok: boolean; refused?: string };
}

async function allowingAgent() {
  const lab = await enrolledAgentDir("node-1");
  writeFileSync(join(lab.agentDir, POLICY_FILE), JSON.stringify({ allow: ["gateway.restart"] }));
  return lab;
}

describe("approval replay across an agent restart", () => {
  it("approve, restart the agent (new process), replay: refused as already used", async () => {
    const { agentDir, key } = await allowingAgent();
    const approval = await testApproval(key, { host: "node-1", step: "gateway.restart" });
    const ctx = { ...resolveProbeContext({ HOME: agentDir }), agentDir };

    expect(await passMutatingGate(ctx, "gateway.restart", approval)).toMatchObject({ ok: true, host: "node-1" });
    const replayed = gateInNewProcess(agentDir, approval);
    expect(replayed).toEqual({ ok: false, refused: "approval refused: approval was already used" });
    // And a fresh approval still passes in the new process: the refusal is about the nonce.
    const fresh = await testApproval(key, { host: "node-1", step: "gateway.restart" });
    expect(gateInNewProcess(agentDir, fresh)).toMatchObject({ ok: true });
  });

  it("keeps the ledger 0600 and drops nonces once their approval has expired", async () => {
    const { agentDir } = await allowingAgent();
    const now = 1_800_000_000_000;
    const first = new FileNonceLedger(agentDir);
    expect(first.check("nonce-a", now + 60_000, now)).toBe(false);
    expect(first.check("nonce-b", now + 600_000, now)).toBe(false);
    const path = join(agentDir, USED_APPROVALS_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const restarted = new FileNonceLedger(agentDir);
    expect(restarted.check("nonce-a", now + 60_000, now + 1_000)).toBe(true);
    // Two minutes on, nonce-a's approval has expired (verifyApproval refuses it anyway): pruned.
    expect(restarted.check("nonce-c", now + 700_000, now + 120_000)).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).used).sort()).toEqual(["nonce-b", "nonce-c"]);
  });

  it("refuses an approval whose use cannot be recorded (unreadable ledger), with the reason", async () => {
    const { agentDir, key } = await allowingAgent();
    writeFileSync(join(agentDir, USED_APPROVALS_FILE), "{ not json");
    const approval = await testApproval(key, { host: "node-1", step: "gateway.restart" });
    const gate = await passMutatingGate({ ...resolveProbeContext({}), agentDir }, "gateway.restart", approval);
    expect(gate).toMatchObject({ ok: false, refused: expect.stringContaining("not a valid approval ledger") });
  });
});

/**
 * Issue 32, item 4: the ledger forgot a nonce once its expiry was behind the agent's wall clock,
 * so a clock that jumped forward (and an approval checked then) and back again made a used
 * approval good again: gateway.restart ran twice on one approval.
 */
describe("approval replay across a clock jump", () => {
  afterEach(() => vi.useRealTimers());
  const T0 = Date.parse("2026-11-25T10:00:00.000Z");
  const at = (ms: number) => vi.setSystemTime(new Date(ms));

  it("approve at T, the clock jumps a day ahead (another approval is checked), back to T+30 s, replay: refused", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { agentDir, key } = await allowingAgent();
    const ctx = { ...resolveProbeContext({ HOME: agentDir }), agentDir };
    at(T0);
    const approval = await testApproval(key, { host: "node-1", step: "gateway.restart" });
    expect(await passMutatingGate(ctx, "gateway.restart", approval)).toMatchObject({ ok: true });

    at(T0 + 24 * 3_600_000);
    const later = await testApproval(key, { host: "node-1", step: "gateway.restart" });
    expect(await passMutatingGate(ctx, "gateway.restart", later)).toMatchObject({ ok: true });

    at(T0 + 30_000);
    const replay = await passMutatingGate(ctx, "gateway.restart", approval);
    expect(replay.ok).toBe(false);
    expect(replay).toMatchObject({ refused: expect.stringContaining("clock is") });
    // In a new process (a restarted agent) too: the ledger on disk holds the time it saw.
    vi.useRealTimers();
    const ledger = JSON.parse(readFileSync(join(agentDir, USED_APPROVALS_FILE), "utf8"));
    expect(ledger.clockSeen).toBe(T0 + 24 * 3_600_000);
  });

  it("a small step back (within the tolerated skew) still takes a fresh approval, never the used one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { agentDir, key } = await allowingAgent();
    const ctx = { ...resolveProbeContext({ HOME: agentDir }), agentDir };
    at(T0);
    const approval = await testApproval(key, { host: "node-1", step: "gateway.restart" });
    expect(await passMutatingGate(ctx, "gateway.restart", approval)).toMatchObject({ ok: true });
    at(T0 - 20_000);
    expect(await passMutatingGate(ctx, "gateway.restart", approval)).toEqual({
      ok: false,
      refused: "approval refused: approval was already used",
    });
    const fresh = await testApproval(key, { host: "node-1", step: "gateway.restart" });
    expect(await passMutatingGate(ctx, "gateway.restart", fresh)).toMatchObject({ ok: true });
  });

  it("keeps a nonce until the latest clock seen is past its expiry plus the skew, not its expiry", async () => {
    const { agentDir } = await allowingAgent();
    const ledger = new FileNonceLedger(agentDir);
    const exp = T0 + 120_000;
    expect(ledger.check("nonce-a", exp, T0)).toBe(false);
    // Just past the expiry: a clock up to the skew behind could still accept it, so it is kept.
    expect(ledger.check("nonce-b", T0 + 600_000, exp + 1_000)).toBe(false);
    expect(ledger.check("nonce-a", exp, exp + 1_000)).toBe(true);
    // Past expiry + skew: forgotten (no accepted clock finds the approval unexpired any more).
    expect(ledger.check("nonce-c", T0 + 900_000, exp + APPROVAL_CLOCK_SKEW_MS)).toBe(false);
    const used = JSON.parse(readFileSync(join(agentDir, USED_APPROVALS_FILE), "utf8")).used;
    expect(Object.keys(used).sort()).toEqual(["nonce-b", "nonce-c"]);
  });

  it("reads a ledger written before clockSeen was kept, and still refuses its nonces", async () => {
    const { agentDir } = await allowingAgent();
    writeFileSync(join(agentDir, USED_APPROVALS_FILE), JSON.stringify({ v: 1, used: { "nonce-old": T0 + 120_000 } }));
    const ledger = new FileNonceLedger(agentDir);
    expect(ledger.check("nonce-old", T0 + 120_000, T0 + 60_000)).toBe(true);
  });
});
