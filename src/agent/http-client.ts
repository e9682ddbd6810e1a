import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { holdUntilPinned } from "./probes/tls-pin.ts";

/**
 * The agent's HTTP requests, on Node's own client (`node:http`, `node:https`): the gateway's
 * health routes (`gateway.http`, the restart's readiness poll), enrollment, and the new agent an
 * upgrade downloads. Each request has its own connection (`agent: false`: no pool keeps a socket
 * open to the gateway or the control plane) and a cap on the body it reads.
 */

export interface HttpResponse {
  statusCode: number;
  headers: IncomingMessage["headers"];
  /** The body, at most `maxBodyBytes` of it. */
  body: Buffer;
  /** The server had more to send than `maxBodyBytes`; the rest was not read. */
  truncated: boolean;
}

export interface HttpOptions {
  method?: "GET" | "POST";
  headers?: OutgoingHttpHeaders;
  /** Sent as is (POST). */
  body?: string | Buffer;
  /** The most of the body kept; the connection is closed once it is reached. */
  maxBodyBytes: number;
  /** Aborting closes the connection and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * https only: accept the server's certificate by this SHA-256 fingerprint instead of a CA, as
   * OpenClaw's clients do with a TLS gateway (probes/tls-pin.ts); a mismatch rejects before a response.
   */
  tlsPinSha256?: string;
}

/** An error after the response's head (a body cut short): its status is kept. */
export class HttpBodyError extends Error {
  readonly status: number;
  readonly code: string | undefined;

  constructor(message: string, status: number, code?: string) {
    super(message);
    this.name = "HttpBodyError";
    this.status = status;
    this.code = code;
  }
}

/**
 * One request. Rejects with Node's error before a response (its errno code kept: ECONNREFUSED …),
 * an HttpBodyError when the connection ends inside the body, or the signal's reason.
 */
export function httpFetch(url: string | URL, opts: HttpOptions): Promise<HttpResponse> {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:")
    return Promise.reject(new TypeError(`not an http(s) URL: ${target.protocol}`));
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (err: unknown, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      req.destroy();
      if (res) resolve(res);
      else reject(err);
    };
    const onAbort = () => finish(opts.signal?.reason);
    const pin = target.protocol === "https:" ? opts.tlsPinSha256 : undefined;
    const tls = pin ? { rejectUnauthorized: false } : {};
    const req = send(target, { method: opts.method ?? "GET", headers: opts.headers, agent: false, ...tls }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        const room = opts.maxBodyBytes - size;
        if (chunk.length > room) {
          // Past the cap: what fits is kept and the connection closed, the rest never read.
          chunks.push(chunk.subarray(0, room));
          finish(null, { statusCode: status, headers: res.headers, body: Buffer.concat(chunks), truncated: true });
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () =>
        finish(null, { statusCode: status, headers: res.headers, body: Buffer.concat(chunks, size), truncated: false }),
      );
      res.on("aborted", () => finish(new HttpBodyError("aborted", status, "ECONNRESET")));
      res.on("error", (err: NodeJS.ErrnoException) => finish(new HttpBodyError(err.message, status, err.code)));
    });
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (pin) holdUntilPinned(req, pin, false);
    req.on("error", (err) => finish(err));
    req.end(opts.body);
  });
}
