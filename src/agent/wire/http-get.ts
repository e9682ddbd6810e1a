import { type DialOptions, dial, HeadReader, HttpError, type ResponseHead, requestHead } from "./http1.ts";

export interface GetResponse extends ResponseHead {
  /** The body, at most `maxBodyBytes` of it. */
  body: Buffer;
  /** The server had more to send than `maxBodyBytes`; the rest was not read. */
  truncated: boolean;
}

export interface GetOptions extends DialOptions {
  headers?: Record<string, string>;
  maxBodyBytes: number;
  /** Aborting closes the connection and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * One HTTP/1.1 GET on a fresh connection (`Connection: close`; no pool keeps a socket open), the
 * body read by Content-Length, chunked, or to the end of the connection, up to `maxBodyBytes`.
 * Rejects with the socket's error (its errno code kept: `ECONNREFUSED`…), or an HttpError:
 * `socket hang up` (ECONNRESET) when the connection ends before a response, `aborted` (with the
 * status) when it ends inside the body, as Node's own client says.
 */
export function get(url: string | URL, opts: GetOptions): Promise<GetResponse> {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:")
    return Promise.reject(new TypeError(`not an http(s) URL: ${target.protocol}`));
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const socket = dial(target, opts);
    const heads = new HeadReader();
    let head: ResponseHead | null = null;
    let body: BodyReader | null = null;
    let settled = false;
    const finish = (err: unknown, res?: GetResponse) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (res) resolve(res);
      else reject(err);
    };
    const onAbort = () => finish(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      if (head && body) finish(null, { ...head, body: body.bytes(), truncated: body.truncated });
    };
    const feed = (chunk: Buffer): void => {
      if (!head) {
        const got = heads.push(chunk);
        if (!got) return;
        // An interim 1xx (100 Continue, 103 Early Hints): the real response follows it.
        if (got.head.statusCode < 200) {
          if (got.rest.length) feed(got.rest);
          return;
        }
        head = got.head;
        body = new BodyReader(head, opts.maxBodyBytes);
        chunk = got.rest;
      }
      if (body?.push(chunk)) done();
    };
    socket.on("data", (chunk: Buffer) => {
      try {
        feed(chunk);
      } catch (err) {
        finish(err);
      }
    });
    socket.on("end", () => {
      if (!head) return finish(new HttpError("socket hang up", "ECONNRESET"));
      if (body?.endsWithConnection) return done();
      finish(new HttpError("aborted", "ECONNRESET", head.statusCode));
    });
    socket.on("error", (err) => finish(head ? Object.assign(err, { status: head.statusCode }) : err));
    socket.on("close", () => finish(new HttpError("socket hang up", "ECONNRESET", head?.statusCode)));
    socket.write(
      requestHead("GET", target, {
        ...opts.headers,
        Connection: "close",
      }),
    );
  });
}

/** A response body as framed by RFC 9112 §6.3: no body, Content-Length, chunked, or to the end. */
class BodyReader {
  truncated = false;
  /** Delimited by the end of the connection (no length given). */
  readonly endsWithConnection: boolean;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private remaining: number;
  private readonly chunked: ChunkedDecoder | null;
  private readonly max: number;

  constructor(head: ResponseHead, max: number) {
    this.max = max;
    const te = head.headers["transfer-encoding"];
    const cl = head.headers["content-length"];
    this.chunked = te && /(^|,)\s*chunked\s*$/i.test(te) ? new ChunkedDecoder() : null;
    const noBody = head.statusCode === 204 || head.statusCode === 304;
    if (!this.chunked && !noBody && cl !== undefined && !/^\d+$/.test(cl))
      throw new HttpError("Parse Error: Invalid character in Content-Length", "HPE_INVALID_CONTENT_LENGTH");
    this.remaining = noBody ? 0 : this.chunked ? Number.POSITIVE_INFINITY : cl !== undefined ? Number(cl) : -1;
    this.endsWithConnection = this.remaining === -1;
  }

  /** Takes bytes from the socket; true once the body is complete (or the cap reached). */
  push(chunk: Buffer): boolean {
    if (this.remaining === 0) return true;
    let data = chunk;
    let complete = false;
    if (this.chunked) {
      const out = this.chunked.push(chunk);
      data = out.data;
      complete = out.done;
    } else if (this.remaining > 0) {
      data = chunk.subarray(0, this.remaining);
      this.remaining -= data.length;
      complete = this.remaining === 0;
    }
    const room = this.max - this.size;
    if (data.length > room) {
      this.keep(data.subarray(0, room));
      this.truncated = true;
      return true;
    }
    this.keep(data);
    return complete;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  private keep(data: Buffer): void {
    if (!data.length) return;
    this.chunks.push(data);
    this.size += data.length;
  }
}

/** `Transfer-Encoding: chunked` (RFC 9112 §7.1): hex size lines, data, CRLF; a 0 chunk, trailers, CRLF. */
class ChunkedDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of the current chunk still to come, or -1 while reading a size line (or trailers once ended). */
  private left = -1;
  private inTrailers = false;

  push(chunk: Buffer): { data: Buffer; done: boolean } {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      if (this.left > 0) {
        const take = this.pending.subarray(0, Math.min(this.left, this.pending.length));
        out.push(take);
        this.left -= take.length;
        this.pending = this.pending.subarray(take.length);
        if (this.left > 0) break;
        this.left = -2; // the CRLF after the chunk's data
      }
      if (this.left === -2) {
        if (this.pending.length < 2) break;
        if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) throw chunkError();
        this.pending = this.pending.subarray(2);
        this.left = -1;
      }
      const eol = this.pending.indexOf("\r\n");
      if (eol === -1) {
        if (this.pending.length > 4096) throw chunkError();
        break;
      }
      const line = this.pending.subarray(0, eol).toString("latin1");
      this.pending = this.pending.subarray(eol + 2);
      if (this.inTrailers) {
        // Trailer fields end with an empty line; the body is complete.
        if (line === "") return { data: Buffer.concat(out), done: true };
        continue;
      }
      const size = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(line)?.[1];
      if (size === undefined) throw chunkError();
      this.left = Number.parseInt(size, 16);
      if (this.left === 0) {
        this.inTrailers = true;
        this.left = -1;
      }
    }
    return { data: Buffer.concat(out), done: false };
  }
}

const chunkError = () => new HttpError("Parse Error: Invalid character in chunk size", "HPE_INVALID_CHUNK_SIZE");
