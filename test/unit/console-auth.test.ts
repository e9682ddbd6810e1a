import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_SECRET_FILE } from "../../src/node/console/secret.ts";
import { type ConsoleServer, healthyScript, startConsoleServer } from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { rawRequest } from "../support/raw-http.ts";

let server: ConsoleServer;

beforeAll(async () => {
  server = await startConsoleServer(new FakeHostTransport().addHost("node-3", { results: healthyScript() }));
});

afterAll(async () => {
  await server.close();
});

/** A raw HTTP request, so the Host header can be what a rebinding page would send. */
const raw = (path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  rawRequest(new URL(path, server.url), opts);

const freeze = JSON.stringify({ text: "freeze all 30m drill" });
const codeOf = (body: string) => (JSON.parse(body) as { error?: { code: string } }).error?.code;

describe("the local console proves who is calling before it acts", () => {
  it("a page elsewhere cannot act through the operator's browser: a text/plain cross-origin post is refused and changes nothing", async () => {
    const before = (await server.chat.since(0)).length;
    const r = await raw("/api/console/command", {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "https://evil.example" },
      body: freeze,
    });
    expect(r.status).toBe(403);
    expect(codeOf(r.body)).toBe("console_origin_refused");
    // Even with the secret (a cookie the browser would attach), a foreign Origin is refused.
    const withSecret = await raw("/api/console/command", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example", ...server.headers },
      body: freeze,
    });
    expect(withSecret.status).toBe(403);
    const crossSite = await raw("/api/console/command", {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "cross-site", ...server.headers },
      body: freeze,
    });
    expect(crossSite.status).toBe(403);
    expect((await server.chat.since(0)).length).toBe(before);
  });

  it("a button press (/api/console/press) needs the secret and this origin; a crafted value runs nothing", async () => {
    const press = (value: string) => JSON.stringify({ actionId: "clawops_run:freeze:node-3", value });
    const good = press("freeze node-3 for 30m set with the Freeze 30 min button");
    const before = (await server.chat.since(0)).length;
    const noSecret = await raw("/api/console/press", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: good,
    });
    expect(noSecret.status).toBe(401);
    const foreign = await raw("/api/console/press", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example", ...server.headers },
      body: good,
    });
    expect(foreign.status).toBe(403);
    const crafted = await raw("/api/console/press", {
      method: "POST",
      headers: { "content-type": "application/json", ...server.headers },
      body: press("freeze all for 24h chaos"),
    });
    expect(crafted.status).toBe(200);
    expect(JSON.parse(crafted.body)).toMatchObject({ ok: true, error: { code: "bad_request" } });
    expect(JSON.stringify(JSON.parse(crafted.body).ack)).toContain("Nothing was run");
    expect((await server.chat.since(0)).length).toBe(before);
    const audit = await raw("/api/console/audit.jsonl", { headers: server.headers });
    const last = JSON.parse(audit.body.trim().split("\n").at(-1) ?? "{}");
    expect(last).toMatchObject({ actor: "console", source: "console", outcome: "refused" });
    expect(audit.body).not.toContain('freeze all for 24h chaos"');
  });

  it("a DNS-rebinding page (its own name in Host) is refused, secret or not", async () => {
    const port = new URL(server.url).port;
    for (const host of [`evil.example:${port}`, "127.0.0.1", `127.0.0.1.nip.example:${port}`]) {
      const r = await raw("/api/console/messages", { headers: { host, ...server.headers } });
      expect(r.status, host).toBe(403);
      expect(codeOf(r.body)).toBe("console_host_refused");
    }
  });

  it("without the secret: 401 that says what to do, for the API and for the page", async () => {
    const api = await raw("/api/console/command", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: freeze,
    });
    expect(api.status).toBe(401);
    expect(codeOf(api.body)).toBe("console_auth_required");
    expect(api.body).toContain("bin/clawops login");
    const wrong = await raw("/api/console/messages", { headers: { authorization: "Bearer not-the-secret" } });
    expect(wrong.status).toBe(401);
    const page = await raw("/console", {});
    expect(page.status).toBe(401);
    expect(page.body).toContain("bin/clawops login");
    expect(page.body).not.toContain("/api/console/command");
  });

  it("with the secret, only JSON bodies are taken", async () => {
    const r = await raw("/api/console/command", {
      method: "POST",
      headers: { "content-type": "text/plain", ...server.headers },
      body: JSON.stringify({ text: "hosts" }),
    });
    expect(r.status).toBe(415);
    const ok = await raw("/api/console/command", {
      method: "POST",
      headers: { "content-type": "application/json", ...server.headers },
      body: JSON.stringify({ text: "hosts" }),
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).ok).toBe(true);
  });

  it("a login URL works once: it sets an HttpOnly, SameSite=Strict cookie that opens the console", async () => {
    const url = new URL(server.loginUrl());
    const first = await raw(url.pathname + url.search, {});
    expect(first.status).toBe(302);
    // The session's key rides in the fragment, for the page's script (issue 44, item 4).
    expect(first.headers.location).toMatch(/^\/console#key=[A-Za-z0-9_-]{43}$/);
    const cookie = String(first.headers["set-cookie"]);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(";")[0] ?? "";
    const page = await raw("/console", { headers: { cookie: pair } });
    expect(page.status).toBe(200);
    expect(page.body).toContain("<html");
    // The logged-in page is never kept by a browser's or a proxy's cache.
    expect(page.headers["cache-control"]).toBe("no-store");
    const again = await raw(url.pathname + url.search, {});
    expect(again.status).toBe(401);
    const guessed = await raw("/console/login?code=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", {});
    expect(guessed.status).toBe(401);
  });

  it("the browser's cookie is a session with an expiry, not the secret; logout ends it (issue 32, item 3)", async () => {
    const port = new URL(server.url).port;
    const url = new URL(server.loginUrl());
    const login = await raw(url.pathname + url.search, {});
    const cookie = String(login.headers["set-cookie"]);
    const secret = (server.headers.authorization ?? "").replace(/^Bearer /, "");
    expect(cookie).not.toContain(secret);
    // Named for this port (cookies are not port-scoped), with a lifetime.
    expect(cookie).toMatch(new RegExp(`^clawops_session_${port}=[A-Za-z0-9_-]{43};`));
    expect(cookie).toMatch(/Max-Age=43200/);
    const pair = cookie.split(";")[0] ?? "";
    const key = String(login.headers.location).replace(/^.*#key=/, "");
    const session = { cookie: pair, "x-clawops-console-key": key };
    expect((await raw("/api/console/messages", { headers: session })).status).toBe(200);

    // The install secret as a cookie value is no credential at all.
    for (const name of ["clawops_console", `clawops_session_${port}`]) {
      expect((await raw("/api/console/messages", { headers: { cookie: `${name}=${secret}` } })).status).toBe(401);
    }

    const logout = await raw("/api/console/logout", {
      method: "POST",
      headers: { ...session, origin: server.url, "content-type": "application/json" },
      body: "{}",
    });
    expect(logout.status).toBe(200);
    expect(String(logout.headers["set-cookie"])).toMatch(new RegExp(`^clawops_session_${port}=;.*Max-Age=0`));
    // The same cookie replayed after logout opens nothing.
    expect((await raw("/api/console/messages", { headers: session })).status).toBe(401);
    expect((await raw("/console", { headers: { cookie: pair } })).status).toBe(401);
  });

  it("every console answer carries CSP (no framing), nosniff and no referrer, refusals included", async () => {
    const url = new URL(server.loginUrl());
    const answers = {
      "the page": await raw("/console", { headers: server.headers }),
      "the login page": await raw("/console", {}),
      "the login link": await raw(url.pathname + url.search, {}),
      "an API answer": await raw("/api/console/messages", { headers: server.headers }),
      "a 401": await raw("/api/console/messages", {}),
      "a 403": await raw("/api/console/messages", { headers: { host: "evil.example", ...server.headers } }),
      "a 415": await raw("/api/console/command", { method: "POST", headers: server.headers, body: "x" }),
    };
    for (const [what, r] of Object.entries(answers)) {
      const csp = String(r.headers["content-security-policy"]);
      expect(csp, what).toContain("default-src 'none'");
      expect(csp, what).toContain("frame-ancestors 'none'");
      expect(csp, what).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
      expect(csp, what).not.toContain("unsafe-inline");
      expect(r.headers["x-content-type-options"], what).toBe("nosniff");
      expect(r.headers["referrer-policy"], what).toBe("no-referrer");
      expect(r.headers["x-frame-options"], what).toBe("DENY");
    }
  });

  it("the secret is kept in the data folder, readable by its owner only", () => {
    expect(statSync(join(server.dataDir, CONSOLE_SECRET_FILE)).mode & 0o777).toBe(0o600);
  });
});
