import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import worker from "../../src/worker/index.ts";
import { quietLogger } from "../support/loggers.ts";
import { nowSeconds, postSlashCommand, type RecordedRequest, type SlackCommandReply } from "./signed-slack.ts";

/**
 * The control plane inside workerd: requests go through the Worker's real `fetch` export
 * (wrangler.toml `main`), with the bindings from vitest.workers.config.ts. Signatures are
 * computed here with WebCrypto, independently of src/core/slack/verify.ts.
 */

function allText(reply: SlackCommandReply): string {
  const blocks = (reply.blocks ?? []).flatMap((b) => [
    b.text?.text ?? "",
    ...(b.elements ?? []).map((e) => e.text ?? ""),
  ]);
  return [reply.text ?? "", ...blocks].join("\n");
}

async function outboundCalls(): Promise<RecordedRequest[]> {
  return (await fetch(env.SLACK_STANDIN_CALLS_URL)).json<RecordedRequest[]>();
}

beforeEach(async () => {
  await fetch(env.SLACK_STANDIN_CALLS_URL, { method: "DELETE" });
});

describe("Slack slash commands on the Workers runtime", () => {
  it("acks a signed `/openclaw help` with the ephemeral help", async () => {
    const { status, body } = await postSlashCommand("help");
    expect(status).toBe(200);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toBe("clawops commands");
    const text = allText(body);
    for (const usage of ["/openclaw triage <host>", "/openclaw hosts", "/openclaw help"]) expect(text).toContain(usage);
    expect(await outboundCalls()).toEqual([]);
  });

  it("refuses a forged signature with 401 bad_signature", async () => {
    const { status, body } = await postSlashCommand("help", { secret: "not-the-signing-secret" });
    expect(status).toBe(401);
    expect(body.ok).toBe(false);
    expect(body.error?.code).toBe("bad_signature");
  });

  it("refuses a correctly signed request older than five minutes with 401 stale_request", async () => {
    const { status, body } = await postSlashCommand("help", { timestamp: nowSeconds() - 6 * 60 });
    expect(status).toBe(401);
    expect(body.error?.code).toBe("stale_request");
  });

  it("answers `/openclaw triage node-3` for an unknown host with an ephemeral error and calls no Slack API", async () => {
    const { status, body } = await postSlashCommand("triage node-3");
    expect(status).toBe(200);
    expect(body.response_type).toBe("ephemeral");
    const text = allText(body);
    expect(text).toContain("node-3");
    expect(text).toContain("/openclaw hosts");
    expect(text).toContain("unknown_host");
    expect(await outboundCalls()).toEqual([]);
  });

  it("answers `/openclaw bundle` with how to turn bundles on when CLAWOPS_LINK_SECRET is not set", async () => {
    const { status, body } = await postSlashCommand("bundle node-3");
    expect(status).toBe(200);
    expect(body.response_type).toBe("ephemeral");
    const text = allText(body);
    expect(text).toContain("bundles_not_configured");
    expect(text).toContain("CLAWOPS_LINK_SECRET is not set");
    expect(text).toContain("npx wrangler secret put CLAWOPS_LINK_SECRET");
    expect(await outboundCalls()).toEqual([]);
  });

  it("answers `/openclaw recover` with how to set the approval key when CLAWOPS_APPROVAL_KEY is not set, before touching anything", async () => {
    const { status, body } = await postSlashCommand("recover node-3");
    expect(status).toBe(200);
    expect(body.response_type).toBe("ephemeral");
    const text = allText(body);
    expect(text).toContain("recover_unavailable");
    expect(text).toContain("CLAWOPS_APPROVAL_KEY is not set");
    expect(text).toContain("approval-key | npx wrangler secret put CLAWOPS_APPROVAL_KEY");
    expect(await outboundCalls()).toEqual([]);
  });

  it("would see a Slack Web API call: the stand-in at SLACK_API_URL records them", async () => {
    // Guards the two `toEqual([])` above against a recorder that sees nothing.
    const chat = new SlackWebApiChat({
      token: env.SLACK_BOT_TOKEN,
      apiUrl: env.SLACK_API_URL,
      logger: quietLogger,
    });
    const { ts } = await chat.postMessage({ channel: "C0INCIDENT", text: "probe", parts: [] });
    expect(ts).toMatch(/^\d+\.\d{6}$/);
    const calls = await outboundCalls();
    expect(calls.map((c) => c.url)).toEqual([`${env.SLACK_API_URL}/chat.postMessage`]);
    expect(JSON.parse(calls[0]?.body ?? "{}")).toMatchObject({ channel: "C0INCIDENT", text: "probe" });
  });
});

describe("Worker configuration", () => {
  it("answers 503 not_configured, naming the missing secrets, when they are not set", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://clawops.example/healthz"),
      { ...env, SLACK_SIGNING_SECRET: undefined, SLACK_BOT_TOKEN: "xoxb-only-the-token" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const body = await res.json<SlackCommandReply>();
    expect(body.error?.code).toBe("not_configured");
    expect(body.error?.message).toContain("npx wrangler secret put SLACK_SIGNING_SECRET");
    expect(body.error?.message).not.toContain("xoxb-only-the-token");
    expect(body.error?.message).not.toContain("SLACK_BOT_TOKEN");
  });

  it("lists every problem at once (issue 28), each naming its binding and never its value", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://clawops.example/healthz"),
      {
        ...env,
        SLACK_SIGNING_SECRET: undefined,
        CLAWOPS_HOST_CHANNELS: "node-*",
        CLAWOPS_FANOUT_GROUP: "a-thousand",
        CLAWOPS_AUTHZ: "{not json but secret-ish}",
      },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const message = (await res.json<SlackCommandReply>()).error?.message ?? "";
    for (const name of ["SLACK_SIGNING_SECRET", "CLAWOPS_HOST_CHANNELS", "CLAWOPS_FANOUT_GROUP", "CLAWOPS_AUTHZ"]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain("secret-ish");
  });

  it("serves /healthz (the readiness checks) when configured", async () => {
    const res = await exports.default.fetch("https://clawops.example/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { store: "ok", hub: "ok" } });
  });
});
