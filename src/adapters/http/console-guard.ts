import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { randomToken, timingSafeEqual } from "../../contract/encoding.ts";
import { ClawopsError } from "../../core/errors.ts";
import type { Clock } from "../../core/ports/basics.ts";
import type { ConsoleSessions } from "./console-sessions.ts";

/**
 * Who may use the local console. It can freeze the fleet, mint enrollment codes and approve
 * restarts, so being able to reach the port is not enough (a page in the operator's browser
 * can reach loopback, and so can anyone behind a reverse proxy on this machine):
 *
 * - the `Host` must be the loopback name clawops is bound to: a DNS-rebinding page arrives
 *   under its own name;
 * - an `Origin` (or `Sec-Fetch-Site: cross-site`) from anywhere else is refused: a cross-site
 *   form or fetch carries one;
 * - a request body must be `application/json`: HTML forms cannot send that cross-origin
 *   without a preflight;
 * - and the request must carry a live console session or the per-install console secret as
 *   `Authorization: Bearer` (the CLI, which reads it from the data folder; the secret itself is
 *   never sent as a cookie). A browser's session is two values (issue 44, item 4): an HttpOnly,
 *   SameSite=Strict cookie a one-time login URL sets (with an expiry, ended by logout), and the
 *   session's key in the `X-Clawops-Console-Key` header, which only the console's own page holds
 *   (console-sessions.ts). The cookie alone is no session: the browser sends it to every service
 *   on 127.0.0.1, and curl sends whatever it is given. A state-changing request on a session must
 *   also name this origin (`Origin`, or `Sec-Fetch-Site: same-origin` where a browser sends no
 *   Origin). Served over https, the cookie is `__Host-` prefixed (Secure, Path=/, no Domain).
 */
export interface ConsoleAuth {
  /** The per-install secret (Node: `<data dir>/console-secret`, mode 0600). */
  secret: string;
  /** `host:port` values the console answers to: the loopback names of where it listens. */
  allowedHosts: () => readonly string[];
  /** One-time login codes, shared with whoever prints login URLs (the start banner, `clawops login`). */
  logins: LoginCodes;
  /** The browsers' sessions a login makes (console-sessions.ts). */
  sessions: ConsoleSessions;
}

/**
 * The session cookie's name, with the port in it: cookies are not port-scoped, so two clawops on
 * one machine (or any service on 127.0.0.1) would otherwise overwrite each other's.
 */
export function sessionCookieName(host: string, https = false): string {
  const port = /:(\d+)$/.exec(host)?.[1] ?? (https ? "443" : "80");
  // `__Host-`: the browser keeps it only if Secure, Path=/ and with no Domain, so a sibling
  // host cannot plant or shadow it (RFC 6265bis §4.1.3.2). Over plain http it cannot be set.
  return `${https ? "__Host-" : ""}clawops_session_${port}`;
}

/** The header in which the console's page sends its session's key. */
export const SESSION_KEY_HEADER = "x-clawops-console-key";

const isHttps = (c: Context) => new URL(c.req.url).protocol === "https:";
const cookieNameOf = (c: Context) => sessionCookieName(c.req.header("host") ?? "", isHttps(c));
/** This console's own origin, as a browser writes it in `Origin`. */
const selfOrigin = (c: Context) => `${isHttps(c) ? "https" : "http"}://${(c.req.header("host") ?? "").toLowerCase()}`;
const LOGIN_CODE_TTL_MS = 10 * 60_000;

/** One-time codes for the login URL: each works once, for ten minutes. */
export class LoginCodes {
  private readonly codes = new Map<string, number>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  issue(): string {
    const now = this.clock.now();
    for (const [code, expiresAt] of this.codes) if (expiresAt <= now) this.codes.delete(code);
    const code = randomToken(24);
    this.codes.set(code, now + LOGIN_CODE_TTL_MS);
    return code;
  }

  /** True once for a live code; the code is spent either way. */
  redeem(code: string): boolean {
    const expiresAt = this.codes.get(code);
    this.codes.delete(code);
    return expiresAt !== undefined && expiresAt > this.clock.now();
  }
}

const WHAT_TO_DO =
  "Open the login URL clawops printed when it started, or print a new one with `bin/clawops login` (the CLI reads the console secret from the data folder).";

