import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker/index.ts";
import { createConsoleLogger } from "../../src/worker/logger.ts";

/**
 * What an orchestrator and a monitoring system ask the Worker: /livez (answers whatever the
 * configuration), /readyz (= /healthz: the directory object answers a query, the HOSTS binding
 * is there), and /metrics, which a Worker does not serve (501, saying why).
 */
const ORIGIN = "https://clawops.example";

type Reply = { ok: boolean; error?: { code: string; message: string }; checks?: Record<string, string> };

async function get(path: string, extraEnv: Record<string, unknown> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${ORIGIN}${path}`) as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...extraEnv },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json<Reply>() };
}

/** A directory binding whose object cannot be reached (every call rejects), as after a failed deploy. */
const unreachableDirectory = {
  idFromName: () => ({}),
  get: () => ({ listJobs: () => Promise.reject(new Error("Durable Object unreachable")) }),
};

describe("Worker probes", () => {
  it("/livez answers 200 even before the Worker is configured", async () => {
    expect(await get("/livez")).toEqual({ status: 200, body: { ok: true } });
    const bare = await get("/livez", { SLACK_SIGNING_SECRET: undefined, SLACK_BOT_TOKEN: undefined });
    expect(bare).toEqual({ status: 200, body: { ok: true } });
  });

  it("/readyz and /healthz: 200 with the directory answering; 503 naming the store when it does not", async () => {
    for (const path of ["/readyz", "/healthz"]) {
      expect(await get(path)).toEqual({ status: 200, body: { ok: true, checks: { store: "ok", hub: "ok" } } });
    }
    const down = await get("/readyz", { DIRECTORY: unreachableDirectory });
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ store: "failed", hub: "ok" });
    expect(down.body.error?.message).toContain("store failed (the directory Durable Object answers a query)");
    expect(JSON.stringify(down.body)).not.toContain("unreachable");
  });

  it("/readyz is 503 naming the missing settings on an unconfigured Worker", async () => {
    const r = await get("/readyz", { SLACK_SIGNING_SECRET: undefined });
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: "not_configured" });
    expect(r.body.error?.message).toContain("SLACK_SIGNING_SECRET");
  });

  it("/metrics is 501 and says where the Node control plane serves them", async () => {
    const r = await get("/metrics");
    expect(r.status).toBe(501);
    expect(r.body.error?.code).toBe("not_implemented");
    expect(r.body.error?.message).toContain("served by the Node control plane only");
  });
});

describe("LOG_LEVEL on Workers", () => {
  const vars = env as unknown as { LOG_LEVEL?: string };
  afterEach(() => {
    delete vars.LOG_LEVEL;
    vi.restoreAllMocks();
  });

  it("default info: debug lines are dropped; LOG_LEVEL=warn drops info too", () => {
    const out = { debug: vi.spyOn(console, "debug"), log: vi.spyOn(console, "log"), warn: vi.spyOn(console, "warn") };
    for (const spy of Object.values(out)) spy.mockImplementation(() => {});
    const logger = createConsoleLogger("clawops-test");
    logger.debug?.("a debug line");
    logger.info("an info line", { host: "node-3" });
    expect(out.debug).not.toHaveBeenCalled();
    expect(JSON.parse(String(out.log.mock.calls[0]?.[0]))).toMatchObject({ level: "info", msg: "an info line" });
    vars.LOG_LEVEL = "warn";
    logger.info("another info line");
    logger.warn("a warn line");
    expect(out.log).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(out.warn.mock.calls[0]?.[0]))).toMatchObject({ level: "warn", msg: "a warn line" });
  });
});
