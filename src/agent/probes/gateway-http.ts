import { DEFAULT_STEP_DEADLINE_MS, type GatewayHttpData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { httpFetch } from "../http-client.ts";
import { errnoCode } from "./errors.ts";
import { resolveGatewayTarget } from "./gateway-target.ts";
import { budget, type Probe } from "./probe.ts";

type HttpCheck = GatewayHttpData["healthz"];

/** Probe bodies are tiny JSON (GATEWAY-FACTS §5); an HTML page here means "not a probe route". */
const MAX_BODY_BYTES = 64 * 1024;
const TEXT_BODY_CHARS = 200;

/** `/healthz` (process alive) and `/readyz` (503 while starting or draining), no auth needed. */
export const probeGatewayHttp: Probe<"gateway.http"> = async (ctx, args, run) => {
  const target = await resolveGatewayTarget(ctx, run.readings);
  const pin = target.tls?.sha256 ?? undefined;
  const timeoutMs = budget(run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["gateway.http"]);
  const [healthz, readyz] = await Promise.all([
    httpGet(`${target.httpUrl}/healthz`, timeoutMs, run.signal, pin),
    httpGet(`${target.httpUrl}/readyz`, timeoutMs, run.signal, pin),
  ]);
  return { baseUrl: target.httpUrl, healthz, readyz };
};

/** One GET on a fresh connection (no keep-alive pool left holding a socket to the gateway). */
export async function httpGet(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
  tlsPinSha256?: string,
): Promise<HttpCheck> {
  // `httpFetch` closes the connection when either fires; which one fired names the error.
  // (AbortSignal.timeout takes whole ms; a step's remaining budget is fractional.)
  const timeout = AbortSignal.timeout(Math.ceil(timeoutMs));
  try {
    const res = await httpFetch(url, {
      headers: { Accept: "application/json" },
      maxBodyBytes: MAX_BODY_BYTES,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      ...(tlsPinSha256 ? { tlsPinSha256 } : {}),
    });
    return { status: res.statusCode, body: parseBody(res.body.toString("utf8")) };
  } catch (err) {
    if (signal?.aborted) return { status: null, error: "step deadline reached" };
    if (timeout.aborted) return { status: null, error: `timeout after ${timeoutMs} ms` };
    // Before a response: the errno code (ECONNREFUSED …); inside its body: what went wrong.
    const status = (err as { status?: unknown }).status;
    return typeof status === "number"
      ? { status, error: errorMessage(err) }
      : { status: null, error: errnoCode(err) ?? errorMessage(err) };
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.length > TEXT_BODY_CHARS ? `${text.slice(0, TEXT_BODY_CHARS)}…` : text;
  }
}
