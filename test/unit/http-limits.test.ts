import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/adapters/http/app.ts";
import { BODY_LIMITS } from "../../src/adapters/http/limits.ts";
import { issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { requestFrom } from "../support/from-address.ts";
import { collectingLogger } from "../support/harness.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { signSlack, slashCommandBody } from "../support/slack-signing.ts";
import { streamBody as streamBodyTo } from "../support/stream-body.ts";

const SECRET = "test-signing-secret-limits-0123456789";
const BOT_TOKEN = "xoxb-0000-limits-bot-token";
const logger = collectingLogger();

let cp: ControlPlane;
let plane: SlackPlane;

beforeAll(async () => {
  plane = await startSlackPlane({ name: "limits", secret: SECRET, botToken: BOT_TOKEN, logger });
  cp = plane.cp;
});

afterAll(() => plane?.close());

/** A chunked body of up to `total` bytes to this control plane (test/support/stream-body.ts). */
const streamBody = (path: string, headers: Record<string, string>, total: number) =>
  streamBodyTo(new URL(path, cp.url), headers, total);

const HUNDRED_MB = 100 * 1024 * 1024;

describe("request bodies are read only after the headers prove who is calling, and only up to a cap", () => {
  it("an unsigned 100 MB slash command is refused on its headers, long before its body is in", async () => {
    const r = await streamBody("/slack/commands", { "content-type": "application/x-www-form-urlencoded" }, HUNDRED_MB);
    expect(r.status).toBe(401);
    expect(r.code).toBe("bad_signature");
    // Socket and kernel buffers take a few MB before the answer reaches the client; the rest never leaves.
    expect(r.sent).toBeLessThan(16 * 1024 * 1024);
  });

  it("a stale timestamp is refused on its headers too", async () => {
    const stale = signSlack(SECRET, "x", Math.floor(Date.now() / 1000) - 600);
    const r = await streamBody("/slack/interactions", stale, HUNDRED_MB);
    expect(r.status).toBe(401);
    expect(r.code).toBe("stale_request");
    expect(r.sent).toBeLessThan(16 * 1024 * 1024);
  });

  it("a body over the route's cap is refused with 413 once the cap is passed, signed headers or not", async () => {
    const headers = signSlack(SECRET, "whatever: the signature is checked after the body");
    const r = await streamBody("/slack/commands", headers, HUNDRED_MB);
    expect(r.status).toBe(413);
    expect(r.code).toBe("payload_too_large");
    expect(r.sent).toBeLessThan(16 * 1024 * 1024);
  });

  it("a Content-Length over the cap is refused without reading any of it", async () => {
    const body = slashCommandBody({ text: `triage ${"x".repeat(BODY_LIMITS.slackCommand)}` });
    const res = await fetch(`${cp.url}/slack/commands`, { method: "POST", headers: signSlack(SECRET, body), body });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });

  it("enrollment bodies are capped as well", async () => {
    const res = await fetch(`${cp.url}/api/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "x".repeat(10_000), host: "node-1", publicKey: "k" }),
    });
    expect(res.status).toBe(413);
  });

  it("a signed slash command sent chunked (no Content-Length) under the cap still works", async () => {
    const body = slashCommandBody({ text: "help" });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        new URL("/slack/commands", cp.url),
        { method: "POST", headers: { ...signSlack(SECRET, body), "transfer-encoding": "chunked" } },
        (res) => {
          const parts: Buffer[] = [];
          res.on("data", (d: Buffer) => parts.push(d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
        },
      );
      req.on("error", reject);
      // Two chunks: the cap is counted as the body streams in, and the signature covers both.
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    });
    expect(status).toBe(200);
    expect((JSON.parse(text) as { response_type: string }).response_type).toBe("ephemeral");
  });

  it("a signed slash command of ordinary size still works", async () => {
    const body = slashCommandBody({ text: "help" });
    const res = await fetch(`${cp.url}/slack/commands`, { method: "POST", headers: signSlack(SECRET, body), body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { response_type: string }).response_type).toBe("ephemeral");
  });
});

describe("enrollment guesses are rate-limited", () => {
  const guess = (from: string, host = "guess-1") =>
    requestFrom(from, `${cp.url}/api/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "AAAA-BBBB-CCCC", host, publicKey: "x".repeat(43) }),
    });

  it("a source past 10 failed codes in a minute gets 429 with Retry-After, its code unread", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await guess("127.0.0.1")).status);
    expect(statuses.slice(0, 10).every((s) => s === 403)).toBe(true);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    const limited = await guess("127.0.0.1");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(JSON.parse(limited.text).error).toMatchObject({
      code: "too_many_attempts",
      message: expect.stringContaining("from this address"),
    });
    expect(await cp.deps.store.getHost("guess-1")).toBeNull();
  });

  it("a flood of wrong codes from 40 addresses does not refuse a valid code from another (issue 32, item 5)", async () => {
    const flood: number[] = [];
    for (let a = 2; a < 42; a++) for (let i = 0; i < 3; i++) flood.push((await guess(`127.0.0.${a}`)).status);
    // 120 failures: past the global cap, a source that already failed is refused unread.
    expect(flood.filter((s) => s === 403).length).toBeGreaterThanOrEqual(30);
    expect(flood.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect((await guess("127.0.0.5")).status).toBe(429);

    const { code } = await issueEnrollmentCode(cp.deps, "valid-1");
    const valid = await requestFrom("127.0.0.77", `${cp.url}/api/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code, host: "valid-1", publicKey: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }),
    });
    expect(valid.status, valid.text).toBe(200);
    expect(await cp.deps.store.getHost("valid-1")).toMatchObject({ name: "valid-1" });
  });
});

describe("a client that goes away mid-request", () => {
  it("is logged as such, not as a server error", async () => {
    const body = slashCommandBody({ text: "help" });
    const headers = signSlack(SECRET, body);
    await new Promise<void>((resolve) => {
      const req = request(new URL("/slack/commands", cp.url), {
        method: "POST",
        headers: { ...headers, "content-length": String(body.length * 10) },
      });
      req.on("error", () => resolve());
      req.write(body.slice(0, 20));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    await expect.poll(() => logger.messages("info")).toContain("client closed the request");
    expect(logger.messages("error")).toEqual([]);
  });

  it("a server fault whose message says 'terminated' is still a server error (500, logged as an error)", async () => {
    // An upstream that sends its headers, then drops the connection mid-body: reading it throws
    // undici's `TypeError: terminated`, a fault of the server's own call, while the client waits.
    const upstream = createServer((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
      setTimeout(() => res.destroy(), 20);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    const route = new Hono().get("/", async (c) => c.text(await (await fetch(upstreamUrl)).text()));
    const app = createApp({ deps: cp.deps, runLater: () => {}, routes: [{ path: "/upstream", app: route }] });
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    try {
      const before = logger.lines.length;
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/upstream`);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal");
      expect(logger.lines.slice(before).map((l) => `${l.level} ${l.message}`)).toEqual([
        "error unhandled request error",
      ]);
    } finally {
      await new Promise((r) => server.close(r));
      await new Promise((r) => upstream.close(r));
    }
  });
});
