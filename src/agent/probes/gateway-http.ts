import { request } from "node:http";
import { DEFAULT_STEP_DEADLINE_MS, type GatewayHttpData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { errnoCode } from "./errors.ts";
import { gatewayTarget } from "./gateway-target.ts";
import { budget, type Probe } from "./probe.ts";

type HttpCheck = GatewayHttpData["healthz"];

/** Probe bodies are tiny JSON (GATEWAY-FACTS §5); an HTML page here means "not a probe route". */
const MAX_BODY_BYTES = 64 * 1024;
const TEXT_BODY_CHARS = 200;

/** `/healthz` (process alive) and `/readyz` (503 while starting or draining), no auth needed. */
export const probeGatewayHttp: Probe<"gateway.http"> = async (ctx, args, run) => {
  const target = gatewayTarget(ctx, await run.readings.config());
  const timeoutMs = budget(run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["gateway.http"]);
  const [healthz, readyz] = await Promise.all([
    httpGet(`${target.httpUrl}/healthz`, timeoutMs, run.signal),
    httpGet(`${target.httpUrl}/readyz`, timeoutMs, run.signal),
  ]);
  return { baseUrl: target.httpUrl, healthz, readyz };
};

/** One GET on a fresh connection (no keep-alive pool left holding a socket to the gateway). */
export function httpGet(url: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpCheck> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (check: HttpCheck) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(check);
    };
    const req = request(url, { method: "GET", agent: false, headers: { accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () => {
        finish({ status: res.statusCode ?? null, body: parseBody(Buffer.concat(chunks).toString("utf8")) });
      });
      res.on("error", (err) => finish({ status: res.statusCode ?? null, error: errorMessage(err) }));
    });
    const timer = setTimeout(() => {
      finish({ status: null, error: `timeout after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish({ status: null, error: "step deadline reached" });
      req.destroy();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => finish({ status: null, error: errnoCode(err) ?? errorMessage(err) }));
    req.end();
  });
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.length > TEXT_BODY_CHARS ? `${text.slice(0, TEXT_BODY_CHARS)}…` : text;
  }
}
