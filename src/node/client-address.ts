import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { type ClientAddress, UNKNOWN_SOURCE } from "../adapters/http/source-limits.ts";

/** Env var: `1` trusts X-Forwarded-For from a reverse proxy on this machine (a loopback peer). */
export const TRUST_PROXY_ENV = "CLAWOPS_TRUST_PROXY";

/** Reads CLAWOPS_TRUST_PROXY: unset or `0` off, `1` on; anything else stops the start. */
export function parseTrustProxy(raw: string | undefined): boolean {
  const v = raw?.trim() ?? "";
  if (v === "" || v === "0") return false;
  if (v === "1") return true;
  throw new Error(
    `${TRUST_PROXY_ENV}: "${v.slice(0, 20)}" is not 0 or 1 (1: a reverse proxy on this machine sets X-Forwarded-For).`,
  );
}

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * The Node control plane's source of a request, for per-source limits: the TCP peer. Behind a
 * reverse proxy on this machine every request's peer is the proxy, so with `trustProxy` a
 * loopback peer's X-Forwarded-For is believed, its last entry (the address the proxy itself saw;
 * earlier entries are the client's to write).
 */
export function nodeClientAddress(trustProxy: boolean): ClientAddress {
  return (c: Context) => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      // Not served by @hono/node-server (app.request in a test): no peer to name.
    }
    if (!peer) return UNKNOWN_SOURCE;
    if (trustProxy && LOOPBACK.test(peer)) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",").pop()?.trim();
      if (forwarded) return forwarded.slice(0, 64);
    }
    return peer;
  };
}
