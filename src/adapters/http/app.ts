import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { TRIAGE_STEP_NAMES } from "../../contract/catalog.ts";
import { classifyResults } from "../../core/classify/classify.ts";
import { handleCommand } from "../../core/commands/handle.ts";
import type { CommandReply } from "../../core/commands/types.ts";
import type { CoreDeps } from "../../core/deps.ts";
import { ClawopsError, isClawopsError } from "../../core/errors.ts";
import { enrollHost } from "../../core/hub/enrollment.ts";
import { LAYERS } from "../../core/layers.ts";
import {
  BlockActionsPayload,
  type ButtonPress,
  handleButtonPress,
  pressFromBlockActions,
} from "../../core/recovery/press.ts";
import { auditToJsonLines, requireRecovery } from "../../core/recovery/service.ts";
import { type ConsoleChat, toConsoleMessage } from "../console/feed.ts";
import { slackEphemeral } from "../slack/render.ts";
import { verifySlackRequest } from "../slack/verify.ts";

export interface AppOptions {
  deps: CoreDeps;
  /** Slack slash commands are served only when a signing secret is configured. */
  slack?: { signingSecret: string };
  /** The local console (page + JSON API). Only for loopback-bound, single-operator installs. */
  console?: {
    chat: ConsoleChat;
    channel: string;
    deps?: CoreDeps /** The page served at /console (Node only). */;
    page: string;
  };
  /** Runs work after the response: `executionCtx.waitUntil` on Workers, a detached promise on Node. */
  runInBackground: (task: Promise<void>, ctx: { executionCtx?: { waitUntil(p: Promise<unknown>): void } }) => void;
}

const EnrollBody = z.object({
  code: z.string().min(4).max(64),
  host: z.string().min(1).max(100),
  publicKey: z.string().max(100),
});
const ConsoleCommandBody = z.object({ text: z.string().max(500) });
const ConsoleConfirmBody = z.object({
  id: z.string().min(1).max(100),
  decision: z.enum(["approve", "approve_drained", "cancel"]),
});

