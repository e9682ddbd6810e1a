import { request } from "node:http";

/** What a streamed request got: the status, the answer's error code, the bytes sent before the answer. */
export interface StreamedBody {
  status: number;
  code: string | undefined;
  sent: number;
}

/**
 * POSTs up to `total` bytes of body to `url` (chunked, no Content-Length to refuse it by) and
 * stops writing once a response arrives. Returns the status, the error code and how many bytes
 * went out before the server answered: what an attacker got the server to take in.
 */
export function streamBody(url: URL, headers: Record<string, string>, total: number): Promise<StreamedBody> {
  const chunk = Buffer.alloc(64 * 1024, "a");
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(url, { method: "POST", headers: { ...headers, "transfer-encoding": "chunked" } }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code: string } }).error?.code;
        } catch {
          code = undefined;
        }
        req.destroy();
        resolve({ status: res.statusCode ?? 0, code, sent });
      });
    });
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}
