import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type GatewayControlAddress, LAB_DRIFT_TOKEN } from "./descriptor.ts";
import type { RealGateway } from "./gateway.ts";

/**
 * Lets test files (which run in worker processes) stop, start and restart the gateway that
 * globalSetup owns. Loopback only, bearer token, one operation at a time.
 *
 * The lab starts its gateway with `--token <the lab token>` (`pinned`), the token its config holds,
 * unless asked to start it from its config alone (`fromConfig`, as a unit without `--token` does).
 * A pinned gateway keeps serving that token when the config's is rotated, so token drift
 * (GATEWAY-FACTS §6a: started with one token, the config holding another) is a config edit the
 * running gateway takes live, and so is its undo, where a drift started with another `--token`
 * cost a start to make and another to undo. The drift lives as long as the gateway runs: every
 * stop and start puts the lab token back in the config.
 *
 *   POST /stop                          → { running: false }
 *   POST /kill                          → { running: false }  (SIGKILL: a crash)
 *   POST /start   { "fromConfig"?: true } → { running: true, pid }
 *   POST /restart { "fromConfig"?: true } → { running: true, pid }
 *   POST /restore { "fromConfig"?: true } → { running: true, pid }  (healthy: the lab token in the config;
 *                                          a start only when stopped, or when it runs otherwise than asked)
 *   POST /drift                         → { running: true, pid }  (pinned, LAB_DRIFT_TOKEN in the config)
 *   POST /pause, POST /resume           → { running, pid, paused }  (SIGSTOP / SIGCONT: hung)
 *   GET  /state                         → { running, pid }
 */
/** The shared gateway's usual start: `--token` with the token its config holds (above). */
export function pinnedArgs(gateway: RealGateway): string[] {
  return ["--token", gateway.token];
}

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
  const pin = pinnedArgs(gateway);
  const startArgs = (fromConfig: boolean) => (fromConfig ? [] : pin);
  const runsWith = (args: readonly string[]) =>
    gateway.running &&
    gateway.currentExtraArgs.length === args.length &&
    gateway.currentExtraArgs.every((arg, i) => arg === args[i]);
  /** The lab's own drift undone in a config nothing serves from any more (a stopped gateway's). */
  const undrift = async () => {
    if ((await gateway.configToken()) === LAB_DRIFT_TOKEN) await gateway.setConfigToken(gateway.token);
  };
  const stop = async (crash: boolean) => {
    await gateway.stop({ crash });
    await undrift();
  };
  const restart = async (fromConfig: boolean) => {
    await stop(false);
    await gateway.start({ extraArgs: startArgs(fromConfig) });
  };
  const restore = async (fromConfig: boolean) => {
    gateway.resume();
    if (runsWith(startArgs(fromConfig)) || (!fromConfig && runsWith([]))) {
      if ((await gateway.configToken()) !== LAB_DRIFT_TOKEN) return;
      // A client that read the drifted config and was refused after the repair is in the log as
      // one refused under the current auth, which a healthy triage would rightly warn of: then
      // a start, after which no such line is the gateway's current record.
      if (!(await gateway.repairConfigToken())) await restart(fromConfig);
    } else {
      await restart(fromConfig);
    }
  };
  const drift = async () => {
    gateway.resume();
    if (runsWith(pin)) {
      if ((await gateway.configToken()) !== LAB_DRIFT_TOKEN) await gateway.setConfigToken(LAB_DRIFT_TOKEN);
      return;
    }
    await gateway.stop();
    await gateway.setConfigToken(LAB_DRIFT_TOKEN);
    await gateway.start({ extraArgs: pin });
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) =>
      reply(res, 500, { error: err instanceof Error ? err.message : String(err) }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, token)) return reply(res, 401, { error: "unauthorized" });
    const fromConfig = parseFromConfig(await readJson(req));
    if (fromConfig === null) return reply(res, 400, { error: "fromConfig must be a boolean" });
    switch (`${req.method} ${req.url}`) {
      case "GET /state":
        return reply(res, 200, state());
      case "POST /stop":
        await serialized(() => stop(false));
        return reply(res, 200, state());
      case "POST /kill":
        await serialized(() => stop(true));
        return reply(res, 200, state());
      case "POST /start":
        await serialized(async () => {
          if (gateway.running) return;
          await undrift();
          await gateway.start({ extraArgs: startArgs(fromConfig) });
        });
        return reply(res, 200, state());
      case "POST /restart":
        await serialized(() => restart(fromConfig));
        return reply(res, 200, state());
      case "POST /restore":
        await serialized(() => restore(fromConfig));
        return reply(res, 200, state());
      case "POST /drift":
        await serialized(drift);
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

function parseFromConfig(body: unknown): boolean | null {
  if (typeof body !== "object" || body === null || !("fromConfig" in body)) return false;
  const value = (body as { fromConfig: unknown }).fromConfig;
  if (value === undefined) return false;
  return typeof value === "boolean" ? value : null;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
