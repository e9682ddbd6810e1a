import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { checkSlackHeaders, verifySlackRequest } from "../src/adapters/slack/verify.ts";

/**
 * The ack bench's yardstick (bench/ack.ts): a bare hono app in its own process that checks
 * the same Slack headers and v0 signature over the same bytes, then answers an ephemeral
 * ack, and does nothing else. `node bench/bare-hono.ts` with SLACK_SIGNING_SECRET set;
 * prints `listening at <url>`.
 */
const secret = process.env.SLACK_SIGNING_SECRET;
if (!secret) throw new Error("SLACK_SIGNING_SECRET is required");
const app = new Hono();
app.post("/slack/commands", async (c) => {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const signature = c.req.header("x-slack-signature");
  const timestamp = c.req.header("x-slack-request-timestamp");
  checkSlackHeaders({ signature, timestamp, nowSeconds });
  const body = new TextDecoder().decode(await c.req.arrayBuffer());
  await verifySlackRequest({ signingSecret: secret, body, signature, timestamp, nowSeconds });
  const form = new URLSearchParams(body);
  return c.json({ response_type: "ephemeral", text: `Got ${form.get("command") ?? ""} ${form.get("text") ?? ""}` });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  process.stdout.write(`listening at http://127.0.0.1:${info.port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
