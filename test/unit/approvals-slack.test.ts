import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enroll } from "../../src/agent/enroll.ts";
import { loadApprovalPin, policyRefusal } from "../../src/agent/policy.ts";
import { generateApprovalKey, NonceLedger, signApproval, verifyApproval } from "../../src/contract/approval.ts";
import { fromBase64Url, toBase64Url } from "../../src/contract/encoding.ts";
import { newConfirmationId, requestConfirmation } from "../../src/core/confirmations/confirm.ts";
import { issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { ConfirmationRecord, Decision } from "../../src/core/ports/recovery.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { blockActionsBody, type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { postSlashCommand, signSlack } from "../support/slack-signing.ts";
import type { SlackStandIn } from "../support/slack-standin.ts";

/**
 * Confirmation buttons → signed approvals, with really signed Slack interactivity payloads,
 * and the agent-side checks (signature, host, step, expiry, nonce, local policy).
 */
const SECRET = "test-signing-secret-approvals-0123456";
const BOT_TOKEN = "xoxb-0000-test-bot-token-approvals";
const OWNER = "U0OWNER";
const OTHER = "U0OTHER";
const STRANGER = "U0STRANGER";
const CHANNEL = "C0INCIDENT";

let cp: ControlPlane;
let slack: SlackStandIn;
/** The key the agent pinned at enrollment (from the /api/enroll answer). */
let pinned: string;

const blockActions = (user: string, confirmationId: string, actionId = "clawops_approve") =>
  blockActionsBody({ user, channel: CHANNEL, actionId, value: confirmationId });
const press = (body: string, headers?: Record<string, string>) => plane.press(body, headers);

async function confirmation(host = "node-3", ttlMs?: number): Promise<ConfirmationRecord> {
  return requestConfirmation(
    cp.deps,
    {
      host,
      step: "gateway.restart",
      job: "job_test",
      requestedBy: OWNER,
      channel: CHANNEL,
      threadTs: null,
      summary: "Restart the gateway (manual process).",
    },
    ttlMs,
  );
}

const undecided = async (id: string) => (await cp.deps.recovery?.store.getConfirmation(id))?.decision === null;

let plane: SlackPlane;

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "approvals",
    secret: SECRET,
    botToken: BOT_TOKEN,
    channel: CHANNEL,
    authz: { actions: { freeze: { users: [OWNER] }, restart: { users: [OWNER, OTHER] } } },
    hosts: ["node-3", "node-4"],
    config: { console: true },
  });
  ({ cp, slack, pinned } = plane);
  expect(fromBase64Url(pinned)).toHaveLength(32);
  expect(
    (await postSlashCommand(cp.url, SECRET, { text: "freeze node-3 restart pending", user_id: OWNER })).body.text,
  ).toContain("Froze node-3");
});

afterAll(() => plane?.close());

