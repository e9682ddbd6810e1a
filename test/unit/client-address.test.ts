import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeClientAddress, parseTrustProxy } from "../../src/node/client-address.ts";
import { requestFrom } from "../support/from-address.ts";

/**
 * The source the per-source limits see on Node: the TCP peer, or, with CLAWOPS_TRUST_PROXY=1 and
 * a loopback peer (a reverse proxy on this machine), the last X-Forwarded-For entry.
 */
let servers: ReturnType<typeof serve>[] = [];
const urls: Record<string, string> = {};

beforeAll(async () => {
  for (const trust of [false, true]) {
    const app = new Hono().get("/", (c) => c.text(nodeClientAddress(trust)(c)));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    servers.push(server);
    urls[String(trust)] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }
});

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  servers = [];
});

describe("the client address of a request", () => {
  it("is the peer; X-Forwarded-For is ignored unless a proxy is trusted", async () => {
    const xff = { "x-forwarded-for": "203.0.113.9, 198.51.100.7" };
    expect((await requestFrom("127.0.0.8", urls.false as string, { headers: xff })).text).toBe("127.0.0.8");
    expect((await requestFrom("127.0.0.8", urls.true as string, { headers: xff })).text).toBe("198.51.100.7");
    expect((await requestFrom("127.0.0.8", urls.true as string)).text).toBe("127.0.0.8");
  });

  it("CLAWOPS_TRUST_PROXY takes 0 or 1 and names itself otherwise", () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy("0")).toBe(false);
    expect(parseTrustProxy("1")).toBe(true);
    expect(() => parseTrustProxy("yes")).toThrow(/CLAWOPS_TRUST_PROXY: "yes" is not 0 or 1/);
  });
});
