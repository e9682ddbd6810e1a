import { createServer, type Server } from "node:http";

/**
 * A Telegram Bot API stand-in on loopback, for a real gateway's real Telegram channel
 * (`channels.telegram.apiRoot`, docs/channels/telegram.md: "Bot API root only"). It checks the
 * documented request shape (`/bot<token>/<method>`, the token the config holds; a JSON body for
 * POST) and answers like Telegram: 401 for another token, and, in `conflict` mode, getUpdates
 * 409 "Conflict: terminated by other getUpdates request; make sure that only one bot instance is
 * running", what Telegram says to a second poller of one bot. Long polls hold for their
 * `timeout` (at most 25 s here) and return no updates.
 */
export type TelegramMode = "ok" | "conflict";

export type TelegramStandIn = {
  url: string;
  calls: { method: string; status: number; at: number }[];
  /** Requests that did not have the documented shape. */
  violations: string[];
  setMode(mode: TelegramMode): void;
  close(): Promise<void>;
};

const METHODS = new Set([
  "getMe",
  "getUpdates",
  "deleteWebhook",
  "setMyCommands",
  "deleteMyCommands",
  "getMyCommands",
  "close",
  "logOut",
]);

export async function startTelegramStandIn(token: string): Promise<TelegramStandIn> {
  let mode: TelegramMode = "ok";
  const calls: TelegramStandIn["calls"] = [];
  const violations: string[] = [];
  const held = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(new URL(req.url ?? "/", "http://x").pathname);
      const send = (status: number, payload: unknown) => {
        calls.push({ method: m?.[2] ?? "?", status, at: Date.now() });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (!m?.[2]) {
        violations.push(`${req.method} ${req.url}: not /bot<token>/<method>`);
        return send(404, { ok: false, error_code: 404, description: "Not Found" });
      }
      if (m[1] !== token) return send(401, { ok: false, error_code: 401, description: "Unauthorized" });
      if (!METHODS.has(m[2])) violations.push(`unexpected method ${m[2]}`);
      let params: Record<string, unknown> = {};
      if (body) {
        try {
          params = JSON.parse(body) as Record<string, unknown>;
        } catch {
          violations.push(`${m[2]}: body is not JSON`);
        }
      }
      switch (m[2]) {
        case "getMe":
          return send(200, {
            ok: true,
            result: {
              id: 7000001,
              is_bot: true,
              first_name: "Lab",
              username: "lab_clawops_bot",
              can_join_groups: true,
            },
          });
        case "getUpdates": {
          if (mode === "conflict")
            return send(409, {
              ok: false,
              error_code: 409,
              description:
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            });
          const seconds = Math.min(25, Number(params.timeout ?? 0));
          const timer = setTimeout(() => {
            held.delete(timer);
            send(200, { ok: true, result: [] });
          }, seconds * 1000);
          held.add(timer);
          return;
        }
        default:
          return send(200, { ok: true, result: true });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    violations,
    setMode: (m) => {
      mode = m;
    },
    close: async () => {
      for (const t of held) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