describe("POST /slack/interactions", () => {
  it("changes nothing for a bad signature or a stale timestamp", async () => {
    const c = await confirmation();
    const body = blockActions(OWNER, c.id);
    const forged = { ...signSlack("not-the-secret", body) };
    expect((await press(body, forged)).status).toBe(401);
    const stale = signSlack(SECRET, body, Math.floor(Date.now() / 1000) - 600);
    expect((await press(body, stale)).status).toBe(401);
    // A correctly signed body whose payload was altered after signing.
    const signed = signSlack(SECRET, body);
    expect((await press(blockActions(OWNER, c.id, "clawops_cancel"), signed)).status).toBe(401);
    expect(await undecided(c.id)).toBe(true);
  });

  it("refuses users the authorization file does not allow, and non-owners of the freeze", async () => {
    const c = await confirmation();
    const stranger = await press(blockActions(STRANGER, c.id));
    expect(stranger.body).toMatchObject({ ok: false, error: { code: "forbidden" } });
    const other = await press(blockActions(OTHER, c.id));
    expect(other.body).toMatchObject({ ok: false, error: { code: "host_frozen" } });
    expect(await undecided(c.id)).toBe(true);
    // The refusal reason flows to the channel/thread.
    await slack.waitFor(
      () => slack.topLevel(CHANNEL).some((m) => m.text.includes("Only the freeze owner")),
      5_000,
      "refusal notice",
    );
  });

  it("refuses an expired confirmation and one on a host that is not frozen", async () => {
    const expired = await confirmation("node-3", 1);
    await new Promise((r) => setTimeout(r, 10));
    expect((await press(blockActions(OWNER, expired.id))).body).toMatchObject({
      ok: false,
      error: { code: "expired" },
    });
    expect(await undecided(expired.id)).toBe(true);
    // Its buttons are gone from the thread: the message now says it expired.
    const updated = slack.calls.filter(
      (c) => c.method === "chat.update" && (c.body as { ts?: string }).ts === expired.messageTs,
    );
    expect(updated.length).toBeGreaterThan(0);
    const last = updated[updated.length - 1]?.body as { text: string; blocks: unknown[] };
    expect(last.text).toContain("Expired");
    expect(JSON.stringify(last.blocks)).not.toContain('"actions"');
    const unfrozen = await confirmation("node-4");
    expect((await press(blockActions(OWNER, unfrozen.id))).body).toMatchObject({
      ok: false,
      error: { code: "not_frozen" },
    });
  });

  it("turns the owner's press into one approval the agent accepts once, for this host and step only", async () => {
    const c = await confirmation();
    const waiting = cp.deps.recovery.decisions.wait(c.id, 10_000);
    const ok = await press(blockActions(OWNER, c.id));
    expect(ok.body).toEqual({ ok: true });
    const decision = (await waiting) as Extract<Decision, { decision: "approve" }>;
    expect(decision.decision).toBe("approve");
    // The confirmation message now says who approved, and has no buttons left.
    const msg =
      slack.messages.get(`${CHANNEL}:${c.messageTs}`) ?? [...slack.messages.values()].find((m) => m.ts === c.messageTs);
    expect(msg?.text).toContain("Approved gateway.restart on node-3");
    expect(JSON.stringify(msg?.blocks)).not.toContain("clawops_approve");

    // Replaying the very same signed press is refused: single use.
    expect((await press(blockActions(OWNER, c.id))).body).toMatchObject({ ok: false, error: { code: "already_used" } });

    const ledger = new NonceLedger();
    const now = Date.now();
    const check = (host: string, step: "gateway.restart" | "doctor.fix", at = now, token = decision.approval) =>
      verifyApproval(token, {
        publicKey: pinned,
        host,
        step,
        now: at,
        seenNonce: (n, exp) => ledger.check(n, exp, at),
      });
    expect(await check("node-4", "gateway.restart")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("for host node-3"),
    });
    expect(await check("node-3", "doctor.fix")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("for step"),
    });
    expect(await check("node-3", "gateway.restart", now + 3 * 60_000)).toMatchObject({
      ok: false,
      reason: "approval has expired",
    });
    const good = await check("node-3", "gateway.restart");
    expect(good).toMatchObject({
      ok: true,
      claims: { approver: OWNER, host: "node-3", step: "gateway.restart", job: "job_test" },
    });
    expect(await check("node-3", "gateway.restart")).toMatchObject({ ok: false, reason: "approval was already used" });

    // Tampered claims, or claims signed by another key, do not verify against the pinned key.
    const [body, sig] = decision.approval.split(".");
    const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(body ?? "")));
    const tampered = `${toBase64Url(new TextEncoder().encode(JSON.stringify({ ...claims, host: "node-4", nonce: "x".repeat(24) })))}.${sig}`;
    expect(await check("node-4", "gateway.restart", now, tampered)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("signature"),
    });
    const rogue = await generateApprovalKey();
    const forged = await signApproval(rogue.pair, { ...claims, nonce: "y".repeat(24) });
    expect(await check("node-3", "gateway.restart", now, forged)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("signature"),
    });

    const audit = await (
      await fetch(`${cp.url}/api/console/audit.jsonl?host=node-3`, { headers: cp.consoleHeaders() })
    ).text();
    const approvals = audit
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.action === "approval");
    expect(approvals.filter((e) => e.outcome === "ok")).toHaveLength(1);
    expect(approvals.filter((e) => e.outcome === "refused").map((e) => e.actor)).toEqual([
      STRANGER,
      OTHER,
      OWNER,
      OWNER,
    ]);
    expect(audit).not.toContain(decision.approval);
    expect(slack.violations).toEqual([]);
  });

  it("asked again with the same id (a resumed run), posts nothing more, or once more saying why after a cut-off post", async () => {
    const deps = cp.deps;
    const ask = (id: string, d = deps) =>
      requestConfirmation(d, {
        id,
        host: "node-3",
        step: "gateway.restart",
        job: "job_resumed",
        requestedBy: OWNER,
        channel: CHANNEL,
        threadTs: null,
        summary: "Restart the gateway (manual process).",
      });
    const posts = () => slack.calls.filter((c) => c.method === "chat.postMessage").length;

    const first = await ask(newConfirmationId());
    const before = posts();
    expect(await ask(first.id)).toEqual(first);
    expect(posts()).toBe(before);

    // The post reaches Slack, then the process dies before recording it: the record has no message.
    const cutId = newConfirmationId();
    const cutOff = {
      ...deps,
      chat: {
        ...deps.chat,
        postMessage: async (m: Parameters<typeof deps.chat.postMessage>[0]) => {
          await deps.chat.postMessage(m);
          throw new Error("runtime restarted");
        },
      },
    };
    await expect(ask(cutId, cutOff)).rejects.toThrow("runtime restarted");
    const again = await ask(cutId);
    expect(posts()).toBe(before + 2);
    const copies = [...slack.messages.values()].filter((m) => JSON.stringify(m.blocks).includes(cutId));
    expect(copies).toHaveLength(2);
    expect(JSON.stringify(copies.find((m) => m.ts === again.messageTs)?.blocks)).toContain("Asked again");
    expect(JSON.stringify(copies.find((m) => m.ts !== again.messageTs)?.blocks)).not.toContain("Asked again");
    // Either copy's button is the same approval, good once.
    const waiting = deps.recovery.decisions.wait(cutId, 10_000);
    expect((await press(blockActions(OWNER, cutId))).body).toEqual({ ok: true });
    expect((await waiting).decision).toBe("approve");
    expect((await press(blockActions(OWNER, cutId))).body).toMatchObject({
      ok: false,
      error: { code: "already_used" },
    });
  });

  it("lets the local console press the same button as the local operator", async () => {
    const c = await confirmation();
    const waiting = cp.deps.recovery.decisions.wait(c.id, 10_000);
    const res = await fetch(`${cp.url}/api/console/confirm`, {
      method: "POST",
      headers: { "content-type": "application/json", ...cp.consoleHeaders() },
      body: JSON.stringify({ id: c.id, decision: "cancel" }),
    });
    expect(await res.json()).toEqual({ ok: true, error: null });
    expect(await waiting).toEqual({ decision: "cancel", by: "console" });
  });
});

