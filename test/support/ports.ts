import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * Ports are chosen from here up to the start of the kernel's ephemeral range. A port from
 * inside that range (what `listen(0)` gives) can be taken, once the test's server is down, as
 * the local end of any outgoing connection on this machine: a test that keeps a port closed
 * for minutes (a gateway that is not there) or binds it again after a restart (workerd, a
 * control plane, a gateway) then meets EADDRINUSE. No outgoing connection is given a port
 * below the range.
 */
const LOWEST = 20_000;

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether `port` can be listened on at `host` now; an address this machine lacks (no IPv6) counts as free. */
function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) =>
      resolve(err.code === "EADDRNOTAVAIL" || err.code === "EAFNOSUPPORT"),
    );
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** What `listen(0)` gives: a free port inside the ephemeral range, when none below it is free. */
function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * A TCP port free on 127.0.0.1 (and ::1, where there is one) right now, below the ephemeral
 * range, so no outgoing connection can hold it while the caller's server is down; the caller
 * binds it next. Random, so parallel test files and other work on the machine rarely meet.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  if (high - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
      if ((await canListen(port, "127.0.0.1")) && (await canListen(port, "::1"))) return port;
    }
  }
  return anyPort();
}