/** Host and Origin checks: before anything else, for every console route, the login URL included. */
export function sameOriginOnly(auth: ConsoleAuth): MiddlewareHandler {
  return async (c, next) => {
    const host = (c.req.header("host") ?? "").toLowerCase();
    if (!auth.allowedHosts().includes(host)) {
      throw new ClawopsError(
        "console_host_refused",
        `The console answers only to ${auth.allowedHosts().join(", ")}; this request named host "${host.slice(0, 100)}".`,
        { status: 403 },
      );
    }
    const origin = c.req.header("origin");
    if ((origin && origin.toLowerCase() !== selfOrigin(c)) || c.req.header("sec-fetch-site") === "cross-site") {
      throw new ClawopsError("console_origin_refused", "Cross-origin requests to the console are refused.", {
        status: 403,
      });
    }
    await next();
  };
}

/**
 * A live session (the cookie and its key) or the console secret (the bearer header). The page
 * itself (`GET /console`) needs the cookie only: it is the same static file for everyone and
 * holds no session data, and a navigation cannot carry the key's header.
 */
export function consoleSecretOnly(auth: ConsoleAuth): MiddlewareHandler {
  return async (c, next) => {
    const changes = c.req.method !== "GET" && c.req.method !== "HEAD";
    const thePage = c.req.method === "GET" && c.req.path === "/console";
    const by = callerOf(c, auth, thePage);
    if (by === null) {
      if (thePage) return c.html(loginNeededPage(), 401);
      throw new ClawopsError("console_auth_required", `The console needs a login. ${WHAT_TO_DO}`, { status: 401 });
    }
    if (by === "session" && changes && !namesThisOrigin(c)) {
      throw new ClawopsError(
        "console_origin_refused",
        "A console session changes things only from the console's own page (Origin or Sec-Fetch-Site: same-origin).",
        { status: 403 },
      );
    }
    if (changes) {
      const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
      if (type !== "application/json") {
        throw new ClawopsError("unsupported_media_type", "Console requests carry a JSON body (application/json).", {
          status: 415,
        });
      }
    }
    await next();
  };
}

/** `GET /console/login?code=…`: spends a one-time code, starts a session, goes to the console. */
export function loginHandler(auth: ConsoleAuth) {
  return (c: Context) => {
    const code = c.req.query("code") ?? "";
    if (!auth.logins.redeem(code)) {
      throw new ClawopsError(
        "console_auth_required",
        `This login link was used already or has expired. ${WHAT_TO_DO}`,
        {
          status: 401,
        },
      );
    }
    const { id, key } = auth.sessions.create();
    setCookie(c, cookieNameOf(c), id, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: Math.floor(auth.sessions.ttlMs / 1000),
      ...(isHttps(c) ? { secure: true } : {}),
    });
    // The key goes to the page in the fragment: a browser never sends a fragment to a server, and
    // the page moves it into its origin's storage and out of the address bar at once.
    return c.redirect(`/console#key=${key}`);
  };
}

/** `POST /api/console/logout`: ends this browser's session and clears its cookie. */
export function logoutHandler(auth: ConsoleAuth) {
  return (c: Context) => {
    const name = cookieNameOf(c);
    const id = getCookie(c, name);
    if (id) auth.sessions.end(id);
    deleteCookie(c, name, { path: "/", ...(isHttps(c) ? { secure: true } : {}) });
    return c.json({ ok: true });
  };
}

/** The request's session id, when its cookie names a live one. */
export function sessionOf(c: Context, auth: ConsoleAuth): string | null {
  const id = getCookie(c, cookieNameOf(c));
  return id && auth.sessions.valid(id) ? id : null;
}

/** Who is calling: the CLI (the secret), a browser session (cookie and key), or nobody. */
function callerOf(c: Context, auth: ConsoleAuth, cookieEnough: boolean): "secret" | "session" | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (bearer !== undefined) return timingSafeEqual(bearer, auth.secret) ? "secret" : null;
  const id = sessionOf(c, auth);
  if (id === null) return null;
  if (cookieEnough) return "session";
  return auth.sessions.matches(id, c.req.header(SESSION_KEY_HEADER) ?? "") ? "session" : null;
}

/**
 * A browser names the page's origin on every fetch that is not a GET or HEAD (`Origin`), and
 * `Sec-Fetch-Site` on every request; a request with neither came from no browser page.
 */
function namesThisOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin.toLowerCase() === selfOrigin(c);
  return c.req.header("sec-fetch-site") === "same-origin";
}

function loginNeededPage(): string {
  return `<!doctype html><meta charset="utf-8"><title>clawops console: log in</title>
<h1>clawops console</h1>
<p>This console needs its login. Open the login URL clawops printed when it started in a terminal, or print a new one with:</p>
<pre>bin/clawops login</pre>`;
}