describe("agent local policy", () => {
  it("refuses 'approve once drained' on a confirmation that never offered it (its approval would live longer)", async () => {
    const c = await confirmation();
    expect(c.offersDrain).toBe(false);
    expect((await press(blockActions(OWNER, c.id, "clawops_approve_drained"))).body).toMatchObject({
      ok: false,
      error: { code: "drain_not_offered" },
    });
    expect(await undecided(c.id)).toBe(true);
  });

  it("pins the control plane's approval key at enrollment", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "clawops-pin-"));
    try {
      const { code } = await issueEnrollmentCode(cp.deps, "node-5");
      await enroll({ dir: stateDir, server: cp.url, host: "node-5", code });
      expect(loadApprovalPin(stateDir)).toBe(cp.deps.recovery?.approvalKey?.publicKey);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("denies every mutating step by default and allows only what policy.json lists", () => {
    const stateDir = mkdtempSync(join(tmpdir(), "clawops-policy-"));
    try {
      expect(policyRefusal(stateDir, "gateway.restart", "node-3")).toContain("does not allow it");
      writeFileSync(join(stateDir, "policy.json"), JSON.stringify({ allow: ["gateway.restart"] }));
      expect(policyRefusal(stateDir, "gateway.restart", "node-3")).toBeNull();
      expect(policyRefusal(stateDir, "doctor.fix", "node-3")).toContain("does not allow it");
      writeFileSync(join(stateDir, "policy.json"), JSON.stringify({ allow: ["rm -rf /"] }));
      expect(policyRefusal(stateDir, "gateway.restart", "node-3")).toMatch(/allow\.0.*every mutating step is refused/);
      writeFileSync(join(stateDir, "policy.json"), "{ not json");
      expect(policyRefusal(stateDir, "gateway.restart", "node-3")).toContain("not valid JSON");
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
