import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { GatewayControlAddress } from "./descriptor.ts";
import type { RealGateway } from "./gateway.ts";

/**
 * Lets test files (which run in worker processes) stop, start and restart the gateway that
 * globalSetup owns. Loopback only, bearer token, one operation at a time.
 *
 *   POST /stop                                   → { running: false }
 *   POST /kill                                   → { running: false }  (SIGKILL: a crash)
 *   POST /start   { "extraArgs": ["--token", …] } → { running: true, pid }
 *   POST /restart { "extraArgs": […] }            → { running: true, pid }
 *   POST /restore { "extraArgs": […] }            → { running: true, pid }  (a start only when it is stopped
 *                                                   or runs with other arguments; none: the lab config)
 *   POST /pause, POST /resume                    → { running, pid, paused }  (SIGSTOP / SIGCONT: hung)
 *   GET  /state                                  → { running, pid }
 */
export type ControlServer = { address: GatewayControlAddress; close(): Promise<void> };

const MAX_BODY = 64 * 1024;

export async function startControlServer(gateway: RealGateway): Promise<ControlServer> {
  const token = randomBytes(24).toString("hex");
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => {});
    return next;
  };
  const state = () => ({ running: gateway.running, pid: gateway.pid ?? null, paused: gateway.paused });

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) =>
      reply(res, 500, { error: err instanceof Error ? err.message : String(err) }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, token)) return reply(res, 401, { error: "unauthorized" });
    const body = await readJson(req);
    const extraArgs = parseExtraArgs(body);
    if (extraArgs === null) return reply(res, 400, { error: "extraArgs must be an array of strings" });
    switch (`${req.method} ${req.url}`) {
      case "GET /state":
        return reply(res, 200, state());
      case "POST /stop":
        await serialized(() => gateway.stop());
        return reply(res, 200, state());
      case "POST /kill":
        await serialized(() => gateway.stop({ crash: true }));
        return reply(res, 200, state());
      case "POST /start":
        await serialized(() => (gateway.running ? Promise.resolve() : gateway.start({ extraArgs })));
        return reply(res, 200, state());
      case "POST /restart":
        await serialized(() => gateway.restart({ extraArgs }));
        return reply(res, 200, state());
      case "POST /restore":
        await serialized(async () => {
          gateway.resume();
          const same =
            gateway.currentExtraArgs.length === extraArgs.length &&
            gateway.currentExtraArgs.every((arg, i) => arg === extraArgs[i]);
          if (!gateway.running || !same) await gateway.restart({ extraArgs });
        });
        return reply(res, 200, state());
      case "POST /pause":
        await serialized(async () => gateway.pause());
        return reply(res, 200, state());
      case "POST /resume":
        await serialized(async () => gateway.resume());
        return reply(res, 200, state());
      default:
        return reply(res, 404, { error: `no route ${req.method} ${req.url}` });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("control server has no address");
  return {
    address: { url: `http://127.0.0.1:${address.port}`, token },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  return text ? (JSON.parse(text) as unknown) : {};
}

function parseExtraArgs(body: unknown): string[] | null {
  if (typeof body !== "object" || body === null || !("extraArgs" in body)) return [];
  const args = (body as { extraArgs: unknown }).extraArgs;
  if (args === undefined) return [];
  return Array.isArray(args) && args.every((a) => typeof a === "string") ? args : null;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
