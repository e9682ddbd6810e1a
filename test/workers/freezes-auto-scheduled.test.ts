import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyFreezePolicy, type FreezeTransition } from "../../src/core/freezes/policy.ts";
import { DIRECTORY_NAME, DirectoryRecoveryStore, DirectoryStore } from "../../src/worker/directory-store.ts";
import { parseWorkerConfig } from "../../src/worker/env.ts";
import worker from "../../src/worker/index.ts";
import { createConsoleLogger } from "../../src/worker/logger.ts";
import { requestDeps } from "../../src/worker/wiring.ts";
import { HANG_MS, until } from "../support/until.ts";
import { postSlashCommand, type RecordedRequest, type SlackCommandReply } from "./signed-slack.ts";

/**
 * Automatic and scheduled freezes on the Workers runtime: stored in the directory Durable
 * Object's SQLite, every later moment run by that object's alarm (no test calls the sweep).
 * The bindings (vitest.workers.config.ts) set a freeze policy, the incident channel and a 3 s
 * warning lead (CLAWOPS_FREEZE_WARN_MIN=0.05) so a schedule a few seconds ahead shows each moment.
 */
const text = (r: { body: SlackCommandReply }) =>
  [r.body.text ?? "", ...(r.body.blocks ?? []).map((b) => b.text?.text ?? "")].join("\n");

async function posts(): Promise<{ channel: string; thread_ts?: string; text: string }[]> {
  const calls = (await (await fetch(env.SLACK_STANDIN_CALLS_URL)).json()) as RecordedRequest[];
  return calls
    .filter((c) => c.url.endsWith("/chat.postMessage"))
    .map((c) => JSON.parse(c.body) as { channel: string; thread_ts?: string; text: string });
}

const directory = () => env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));

describe("scheduled maintenance freezes on the directory object's alarm", () => {
  it(
    "announces when set, before the start, at the start and at the end, and what it muted, once each",
    async () => {
      await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
      const store = new DirectoryRecoveryStore(env.DIRECTORY);
      // Far enough ahead that the command and the checks before the warning run first on a loaded machine.
      const startsAt = Math.ceil((Date.now() + 20_000) / 1000) * 1000;
      const at = new Date(startsAt).toISOString().replace(/\.000Z$/, "Z");
      const reply = await postSlashCommand(`freeze all at ${at} for 1m db maintenance`);
      expect(reply.status).toBe(200);
      expect(text(reply)).toContain("Scheduled a maintenance freeze of *the whole fleet*");
      const [scheduled] = await store.listScheduledFreezes();
      expect(scheduled).toMatchObject({ target: "all", owner: "U0OPERATOR", startsAt, endsAt: startsAt + 60_000 });
      // The object's alarm is the warning's moment, 3 s before the start.
      expect(await runInDurableObject(directory(), (_i, state) => state.storage.getAlarm())).toBe(startsAt - 3_000);

      const kinds = async () =>
        (await posts()).map((p) =>
          /scheduled .* by/.test(p.text)
            ? "set"
            : /starts at/.test(p.text)
              ? "soon"
              : /frozen for maintenance/.test(p.text)
                ? "start"
                : /ended at/.test(p.text)
                  ? "end"
                  : /^Maintenance of the fleet over: /.test(p.text)
                    ? "muted"
                    : p.text,
        );
      await until("the start", HANG_MS, async () => (await kinds()).includes("start"), 200);
      expect(await store.getFreeze("all")).toMatchObject({ owner: "U0OPERATOR", expiresAt: startsAt + 60_000 });
      expect(await runInDurableObject(directory(), (_i, state) => state.storage.getAlarm())).toBe(startsAt + 60_000);
      // After the end: what the maintenance muted (issue 29), once too.
      await until("the end", 60_000 + HANG_MS, async () => (await kinds()).includes("muted"), 200);
      expect(await kinds()).toEqual(["set", "soon", "start", "end", "muted"]);
      expect((await posts()).at(-1)?.text).toBe("Maintenance of the fleet over: nothing muted");
      expect((await posts()).every((p) => p.channel === "C0INCIDENT")).toBe(true);
      expect(await store.getFreeze("all")).toBeNull();
      expect(await store.listScheduledFreezes()).toEqual([]);
    },
    60_000 + 3 * HANG_MS,
  );

  it("unfreeze before the start cancels it and says so", async () => {
    const store = new DirectoryRecoveryStore(env.DIRECTORY);
    const reply = await postSlashCommand("freeze all at 2099-01-01T10:00Z for 30m far away");
    expect(text(reply)).toContain("2099-01-01 10:00 UTC");
    expect(await store.listScheduledFreezes()).toHaveLength(0);
    expect(text(reply)).toContain("at most 30 days ahead");
    const soon = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
    expect(text(await postSlashCommand(`freeze all at ${soon} for 30m switch swap`))).toContain("Scheduled");
    const cancel = await postSlashCommand("unfreeze all");
    expect(text(cancel)).toContain("Cancelled the maintenance freeze of *the whole fleet*");
    expect(await store.listScheduledFreezes()).toEqual([]);
  });
});

