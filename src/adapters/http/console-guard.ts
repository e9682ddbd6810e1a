import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { randomToken, timingSafeEqual } from "../../contract/encoding.ts";
import { ClawopsError } from "../../core/errors.ts";
import type { Clock } from "../../core/ports/basics.ts";

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
 * - and the request must carry the per-install console secret: as the HttpOnly,
 *   SameSite=Strict cookie a one-time login URL sets (the browser), or as
 *   `Authorization: Bearer` (the CLI, which reads it from the data folder).
 */
export interface ConsoleAuth {
  /** The per-install secret (Node: `<data dir>/console-secret`, mode 0600). */
  secret: string;
  /** `host:port` values the console answers to: the loopback names of where it listens. */
  allowedHosts: () => readonly string[];
  /** One-time login codes, shared with whoever prints login URLs (the start banner, `clawops login`). */
  logins: LoginCodes;
}

export const CONSOLE_COOKIE = "clawops_console";
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
  "Open the login URL clawops printed when it started, or print a new one with `npm run clawops -- login` (the CLI reads the console secret from the data folder).";

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
    if ((origin && origin.toLowerCase() !== `http://${host}`) || c.req.header("sec-fetch-site") === "cross-site") {
      throw new ClawopsError("console_origin_refused", "Cross-origin requests to the console are refused.", {
        status: 403,
      });
    }
    await next();
  };
}

/** The console secret, from the cookie or the bearer header. */
export function consoleSecretOnly(auth: ConsoleAuth): MiddlewareHandler {
  return async (c, next) => {
    if (!hasSecret(c, auth.secret)) {
      if (c.req.method === "GET" && c.req.path === "/console") {
        return c.html(loginNeededPage(), 401);
      }
      throw new ClawopsError("console_auth_required", `The console needs its secret. ${WHAT_TO_DO}`, { status: 401 });
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
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

/** `GET /console/login?code=…`: spends a one-time code, sets the cookie, goes to the console. */
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
    setCookie(c, CONSOLE_COOKIE, auth.secret, { httpOnly: true, sameSite: "Strict", path: "/" });
    return c.redirect("/console");
  };
}

function hasSecret(c: Context, secret: string): boolean {
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  const given = bearer ?? getCookie(c, CONSOLE_COOKIE) ?? "";
  return given.length > 0 && timingSafeEqual(given, secret);
}

function loginNeededPage(): string {
  return `<!doctype html><meta charset="utf-8"><title>clawops console: log in</title>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>clawops console</h1>
<p>This console needs its login. Open the login URL clawops printed when it started, or print a new one with:</p>
<pre>npm run clawops -- login</pre>
</body>`;
}
