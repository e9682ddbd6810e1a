import { type Context, Hono, type MiddlewareHandler } from "hono";
import { sha256Hex, timingSafeEqual } from "../../contract/encoding.ts";
import { errorMessage } from "../../contract/errors.ts";
import { ClawopsError } from "../../core/errors.ts";
import type { Logger } from "../../core/ports/basics.ts";
import type { Capability } from "../../core/ports/deps.ts";

/** One thing the control plane needs to serve: `check` resolves when it is fine. */
export interface ReadinessCheck {
  /** Short name shown in the answer: `store`, `hub`. */
  name: string;
  /** What it proves, in words, for the 503 answer: "the store answers a query". */
  what: string;
  check: () => Promise<void> | void;
}

/**
 * A check's failure that may be named in the answer: its state word (`busy`) and what it means
 * for a caller ("another process holds the database's write lock; try again"), nothing secret.
 * Any other error is only "failed", its text in the log.
 */
export class NotReady extends Error {
  readonly state: string;
  readonly say: string;
  /** `logged`: the fuller account for the log (a path, a figure), never put in the answer. */
  constructor(state: string, say: string, logged?: string) {
    super(logged ?? say);
    this.name = "NotReady";
    this.state = state;
    this.say = say;
  }
}

export interface MetricsExport {
  /** CLAWOPS_METRICS_TOKEN; unset: /metrics answers 503 saying to set it. */
  token: string | undefined;
  render: () => Promise<{ contentType: string; body: string }>;
}

export interface OpsOptions {
  ready: readonly ReadinessCheck[];
  /** Off: /metrics answers 501 with why (a runtime that exports none). */
  metrics: Capability<MetricsExport>;
}

/** A readiness check that has not answered by then has failed: a hung store is not ready. */
export const READY_CHECK_TIMEOUT_MS = 2_000;
export const METRICS_TOKEN_VARIABLE = "CLAWOPS_METRICS_TOKEN";

/**
 * What an orchestrator and a monitoring system ask: `GET /livez` (the process answers: no
 * dependency is touched, so a restart is never ordered for a slow store), `GET /readyz` (each
 * readiness check, 503 naming the one that failed; `/healthz` is the same), and `GET /metrics`
 * (Prometheus text format, behind a bearer token checked before anything is rendered). The
 * probes read no body and say nothing secret: check names and what they prove, never an error's
 * text, which goes to the log.
 */
export function opsRoutes(ops: OpsOptions, logger: Logger): Hono {
  const app = new Hono();
  // Only the ops answers: mounted at "/", a "*" here would run for every route of the app, and a
  // header set after a route answered rebuilds its Response (a cost on every slash-command ack).
  for (const path of ["/livez", "/readyz", "/healthz", "/metrics"]) {
    app.use(path, async (c, next) => {
      await next();
      c.header("cache-control", "no-store");
    });
  }
  app.get("/livez", (c) => c.json({ ok: true }));
  const ready = (c: Context) => readiness(c, ops.ready, logger);
  app.get("/readyz", ready);
  app.get("/healthz", ready);
  if (ops.metrics.on) {
    const exp = ops.metrics.use;
    const guard = bearerGuard({
      token: exp.token,
      variable: METRICS_TOKEN_VARIABLE,
      realm: "clawops metrics",
      off: `Metrics are off: set ${METRICS_TOKEN_VARIABLE} to a long random string and scrape with \`Authorization: Bearer <${METRICS_TOKEN_VARIABLE}>\`.`,
    });
    app.get("/metrics", guard, async (c) => {
      const { contentType, body } = await exp.render();
      return c.body(body, 200, { "content-type": contentType });
    });
  } else {
    const why = ops.metrics.why;
    app.get("/metrics", () => {
      throw new ClawopsError("not_implemented", why, { status: 501 });
    });
  }
  return app;
}

async function readiness(c: Context, checks: readonly ReadinessCheck[], logger: Logger): Promise<Response> {
  const results = await Promise.all(
    checks.map(async (check) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      try {
        await Promise.race([
          Promise.resolve().then(check.check),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer in ${READY_CHECK_TIMEOUT_MS / 1000} s`)),
              READY_CHECK_TIMEOUT_MS,
            );
          }),
        ]);
        return { check, ok: true, state: "ok", say: check.what };
      } catch (err) {
        logger.warn("readiness check failed", { check: check.name, err: errorMessage(err) });
        if (err instanceof NotReady) return { check, ok: false, state: err.state, say: err.say };
        return { check, ok: false, state: "failed", say: check.what };
      } finally {
        if (timer !== null) clearTimeout(timer);
      }
    }),
  );
  const status = Object.fromEntries(results.map((r) => [r.check.name, r.state]));
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return c.json({ ok: true, checks: status });
  const message = `Not ready: ${failed.map((r) => `${r.check.name} ${r.state} (${r.say})`).join("; ")}. The control-plane log says why.`;
  return c.json({ ok: false, error: { code: "not_ready", message }, checks: status }, 503);
}

/**
 * `Authorization: Bearer <token>`, compared in constant time (as SHA-256 digests, so the
 * lengths match too), before the route does anything. No token configured: 503 with `off`
 * (what to set), since no request could pass.
 */
export function bearerGuard(opts: {
  token: string | undefined;
  /** The variable holding the token, named in the 401. */
  variable: string;
  realm: string;
  off: string;
}): MiddlewareHandler {
  const { token, variable, realm } = opts;
  return async (c, next) => {
    if (!token) throw new ClawopsError("not_configured", opts.off, { status: 503 });
    const given = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    const [a, b] = await Promise.all([sha256Hex(given), sha256Hex(token)]);
    if (!timingSafeEqual(a, b)) {
      c.header("www-authenticate", `Bearer realm="${realm}"`);
      throw new ClawopsError("unauthorized", `Send \`Authorization: Bearer <${variable}>\`.`, { status: 401 });
    }
    await next();
  };
}