describe("automatic freezes on Workers", () => {
  it("a failing transition the policy covers freezes the host in its incident thread; healthy for 5 min, the alarm lifts it with an all-clear", async () => {
    await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
    const parsed = parseWorkerConfig(env);
    if (!parsed.ok) throw new Error(parsed.problems.join(" "));
    const deps = requestDeps(
      { env, config: parsed.config, logger: createConsoleLogger("test") },
      "https://clawops.example",
      { ok: false, missing: "not in this test" },
    );
    await new DirectoryStore(env.DIRECTORY).insertHost({
      name: "node-9",
      publicKey: "k",
      enrolledAt: Date.now(),
      revokedAt: null,
      agentVersion: null,
      gatewayVersion: null,
      lastSeenAt: null,
    });
    // What the host object's watch does with a held transition (watch/service.ts), with the config's policy.
    const hook = (d: typeof deps, t: FreezeTransition) => applyFreezePolicy(d, parsed.config.freezePolicy, t);
    const now = Date.now();
    await hook(deps, { host: "node-9", at: now, since: now - 30_000, healthy: false, findingIds: ["gateway-down"] });
    const store = new DirectoryRecoveryStore(env.DIRECTORY);
    expect(await store.getFreeze("node-9")).toMatchObject({ owner: "clawops (automatic)", source: "system" });
    const [header, notice] = await posts();
    expect(header?.channel).toBe("C0INCIDENT");
    expect(notice?.thread_ts).toBeTruthy();
    expect(notice?.text).toContain("node-9 is frozen automatically (gateway-down); lifts after 5 min healthy");

    // Healthy since 6 min ago (held for two probes): the lift is due, and the alarm does it.
    await hook(deps, { host: "node-9", at: Date.now(), since: now - 6 * 60_000, healthy: true, findingIds: [] });
    await until("the lift", HANG_MS, async () => (await store.getFreeze("node-9")) === null, 200);
    const allClear = (await posts()).at(-1);
    expect(allClear).toMatchObject({ channel: "C0INCIDENT", thread_ts: notice?.thread_ts });
    expect(allClear?.text).toContain("All clear: node-9 is no longer frozen");
    const [last] = await store.listAudit({ host: "node-9", order: "desc", limit: 1 });
    expect(last?.action).toBe("freeze.auto.lifted");
  });

  it("the policy's write is conditional in the object's SQLite: a person's freeze in force is never replaced, an automatic or expired one is", async () => {
    const store = new DirectoryRecoveryStore(env.DIRECTORY);
    const now = Date.now();
    const person = {
      target: "node-race",
      owner: "U0OPERATOR",
      reason: "kernel upgrade",
      source: "slack" as const,
      createdAt: now,
      expiresAt: now + 30 * 60_000,
      channel: "C0INCIDENT",
      notices: [],
    };
    const auto = {
      ...person,
      owner: "clawops (automatic)",
      reason: "gateway down: gateway-down",
      source: "system" as const,
      auto: {
        rule: "gateway down",
        findings: ["gateway-down"],
        liftAfterMs: 5 * 60_000,
        capAt: now + 30 * 60_000,
        healthySince: null,
        holdUntil: null,
      },
    };
    await store.putFreeze(person);
    expect(await store.putAutoFreeze(auto, now)).toBe(false);
    expect(await store.getFreeze("node-race")).toMatchObject({ owner: "U0OPERATOR", reason: "kernel upgrade" });
    expect((await store.getFreeze("node-race"))?.auto).toBeUndefined();
    // Once the person's freeze has expired, or over the policy's own freeze, it writes.
    expect(await store.putAutoFreeze(auto, person.expiresAt)).toBe(true);
    const healthy = { ...auto, auto: { ...auto.auto, healthySince: now } };
    expect(await store.putAutoFreeze(healthy, now)).toBe(true);
    expect((await store.getFreeze("node-race"))?.auto?.healthySince).toBe(now);
    await store.removeFreeze("node-race");
  });

  it("a malformed CLAWOPS_FREEZE_POLICY stops the Worker with 503, naming the field", async () => {
    const ctx = createExecutionContext();
    const policy = JSON.stringify({ rules: [{ name: "down", findings: ["gateway-gone"] }] });
    const res = await worker.fetch(
      new Request("https://clawops.example/healthz"),
      { ...env, CLAWOPS_FREEZE_POLICY: policy },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const body = await res.json<SlackCommandReply>();
    expect(body.error?.message).toContain("CLAWOPS_FREEZE_POLICY: rules.0.findings.0: not a finding rule id");
  });
});
