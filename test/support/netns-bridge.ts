import { once } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Netns } from "./netns.ts";

const INSIDE = fileURLToPath(new URL("./tcp-to-unix.ts", import.meta.url));

/**
 * Makes a control plane listening on this machine's loopback reachable from inside a netns
 * (test/support/netns.ts) at the same URL, `http://127.0.0.1:<port>`, the way a remote host
 * reaches it through its address: inside, a listener on that port carries each connection over
 * a Unix socket (pathname sockets cross network namespaces) to a server outside, which connects
 * to the control plane. Nothing else outside is reachable from the netns.
 *
 * With `listen`, the inside listener takes that address instead of 127.0.0.1 (the network's end
 * of a host's link, test/support/netns.ts `openNetnsWithUplink`): `ns` is then that side.
 *
 * With `tamper`, the outside is an HTTP proxy instead, which hands each response body to
 * `tamper(path, body)` before passing it on: something between a host and the control plane
 * (a proxy, a cache) that changes a file in transit. It carries no WebSocket upgrades.
 */
export async function bridgeIntoNetns(
  ns: Pick<Netns, "spawn">,
  target: string,
  opts: { dir: string; listen?: string; tamper?: (path: string, body: Buffer) => Buffer },
): Promise<{ close(): Promise<void> }> {
  const url = new URL(target);
  if (url.hostname !== "127.0.0.1") throw new Error(`bridge: the control plane must listen on 127.0.0.1 (${target})`);
  const port = Number(url.port);
  const socketPath = join(opts.dir, `bridge-${port}-${process.pid}-${Date.now()}.sock`);
  const outside: Server | HttpServer = opts.tamper ? tamperingProxy(target, opts.tamper) : pipeTo(port);
  outside.listen(socketPath);
  await once(outside, "listening");

  const child = ns.spawn(process.execPath, [INSIDE, String(port), socketPath, ...(opts.listen ? [opts.listen] : [])], {
    env: { PATH: process.env.PATH ?? "" },
    cwd: opts.dir,
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`netns bridge not up within 10 s: ${output}`)), 10_000);
    const add = (d: Buffer) => {
      output += d.toString();
      if (output.includes("bridge-up")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", add);
    child.stderr?.on("data", add);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`netns bridge exited ${code}: ${output}`));
    });
  });
  return {
    async close() {
      // The inside half ends with the netns (Netns.close); the outside half here.
      if ("closeAllConnections" in outside) outside.closeAllConnections();
      await new Promise<void>((resolve) => outside.close(() => resolve()));
    },
  };
}

function pipeTo(port: number): Server {
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((fromNetns) => {
    const toControlPlane = connect(port, "127.0.0.1");
    sockets.add(fromNetns);
    fromNetns.once("close", () => sockets.delete(fromNetns));
    fromNetns.pipe(toControlPlane).pipe(fromNetns);
    fromNetns.on("error", () => toControlPlane.destroy());
    toControlPlane.on("error", () => fromNetns.destroy());
  });
  const close = server.close.bind(server);
  // Open agent sockets would keep close() waiting: end them with the server.
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return server;
}

function tamperingProxy(target: string, tamper: (path: string, body: Buffer) => Buffer): HttpServer {
  return createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        (e): e is [string, string] => typeof e[1] === "string" && !["host", "connection"].includes(e[0]),
      ),
    );
    const upstream = await fetch(new URL(req.url ?? "/", target), {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const body = tamper(req.url ?? "/", Buffer.from(await upstream.arrayBuffer()));
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/plain" });
    res.end(body);
  });
}
