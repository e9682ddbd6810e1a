import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "../core/ports/basics.ts";

/**
 * A control plane's stop on SIGTERM (issue 32, item 8: it called closeAllConnections before
 * close, so requests in flight were cut, and agents saw 1006 instead of a going-away close):
 *
 * 1. stop accepting: the listening socket closes (new connections are refused), idle keep-alive
 *    connections are closed;
 * 2. finish what is in flight, within a bound: the requests being answered (not the console's
 *    event streams, which never end by themselves), then the work they started after their
 *    answer (a triage, a bundle), which needs the agents still connected;
 * 3. close every agent with 1001 (going away), waiting for the close handshake, so agents
 *    redial at once instead of waiting out a dead socket;
 * 4. cut what is left (event streams, a request past the bound), and let the caller exit.
 */

/** How long in-flight requests may take to finish. */
export const DRAIN_BOUND_MS = 10_000;
/**
 * How long, after that, the work they started may go on with the agents still connected. A job
 * cut off here is marked lost at the next start, and its thread says so.
 */
export const LATER_BOUND_MS = 5_000;

/** The HTTP requests being answered, event streams apart. Attach once, when the server is made. */
export class InFlightRequests {
  private readonly open = new Set<ServerResponse>();

  constructor(server: Server) {
    server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
      this.open.add(res);
      res.once("close", () => this.open.delete(res));
    });
  }

  /** Requests still being answered, not counting event streams (they end only when cut). */
  get count(): number {
    let n = 0;
    for (const res of this.open) if (!String(res.getHeader("content-type") ?? "").startsWith("text/event-stream")) n++;
    return n;
  }
}

export interface DrainParts {
  server: Server;
  requests: InFlightRequests;
  /** Work that runs after an answer (each interaction's `later`): waited for once the requests are done. */
  later: () => Promise<unknown>[];
  /** Closes the agents with 1001 and waits for their close handshakes (AgentHub.close). */
  closeAgents: () => Promise<void>;
  logger: Logger;
  boundMs?: number;
  laterBoundMs?: number;
}

export async function drain(parts: DrainParts): Promise<void> {
  const { server, requests, logger } = parts;
  const deadline = Date.now() + (parts.boundMs ?? DRAIN_BOUND_MS);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections?.();
  const inFlightAtStart = requests.count;
  while (requests.count > 0 && Date.now() < deadline) {
    await sleep(20);
    // A keep-alive connection whose answer just went out is idle now: closed, not kept.
    server.closeIdleConnections?.();
  }
  const later = parts.later();
  if (later.length > 0) {
    await Promise.race([Promise.allSettled(later), sleep(parts.laterBoundMs ?? LATER_BOUND_MS)]);
  }
  const cut = requests.count;
  await parts.closeAgents();
  // Event streams, and a request that outlived the bound.
  server.closeAllConnections?.();
  await closed;
  logger.info("drained", { inFlightAtStart, cut, later: later.length });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
