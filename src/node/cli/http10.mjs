// @ts-check
/**
 * One HTTP/1.0 request over a plain socket, for the CLI's one-reply commands. Why not fetch or
 * node:http: loading either costs about as much as Node's own start (`import "node:http"` alone
 * is 1.9x bare `node -e 1` in CPU, fetch more), which would put every `clawops hosts` past twice
 * Node's start (issue 33, item 7; docs/benchmarks.md "CLI start"); node:net is already loaded.
 * HTTP/1.0 keeps the answer simple to read: the server closes the connection at its end and sends
 * no chunked encoding (Node's HTTP server does not use it for a 1.0 request). https:// URLs use
 * fetch: TLS costs its own start anyway.
 */
import { connect } from "node:net";

/**
 * @typedef {object} Answer
 * @property {number} status
 * @property {string} text
 */

/**
 * @param {string} url
 * @param {{ method?: string; headers?: Record<string, string>; body?: string }} [init]
 * @returns {Promise<Answer>}
 */
export function request(url, init = {}) {
  const target = new URL(url);
  if (target.protocol !== "http:") return viaFetch(url, init);
  const body = Buffer.from(init.body ?? "", "utf8");
  const head = [
    `${init.method ?? "GET"} ${target.pathname}${target.search} HTTP/1.0`,
    `Host: ${target.host}`,
    ...Object.entries(init.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ...(init.body === undefined ? [] : [`Content-Length: ${body.length}`]),
    "",
    "",
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname.replace(/^\[|\]$/g, ""), port: Number(target.port || 80) });
    /** @type {Buffer[]} */
    const parts = [];
    socket.setTimeout(60_000, () => socket.destroy(new Error(`no answer from ${target.host} in 60 s`)));
    socket.on("data", (d) => parts.push(d));
    socket.on("error", reject);
    socket.on("end", () => {
      try {
        resolve(parseAnswer(Buffer.concat(parts)));
      } catch (err) {
        reject(err);
      }
    });
    // Not `end()`: a request half-closed at once may be cut off before its answer is written; the
    // server closes the connection once it has answered a 1.0 request.
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
  });
}

/** @param {Buffer} raw */
function parseAnswer(raw) {
  const split = raw.indexOf("\r\n\r\n");
  if (split < 0) throw new Error("the answer ended before its headers did");
  const head = raw.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1]);
  if (!status) throw new Error(`not an HTTP answer: ${(head[0] ?? "").slice(0, 60)}`);
  let body = raw.subarray(split + 4);
  if (head.some((h) => /^transfer-encoding:\s*chunked/i.test(h))) body = dechunk(body);
  return { status, text: body.toString("utf8") };
}

/**
 * A chunked body, should a server send one to a 1.0 request anyway.
 * @param {Buffer} body
 */
function dechunk(body) {
  /** @type {Buffer[]} */
  const out = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    const size = Number.parseInt(body.subarray(at, eol).toString("latin1"), 16);
    if (eol < 0 || !Number.isFinite(size)) throw new Error("a malformed chunked answer");
    if (size === 0) return Buffer.concat(out);
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/**
 * @param {string} url
 * @param {{ method?: string; headers?: Record<string, string>; body?: string }} init
 * @returns {Promise<Answer>}
 */
async function viaFetch(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}
