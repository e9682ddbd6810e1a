import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";

/**
 * The Worker's own routes beside the shared hono app: the operator API (bearer
 * CLAWOPS_ADMIN_TOKEN) and the agents' WebSocket entry. Every refusal is the app's one JSON
 * shape, `{ok: false, error: {code, message}}`.
 */
const TOKEN = "operator-api-test-token-0c9d";
const ORIGIN = "https://clawops.example";

type Reply = { ok: boolean; error?: { code: string; message: string }; code?: string; agent?: { online: boolean } };

async function call(path: string, init: RequestInit = {}, extraEnv: Record<string, unknown> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${ORIGIN}${path}`, init) as Request<unknown, IncomingRequestCfProperties>,
    { ...env, CLAWOPS_ADMIN_TOKEN: TOKEN, ...extraEnv },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json<Reply>() };
}

const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

describe("operator API", () => {
  it("is off (503 not_configured) without CLAWOPS_ADMIN_TOKEN", async () => {
    const r = await call("/api/hosts/node-3/agent", { headers: bearer() }, { CLAWOPS_ADMIN_TOKEN: undefined });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ ok: false, error: { code: "not_configured" } });
    expect(r.body.error?.message).toContain("wrangler secret put CLAWOPS_ADMIN_TOKEN");
  });

  it("refuses a missing or wrong bearer with 401 before reading the body", async () => {
    for (const headers of [{}, bearer("wrong"), { authorization: TOKEN }]) {
      const r = await call("/api/admin/enrollment-codes", { method: "POST", headers, body: "not json" });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ ok: false, error: { code: "unauthorized" } });
      expect(r.body.error?.message).toBe("Send `Authorization: Bearer <CLAWOPS_ADMIN_TOKEN>`.");
    }
    expect((await call("/api/hosts/node-3/agent")).status).toBe(401);
  });

  it("issues an enrollment code for {host}; anything else is 400 bad_request", async () => {
    const ok = await call("/api/admin/enrollment-codes", {
      method: "POST",
      headers: { ...bearer(), "content-type": "application/json" },
      body: JSON.stringify({ host: "op-api-1" }),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, host: "op-api-1" });
    expect(typeof ok.body.code).toBe("string");
    for (const body of ["not json", "{}", JSON.stringify({ host: 3 })]) {
      const r = await call("/api/admin/enrollment-codes", { method: "POST", headers: bearer(), body });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ ok: false, error: { code: "bad_request", message: "Body must be JSON {host}." } });
    }
    const bad = await call("/api/admin/enrollment-codes", {
      method: "POST",
      headers: bearer(),
      body: JSON.stringify({ host: "Not A Host!" }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, error: { code: "invalid_host_name" } });
  });

  it("caps the body (413 payload_too_large), after the bearer check", async () => {
    const big = JSON.stringify({ host: "op-api-2", pad: "x".repeat(8 * 1024) });
    const unauthorized = await call("/api/admin/enrollment-codes", { method: "POST", body: big });
    expect(unauthorized.status).toBe(401);
    const r = await call("/api/admin/enrollment-codes", { method: "POST", headers: bearer(), body: big });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ ok: false, error: { code: "payload_too_large" } });
  });

  it("reports a host's agent; a bad host name is 400", async () => {
    const r = await call("/api/hosts/node-3/agent", { headers: bearer() });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, agent: { online: false } });
    const bad = await call("/api/hosts/Not%20A%20Host!/agent", { headers: bearer() });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, error: { code: "invalid_host_name" } });
  });
});

describe("agent connect", () => {
  it("needs a WebSocket upgrade (426) and ?host= (400)", async () => {
    const plain = await call("/agent/connect?host=node-3");
    expect(plain.status).toBe(426);
    expect(plain.body).toMatchObject({ ok: false, error: { code: "upgrade_required" } });
    const noHost = await call("/agent/connect", { headers: { upgrade: "websocket" } });
    expect(noHost.status).toBe(400);
    expect(noHost.body).toMatchObject({ ok: false, error: { code: "bad_request" } });
    const badHost = await call("/agent/connect?host=Not%20A%20Host!", { headers: { upgrade: "websocket" } });
    expect(badHost.status).toBe(400);
    expect(badHost.body).toMatchObject({ ok: false, error: { code: "invalid_host_name" } });
  });
});

describe("agent install files (issue 33, item 1)", () => {
  const raw = async (path: string) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${ORIGIN}${path}`) as Request<unknown, IncomingRequestCfProperties>,
      { ...env, CLAWOPS_ADMIN_TOKEN: TOKEN },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  };
  const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

  it("serves the agent built with the Worker, the installer naming this Worker and the agent's SHA-256", async () => {
    const agent = await raw("/agent/clawops-agent.mjs");
    expect(agent.status).toBe(200);
    const bytes = await agent.arrayBuffer();
    expect(new TextDecoder().decode(bytes.slice(0, 80))).toMatch(/^#!\/usr\/bin\/env node\n/);
    const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
    expect(await (await raw("/agent/clawops-agent.mjs.sha256")).text()).toBe(`${sha256}  clawops-agent.mjs\n`);
    const script = await (await raw("/agent/install.sh")).text();
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain(`\nCLAWOPS_URL='${ORIGIN}'\n`);
    expect(script).toContain(`\nAGENT_SHA256='${sha256}'\n`);
    expect(script).not.toMatch(/@@[A-Z_0-9]+@@/);
    expect(await (await raw("/agent/clawops-agent.service")).text()).toMatch(/^ExecStart=\/usr\/bin\/node /m);
  });

  it("answers an enrollment code with the one install command at this Worker", async () => {
    const r = await call("/api/admin/enrollment-codes", {
      method: "POST",
      headers: { ...bearer(), "content-type": "application/json" },
      body: JSON.stringify({ host: "op-api-2" }),
    });
    const body = r.body as Reply & { command?: string };
    expect(body.command).toBe(`curl -fsSL ${ORIGIN}/agent/install.sh | sh -s -- --host op-api-2 --code ${body.code}`);
  });
});