/** The hono app every runtime serves. Web-standard Request/Response only. */
export function createApp(opts: AppOptions) {
  const { deps } = opts;
  const app = new Hono();

  app.onError((err, c) => {
    if (isClawopsError(err))
      return c.json({ ok: false, error: { code: err.code, message: err.message } }, err.status as 400);
    if (err instanceof HTTPException) return err.getResponse();
    deps.logger.error("unhandled request error", { path: c.req.path, err: err.message });
    return c.json(
      { ok: false, error: { code: "internal", message: "internal error; see the control-plane log" } },
      500,
    );
  });

  app.get("/healthz", (c) => c.json({ ok: true }));

  const background = (reply: CommandReply, c: { executionCtx?: unknown }) => {
    if (!reply.background) return;
    const task = reply.background().catch((err) => deps.logger.error("background task failed", { err: String(err) }));
    let executionCtx: { waitUntil(p: Promise<unknown>): void } | undefined;
    try {
      executionCtx = c.executionCtx as { waitUntil(p: Promise<unknown>): void };
    } catch {
      // hono throws when there is no execution context (Node); that is fine.
    }
    opts.runInBackground(task, { executionCtx });
  };

  const slack = opts.slack;
  if (slack) {
    /** The request body, once its v0 signature and timestamp check out; throws otherwise. */
    const verifiedBody = async (c: Context): Promise<string> => {
      // The signature covers the exact bytes Slack sent; decode them as UTF-8 explicitly.
      const body = new TextDecoder().decode(await c.req.arrayBuffer());
      await verifySlackRequest({
        signingSecret: slack.signingSecret,
        body,
        signature: c.req.header("x-slack-signature"),
        timestamp: c.req.header("x-slack-request-timestamp"),
        nowSeconds: Math.floor(deps.clock.now() / 1000),
      });
      return body;
    };

    app.post("/slack/commands", async (c) => {
      const form = new URLSearchParams(await verifiedBody(c));
      const command = form.get("command") ?? "/openclaw";
      const triggerId = form.get("trigger_id");
      const user = form.get("user_id");
      const channel = form.get("channel_id");
      if (!user || !channel || !triggerId) {
        throw new ClawopsError("bad_request", "Slash command payload lacks user_id, channel_id or trigger_id.");
      }
      // A retry (X-Slack-Retry-Num) carries the same trigger_id, which the job store
      // treats as an idempotency key: the retry is acked and starts nothing.
      const reply = await handleCommand(deps, {
        text: form.get("text") ?? "",
        user,
        channel,
        requestKey: `slack:${form.get("team_id") ?? ""}:${triggerId}`,
        source: "slack",
        ...(form.get("team_id") ? { workspace: form.get("team_id") as string } : {}),
      });
      if (c.req.header("x-slack-retry-num"))
        deps.logger.info("slack retry", { command, retry: c.req.header("x-slack-retry-num") });
      background(reply, c);
      return c.json(slackEphemeral(reply.ack));
    });

    // Interactivity (buttons): same signature check as slash commands; the form's `payload`
    // field holds the JSON. Refusals change nothing and are told in the thread.
    app.post("/slack/interactions", async (c) => {
      const body = await verifiedBody(c);
      let json: unknown = null;
      try {
        json = JSON.parse(new URLSearchParams(body).get("payload") ?? "null");
      } catch {
        json = null;
      }
      const parsed = BlockActionsPayload.safeParse(json);
      const press = parsed.success ? pressFromBlockActions(parsed.data) : null;
      if (!press) return c.body(null, 200); // Other interaction types: acknowledged, ignored.
      const outcome = await handleButtonPress(requireRecovery(deps), press);
      return c.json({
        ok: outcome.ok,
        ...(outcome.ok ? {} : { error: { code: outcome.code, message: outcome.reason } }),
      });
    });
  }

  app.post("/api/enroll", async (c) => {
    const parsed = EnrollBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {code, host, publicKey}.");
    const result = await enrollHost(deps, parsed.data);
    deps.logger.info("host enrolled", { host: result.host });
    // Agents pin this key at enrollment and accept mutating steps only with approvals it signed.
    return c.json({ ok: true, host: result.host, approvalKey: deps.recovery?.approvalKey?.publicKey ?? null });
  });

  // Repro bundle downloads: only through an unexpired HMAC-signed link (service/bundle.ts).
  app.get("/bundles/:id", async (c) => {
    const bundles = deps.bundles;
    if (!bundles) throw new ClawopsError("bundles_not_configured", "Bundles are not configured.", { status: 404 });
    const id = c.req.param("id");
    const verdict = await bundles.signer.verify(id, c.req.query("exp"), c.req.query("sig"), deps.clock.now());
    if (verdict !== "ok") {
      throw new ClawopsError(
        "bundle_link_invalid",
        verdict === "expired"
          ? "This bundle link has expired. Run `/openclaw bundle <host>` again for a fresh bundle."
          : "This bundle link is not valid (wrong or missing signature).",
        { status: 403 },
      );
    }
    const blob = await bundles.blobs.get(`${id}.zip`);
    if (!blob || blob.meta.expiresAt <= deps.clock.now()) {
      throw new ClawopsError("bundle_not_found", "This bundle is no longer kept (retention passed).", { status: 404 });
    }
    return new Response(blob.bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": blob.meta.contentType,
        "content-length": String(blob.bytes.byteLength),
        "content-disposition": `attachment; filename="${id}.zip"`,
        "cache-control": "private, no-store",
      },
    });
  });

  const consoleOpts = opts.console;
  if (consoleOpts) {
    // With Slack configured too, console commands post to the console, not to Slack.
    const consoleDeps = consoleOpts.deps ?? deps;
    app.get("/", (c) => c.redirect("/console"));
    app.get("/console", (c) => c.html(consoleOpts.page));
    app.post("/api/console/command", async (c) => {
      const parsed = ConsoleCommandBody.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {text}.");
      const text = parsed.data.text.replace(/^\s*\/openclaw\b/, "");
      // The feed position before anything this command posts: a follower starts here.
      const headSeq = await consoleOpts.chat.head();
      const reply = await handleCommand(consoleDeps, {
        text,
        user: "console",
        channel: consoleOpts.channel,
        requestKey: deps.ids.id("console"),
        source: "console",
      });
      background(reply, c);
      return c.json({
        ok: true,
        ack: toConsoleMessage(reply.ack),
        jobId: reply.jobId ?? null,
        error: reply.error ?? null,
        headSeq,
      });
    });
    // The console's confirmation buttons: the local operator pressing Approve/Cancel.
    app.post("/api/console/confirm", async (c) => {
      const parsed = ConsoleConfirmBody.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success)
        throw new ClawopsError("bad_request", "Body must be JSON {id, decision: approve|approve_drained|cancel}.");
      const press: ButtonPress = {
        confirmationId: parsed.data.id,
        decision: parsed.data.decision,
        actor: { user: "console", channel: consoleOpts.channel, source: "console" },
      };
      const outcome = await handleButtonPress(requireRecovery(consoleDeps), press);
      return c.json({ ok: outcome.ok, error: outcome.ok ? null : { code: outcome.code, message: outcome.reason } });
    });
    // The audit log as JSON lines, oldest first (`?host=`, `?after=<seq>` to page on).
    app.get("/api/console/audit.jsonl", async (c) => {
      const store = deps.recovery?.store;
      if (!store)
        throw new ClawopsError("not_configured", "The audit log is not wired in this runtime.", { status: 404 });
      const host = c.req.query("host") || undefined;
      let after = Number(c.req.query("after") ?? "0") || 0;
      const lines: string[] = [];
      for (;;) {
        const page = await store.listAudit({ host, afterSeq: after, limit: 1000, order: "asc" });
        const last = page[page.length - 1];
        if (!last) break;
        lines.push(auditToJsonLines(page));
        after = last.seq;
      }
      return c.body(lines.join(""), 200, { "content-type": "application/x-ndjson; charset=utf-8" });
    });
    app.get("/api/console/messages", async (c) => {
      const since = Number(c.req.query("since") ?? "0") || 0;
      return c.json({ ok: true, events: await consoleOpts.chat.since(since) });
    });
    app.get("/api/console/jobs/:id", async (c) => {
      const job = await deps.store.getJob(c.req.param("id"));
      if (!job) throw new ClawopsError("job_not_found", "No such job.", { status: 404 });
      const c12n = job.status === "running" ? null : classifyResults(job.results, TRIAGE_STEP_NAMES);
      return c.json({
        ok: true,
        job: {
          id: job.id,
          host: job.host,
          status: job.status,
          threadTs: job.threadTs,
          progressTs: job.progressTs,
          resultTs: job.resultTs,
          detail: job.detail,
          failingLayers: c12n ? LAYERS.filter((l) => c12n.matrix[l].status === "fail") : [],
          findings: c12n ? c12n.findings.map((f) => f.id) : [],
        },
      });
    });
    app.get("/api/console/events", (c) =>
      streamSSE(c, async (stream) => {
        let last = Number(c.req.header("last-event-id") ?? c.req.query("since") ?? "0") || 0;
        const queue: { seq: number; data: string }[] = [];
        let wake: (() => void) | null = null;
        const unsubscribe = consoleOpts.chat.subscribe((e) => {
          queue.push({ seq: e.seq, data: JSON.stringify(e) });
          wake?.();
        });
        stream.onAbort(() => {
          unsubscribe();
          wake?.();
        });
        // Replay everything after `last`, page by page (since() returns at most 500).
        for (let from = last; ; ) {
          const page = await consoleOpts.chat.since(from);
          for (const e of page) queue.push({ seq: e.seq, data: JSON.stringify(e) });
          const tail = page[page.length - 1];
          if (!tail) break;
          from = tail.seq;
        }
        while (!stream.aborted) {
          while (queue.length > 0) {
            const next = queue.shift();
            if (!next || next.seq <= last) continue;
            last = next.seq;
            await stream.writeSSE({ id: String(next.seq), event: "message", data: next.data });
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 15_000);
          });
          wake = null;
          if (queue.length === 0 && !stream.aborted) await stream.writeSSE({ event: "ping", data: "" });
        }
        unsubscribe();
      }),
    );
  }

  return app;
}
