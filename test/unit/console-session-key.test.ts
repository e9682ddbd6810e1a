import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleServer, healthyScript, startConsoleServer } from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { rawRequest } from "../support/raw-http.ts";

/**
 * Issue 44, item 4: the console's cookie alone is not a session. The browser sends
 * `clawops_session_<port>` to every service on 127.0.0.1 (cookies are per host, not per port),
 * and such a service can replay it with any headers it likes, as curl can. A session is the
 * cookie and its key, which the login hands to the console's own page only; a state-changing
 * request on a session must also name this origin. Real HTTP requests to the console as
 * `npm start` serves it.
 */
let server: ConsoleServer;

beforeAll(async () => {
  server = await startConsoleServer(new FakeHostTransport().addHost("node-3", { results: healthyScript() }));
});

afterAll(async () => {
  await server.close();
});

/** A request with node:http, headers as sent (test/support/raw-http.ts). */
const raw = (path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  rawRequest(new URL(path, server.url), opts);

/** A browser's login: the cookie it is given and the key its page is handed in the fragment. */
async function login(): Promise<{ cookie: string; key: string }> {
  const url = new URL(server.loginUrl());
  const r = await raw(url.pathname + url.search);
  expect(r.status).toBe(302);
  const cookie = String(r.headers["set-cookie"]).split(";")[0] ?? "";
  const key = /#key=([A-Za-z0-9_-]+)$/.exec(String(r.headers.location))?.[1] ?? "";
  return { cookie, key };
}

const KEY = "x-clawops-console-key";
const json = { "content-type": "application/json" };
const freeze = JSON.stringify({ text: "freeze all 30m drill" });
const codeOf = (body: string) => (JSON.parse(body) as { error?: { code: string } }).error?.code;
const reads = ["/api/console/messages", "/api/console/hosts", "/api/console/audit.jsonl", "/api/console/events"];
const freezes = async () => (await server.chat.since(0)).filter((e) => /froze|frozen|Freeze/i.test(e.text)).length;

describe("a console session is the cookie and a key only the console's page holds", () => {
  it("the login hands the page a key, in the fragment only (never in the cookie)", async () => {
    const { cookie, key } = await login();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie).not.toContain(key);
    // With both, the page reads and acts.
    const origin = server.url;
    for (const path of reads) {
      const r = await raw(path, { headers: { cookie, [KEY]: key } });
      expect(r.status, path).toBe(200);
    }
    const hosts = await raw("/api/console/command", {
      method: "POST",
      headers: { cookie, [KEY]: key, origin, ...json },
      body: JSON.stringify({ text: "hosts" }),
    });
    expect(hosts.status).toBe(200);
    expect(JSON.parse(hosts.body).ok).toBe(true);
  });

  it("the cookie alone reads no session data: 401 for the feed, the hosts, the audit log and the event stream", async () => {
    const { cookie } = await login();
    for (const path of reads) {
      const alone = await raw(path, { headers: { cookie } });
      expect(alone.status, path).toBe(401);
      expect(codeOf(alone.body), path).toBe("console_auth_required");
      // With the console's own Origin added by whoever replays it, still nothing.
      const dressed = await raw(path, { headers: { cookie, origin: server.url, "sec-fetch-site": "same-origin" } });
      expect(dressed.status, path).toBe(401);
    }
    // Another session's key does not open this one.
    const other = await login();
    expect((await raw("/api/console/messages", { headers: { cookie, [KEY]: other.key } })).status).toBe(401);
  });

  it("the cookie alone changes nothing: a freeze from curl or another local page is refused", async () => {
    const { cookie, key } = await login();
    const before = await freezes();
    const auditBefore = (await raw("/api/console/audit.jsonl", { headers: server.headers })).body;
    const attempts: Record<string, Record<string, string>> = {
      "the cookie, no Origin (curl)": { cookie, ...json },
      "the cookie, this Origin forged": { cookie, origin: server.url, "sec-fetch-site": "same-origin", ...json },
      "the cookie and key, a foreign Origin": { cookie, [KEY]: key, origin: "http://127.0.0.1:3000", ...json },
      "the cookie and key, same-site page": { cookie, [KEY]: key, "sec-fetch-site": "same-site", ...json },
      "the cookie and key, no Origin at all": { cookie, [KEY]: key, ...json },
    };
    for (const [what, headers] of Object.entries(attempts)) {
      for (const path of ["/api/console/command", "/api/console/press", "/api/console/logout"]) {
        const body =
          path === "/api/console/press"
            ? JSON.stringify({ actionId: "clawops_run:freeze:node-3", value: "freeze node-3 for 30m" })
            : freeze;
        const r = await raw(path, { method: "POST", headers, body });
        expect([401, 403], `${what} ${path}`).toContain(r.status);
      }
    }
    expect(await freezes()).toBe(before);
    expect((await raw("/api/console/audit.jsonl", { headers: server.headers })).body).toBe(auditBefore);
    // The session still works from its page: the logout above was refused too.
    const fromPage = await raw("/api/console/command", {
      method: "POST",
      headers: { cookie, [KEY]: key, "sec-fetch-site": "same-origin", ...json },
      body: JSON.stringify({ text: "hosts" }),
    });
    expect(fromPage.status).toBe(200);
  });

  it("the CLI's secret still works with no Origin, as curl sends it", async () => {
    const r = await raw("/api/console/command", {
      method: "POST",
      headers: { ...server.headers, ...json },
      body: JSON.stringify({ text: "hosts" }),
    });
    expect(r.status).toBe(200);
    expect((await raw("/api/console/messages", { headers: server.headers })).status).toBe(200);
  });

  it("served over https, the cookie is __Host- prefixed and Secure; the Origin must be https", async () => {
    const host = new URL(server.url).host;
    const port = new URL(server.url).port;
    const code = new URL(server.loginUrl()).searchParams.get("code") ?? "";
    const res = await server.fetch(new Request(`https://${host}/console/login?code=${code}`, { headers: { host } }));
    expect(res.status).toBe(302);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(new RegExp(`^__Host-clawops_session_${port}=[A-Za-z0-9_-]{43};`));
    expect(setCookie).toMatch(/; Path=\/(;|$)/);
    expect(setCookie).toMatch(/; Secure(;|$)/);
    expect(setCookie).not.toMatch(/Domain=/i);
    const cookie = setCookie.split(";")[0] ?? "";
    const key = /#key=([A-Za-z0-9_-]+)$/.exec(res.headers.get("location") ?? "")?.[1] ?? "";
    const post = (origin: string) =>
      server.fetch(
        new Request(`https://${host}/api/console/command`, {
          method: "POST",
          headers: { host, cookie, [KEY]: key, origin, ...json },
          body: JSON.stringify({ text: "hosts" }),
        }),
      );
    expect((await post(`https://${host}`)).status).toBe(200);
    expect((await post(`http://${host}`)).status).toBe(403);
  });
});
