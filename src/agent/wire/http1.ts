import { isIP, connect as netConnect, type Socket } from "node:net";

/**
 * The HTTP/1.1 the agent speaks itself, over `node:net` (and `node:tls` for `wss://` and
 * `https://`): the request of a WebSocket upgrade (./websocket.ts) and of one GET
 * (./http-get.ts), and the parser of a response's head, so the agent never loads Node's own
 * `node:http` (resident memory: docs/benchmarks.md) for the two kinds of request it makes.
 */

/** A response's status line and headers. Header names are lower case; repeated ones are joined with ", ". */
export interface ResponseHead {
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
}

/** An error with the code Node's own HTTP client would give it (llhttp's `HPE_*`, `ECONNRESET`). */
export class HttpError extends Error {
  readonly code: string;
  /** The response's status, when the error came after its head (a body cut short). */
  readonly status: number | undefined;

  constructor(message: string, code: string, status?: number) {
    super(message);
    this.name = "HttpError";
    this.code = code;
    this.status = status;
  }
}

/** As Node's default `--max-http-header-size`. */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface DialOptions {
  /** Certificates to trust instead of Node's (tests); a host adds its own with NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer | (string | Buffer)[];
}

/**
 * Opens a TCP connection to the URL's host and port, through TLS for `wss:` and `https:`. The
 * TLS module is loaded here, on the first secure connection: an agent that only dials `ws://`
 * and `http://` never maps it (it parses Node's root certificates as it loads, ~2.8 MB).
 * Writes made before the connection is up are queued by the socket.
 */
export function dial(url: URL, opts: DialOptions = {}): Socket {
  const secure = url.protocol === "wss:" || url.protocol === "https:";
  // WHATWG URLs drop the scheme's default port and bracket IPv6 literals.
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = Number(url.port || (secure ? 443 : 80));
  if (!secure) return netConnect({ host, port });
  const tls = process.getBuiltinModule("node:tls");
  return tls.connect({
    host,
    port,
    // SNI takes a name, never an address.
    ...(isIP(host) ? {} : { servername: host }),
    ...(opts.ca ? { ca: opts.ca } : {}),
  });
}

/** The request line and headers of a request without a body, ending with the blank line. */
export function requestHead(method: string, url: URL, headers: Record<string, string>): string {
  const lines = [`${method} ${url.pathname || "/"}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new TypeError(`invalid header ${JSON.stringify(name)}`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join("\r\n")}\r\n\r\n`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?$/;
const CRLF2 = Buffer.from("\r\n\r\n");

/**
 * Collects a response's head from the bytes a socket delivers. `push` returns null until the
 * blank line after the headers has arrived, then the head and the bytes after it, which belong
 * to the body or, after a 101, to the WebSocket (a server may send its first frame in the same
 * packet as its 101). Throws an HttpError for a head that is not HTTP/1.x or is too large.
 */
export class HeadReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { head: ResponseHead; rest: Buffer } | null {
    // Start the search 3 bytes back: the blank line may straddle two chunks.
    const from = Math.max(0, this.pending.length - 3);
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = this.pending.indexOf(CRLF2, from);
    if (end === -1) {
      if (this.pending.length > MAX_HEAD_BYTES)
        throw new HttpError("Parse Error: Header overflow", "HPE_HEADER_OVERFLOW");
      // Not even the start of a status line: not an HTTP server (Node: HPE_INVALID_CONSTANT).
      if (this.pending.length >= 5 && this.pending.subarray(0, 5).toString("latin1") !== "HTTP/")
        throw new HttpError("Parse Error: Expected HTTP/", "HPE_INVALID_CONSTANT");
      return null;
    }
    if (end > MAX_HEAD_BYTES) throw new HttpError("Parse Error: Header overflow", "HPE_HEADER_OVERFLOW");
    const head = parseHead(this.pending.subarray(0, end).toString("latin1"));
    const rest = this.pending.subarray(end + CRLF2.length);
    this.pending = Buffer.alloc(0);
    return { head, rest };
  }
}

function parseHead(text: string): ResponseHead {
  const [statusLine = "", ...lines] = text.split("\r\n");
  const status = STATUS_LINE.exec(statusLine);
  if (!status?.[1]) throw new HttpError("Parse Error: Expected HTTP/", "HPE_INVALID_CONSTANT");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // No folded (obsolete) continuation lines, no space before the colon: RFC 9112 §5.
    if (!TOKEN.test(name)) throw new HttpError("Parse Error: Invalid header token", "HPE_INVALID_HEADER_TOKEN");
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return { statusCode: Number(status[1]), statusMessage: status[2] ?? "", headers };
}
