import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DIRECTORY_NAME, DirectoryRecoveryStore } from "../../src/worker/directory-store.ts";
import worker from "../../src/worker/index.ts";
import { HANG_MS, until } from "../support/until.ts";
import { postSlashCommand, type SlackCommandReply } from "./signed-slack.ts";

/**
 * Freezes and the audit log on the Workers runtime: signed slash commands through the Worker's
 * `fetch`, authorized by the CLAWOPS_AUTHZ binding (vitest.workers.config.ts), kept in the
 * directory Durable Object's SQLite, read back through the same RPC port another isolate uses.
 */
const text = (r: { body: SlackCommandReply }) =>
  [r.body.text ?? "", ...(r.body.blocks ?? []).map((b) => b.text?.text ?? "")].join("\n");

describe("freezes and audit in the directory object's SQLite", () => {
  it("a freeze by an allowed user is stored, listed, audited and lifted; a stranger's is refused and audited", async () => {
    const store = new DirectoryRecoveryStore(env.DIRECTORY);
    const frozen = await postSlashCommand("freeze all for 30m db migration", { user: "U0OPERATOR" });
    expect(frozen.status).toBe(200);
    expect(text(frozen)).toContain("Froze the whole fleet");

    const [freeze] = await store.listFreezes();
    expect(freeze).toMatchObject({ target: "all", owner: "U0OPERATOR", reason: "db migration", source: "slack" });
    expect((freeze?.expiresAt ?? 0) - (freeze?.createdAt ?? 0)).toBe(30 * 60_000);
    expect(text(await postSlashCommand("status"))).toContain("1 active freeze(s)");

    const refused = await postSlashCommand("unfreeze all", { user: "U0STRANGER" });
    expect(text(refused)).toMatch(/not allowed|Only the freeze owner/);
    expect(await store.listFreezes()).toHaveLength(1);

    expect(text(await postSlashCommand("unfreeze all", { user: "U0OPERATOR" }))).toContain("Lifted the freeze of all");
    expect(await store.listFreezes()).toEqual([]);

    const audit = await store.listAudit({ order: "asc" });
    // Every command, with its outcome: freeze, status, the refused unfreeze, the unfreeze.
    expect(audit.map((e) => [e.actor, e.outcome])).toEqual([
      ["U0OPERATOR", "ok"],
      ["U0OPERATOR", "ok"],
      ["U0STRANGER", "refused"],
      ["U0OPERATOR", "ok"],
    ]);
    expect(audit[0]?.detail).toContain("freeze all for 30m db migration");
    expect(audit[2]?.detail).toContain("unfreeze all");
    expect(audit.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("a freeze expires on the directory object's alarm: removed, audited, and the notice thread told", async () => {
    await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
    const store = new DirectoryRecoveryStore(env.DIRECTORY);
    const now = Date.now();
    await store.putFreeze({
      target: "node-7",
      owner: "U0OPERATOR",
      reason: "kernel upgrade",
      source: "slack",
      createdAt: now,
      // Far enough ahead that the checks before it run first on a loaded machine.
      expiresAt: now + 3_000,
      channel: "C0INCIDENT",
      notices: [{ channel: "C0INCIDENT", threadTs: "1790000000.000100" }],
    });
    const stub = env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(now + 3_000);
    // The alarm fires by itself at the expiry; nothing else removes the freeze.
    expect(await store.getFreeze("node-7")).not.toBeNull();
    await until("the freeze's expiry", HANG_MS, async () => (await store.getFreeze("node-7")) === null, 100);
    // Nothing left to expire: no alarm is pending.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    const [expiry] = (await store.listAudit({ host: "node-7", order: "desc", limit: 1 })).map((e) => [
      e.action,
      e.detail,
    ]);
    expect(expiry).toEqual(["freeze.expired", "freeze by U0OPERATOR expired (kernel upgrade)"]);
    const calls = (await (await fetch(env.SLACK_STANDIN_CALLS_URL)).json()) as { url: string; body: string }[];
    const notice = calls.find((c) => c.url.endsWith("/chat.postMessage"));
    expect(JSON.parse(notice?.body ?? "{}")).toMatchObject({ channel: "C0INCIDENT", thread_ts: "1790000000.000100" });
    expect(notice?.body).toContain("expired");
  });

  it("the audit log is append-only in SQLite itself: UPDATE and DELETE are refused", async () => {
    const store = new DirectoryRecoveryStore(env.DIRECTORY);
    await store.appendAudit({
      at: 1,
      actor: "U0OPERATOR",
      source: "slack",
      action: "freeze",
      host: null,
      outcome: "ok",
      detail: "kept",
      ref: null,
    });
    const stub = env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));
    await runInDurableObject(stub, (_instance, state) => {
      expect(() => state.storage.sql.exec("DELETE FROM audit_log")).toThrow(/append-only/);
      expect(() => state.storage.sql.exec("UPDATE audit_log SET detail = 'changed'")).toThrow(/append-only/);
    });
    expect((await store.listAudit({})).map((e) => e.detail)).toContain("kept");
  });

  it("a malformed CLAWOPS_AUTHZ stops the Worker with 503, naming the field and not the value", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://clawops.example/healthz"),
      { ...env, CLAWOPS_AUTHZ: JSON.stringify({ actions: { freeze: { users: ["not-a-user-id-secretish"] } } }) },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const body = await res.json<SlackCommandReply>();
    expect(body.error?.message).toContain("CLAWOPS_AUTHZ");
    expect(body.error?.message).toContain("actions.freeze.users");
  });
});
