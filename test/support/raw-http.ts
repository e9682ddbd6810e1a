import { request } from "node:http";

/** An HTTP answer as it came: status, headers (Set-Cookie and all), body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request with node:http, so the test sees and sends headers fetch would hide or refuse
 * (Cookie, Origin, Host, Set-Cookie). An event stream stays open: its status and headers are
 * the answer, with an empty body.
 */
export function rawRequest(
  url: URL,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      if (res.headers["content-type"]?.startsWith("text/event-stream")) {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
      }
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}
