import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { TRIAGE_STEP_NAMES } from "../../contract/catalog.ts";
import { auditToJsonLines } from "../../core/audit/audit.ts";
import { classifyResults } from "../../core/classify/classify.ts";
import { parseCommand } from "../../core/commands/parse.ts";
import { ClawopsError } from "../../core/errors.ts";
import { describeSelector } from "../../core/fleet/fleet.ts";
import { fleetReportFor } from "../../core/fleet/from-watch.ts";
import { stripCommandName } from "../../core/messages/command-name.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { type Handled, handle } from "../../core/router/handle.ts";
import { LAYERS } from "../../core/vocabulary/layers.ts";
import { type ConsoleChat, toConsoleMessage } from "../console/feed.ts";
import { messageToText } from "../console/text.ts";
import {
  type ConsoleAuth,
  consoleSecretOnly,
  loginHandler,
  logoutHandler,
  sameOriginOnly,
  sessionOf,
} from "./console-guard.ts";
import { consoleSecureHeaders } from "./console-headers.ts";
import { expiryRoutes } from "./expiry-routes.ts";
import { incidentPageRoutes } from "./incident-page-routes.ts";
import { incidentRoutes } from "./incident-routes.ts";
import type { LaterAfterAck } from "./later.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

export interface ConsoleOptions {
  chat: ConsoleChat;
  channel: string;
  /** The core as the console sees it (its chat is the console); default: the app's. */
  deps?: CoreDeps;
  /** The page served at /console (Node only). */
  page: string;
  /** Who may use it: the console secret, the loopback host names, one-time login codes. */
  auth: ConsoleAuth;
}

/**
 * `render`: the ack also as terminal text (`terminal`, with ANSI bold and dim for `ansi`), so the
 * `clawops` CLI prints a one-reply command's answer without loading the message model and its
 * renderer: it starts within twice bare Node's time (issue 33, docs/benchmarks.md).
 */
const RenderAs = z.enum(["plain", "ansi"]).optional();
const ConsoleCommandBody = z.object({ text: z.string().max(500), render: RenderAs });
const ConsolePressBody = z.object({ actionId: z.string().min(1).max(255), value: z.string().max(200) });
const ConsoleConfirmBody = z.object({
  id: z.string().min(1).max(100),
  decision: z.enum(["approve", "approve_drained", "cancel"]),
});

/**
 * The local console: its page and JSON API (commands, confirmation buttons, the audit log,
 * the message feed as JSON and as server-sent events). For loopback-bound, single-operator
 * installs only.
 */
export function consoleRoutes(deps: CoreDeps, consoleOpts: ConsoleOptions, later: LaterAfterAck) {
  const app = new Hono();
  // With Slack configured too, console commands post to the console, not to Slack.
  const r: ConsoleRouteDeps = { deps, consoleDeps: consoleOpts.deps ?? deps, consoleOpts, later };
  // Registration order matters: the guards come before the routes they cover.
  guardAndPageRoutes(app, r);
  commandRoutes(app, r);
  auditRoute(app, r);
  readRoutes(app, r);
  incidentRoutes(app, r.consoleDeps);
  incidentPageRoutes(app, r.consoleDeps);
  expiryRoutes(app, r.consoleDeps);
  eventsRoute(app, r);
  return app;
}

type ConsoleRouteDeps = {
  /** The app's core. */
  deps: CoreDeps;
  /** The core as the console sees it (its chat is the console). */
  consoleDeps: CoreDeps;
  consoleOpts: ConsoleOptions;
  later: LaterAfterAck;
};

/** Same-origin and secret guards, the one-time login and the page itself. */
function guardAndPageRoutes(app: Hono, { consoleOpts }: ConsoleRouteDeps): void {
  const { auth } = consoleOpts;
  const secureHeaders = consoleSecureHeaders(consoleOpts.page);
  for (const path of ["/console", "/console/*", "/api/console/*"]) {
    // CSP, nosniff, no framing, no referrer: on every console answer, refusals included.
    app.use(path, secureHeaders);
    app.use(path, sameOriginOnly(auth));
    // What the console shows is for the logged-in browser alone: never kept by a cache.
    app.use(path, async (c, next) => {
      await next();
      c.header("cache-control", "no-store");
    });
  }
  app.get("/console/login", loginHandler(auth));
  for (const path of ["/console", "/api/console/*"]) app.use(path, consoleSecretOnly(auth));
  // A fresh one-time login URL for a browser (`clawops login`), for a caller that has the secret.
  app.post("/api/console/login", (c) =>
    c.json({ ok: true, url: `http://${c.req.header("host")}/console/login?code=${auth.logins.issue()}` }),
  );
  app.post("/api/console/logout", logoutHandler(auth));
  app.get("/console", (c) => c.html(consoleOpts.page));
}

/** Commands typed into the console, and its confirmation buttons. */
function commandRoutes(app: Hono, { deps, consoleDeps, consoleOpts, later }: ConsoleRouteDeps): void {
  // Who a console command or press is: the local operator, in the console's channel, once.
  const asConsoleUser = () => ({
    user: "console",
    channel: consoleOpts.channel,
    requestKey: deps.ids.id("console"),
    source: "console" as const,
  });
  // Its `later` work runs after the answer; the answer is the ack as the page shows it.
  const answer = (c: Context, handled: Handled, headSeq: number, render?: "plain" | "ansi") => {
    later(handled, c);
    const ack = toConsoleMessage(handled.ack);
    return c.json({
      ok: true,
      ack: render ? { ...ack, terminal: messageToText(ack.message, { ansi: render === "ansi" }) } : ack,
      jobId: handled.jobId ?? null,
      error: handled.error ?? null,
      headSeq,
    });
  };
  app.post("/api/console/command", capBody(BODY_LIMITS.consoleCommand), async (c) => {
    const parsed = ConsoleCommandBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {text}.");
    const text = stripCommandName(parsed.data.text, consoleDeps.commandName);
    // The feed position before anything this command posts: a follower starts here.
    const headSeq = await consoleOpts.chat.head();
    const handled = await handle(consoleDeps, { kind: "command", request: { text, ...asConsoleUser() } });
    return answer(c, handled, headSeq, parsed.data.render);
  });
  // Command buttons on answers (Run again, Triage, …): the console user's command, checked as
  // strictly as a Slack press; the ack comes back as a typed command's does.
  app.post("/api/console/press", capBody(BODY_LIMITS.consoleConfirm), async (c) => {
    const parsed = ConsolePressBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new ClawopsError("bad_request", "Body must be JSON {actionId, value}.");
    const headSeq = await consoleOpts.chat.head();
    const press = { actionId: parsed.data.actionId, value: parsed.data.value, ...asConsoleUser() };
    return answer(c, await handle(consoleDeps, { kind: "command-press", press }), headSeq);
  });
  // The console's confirmation buttons: the local operator pressing Approve/Cancel.
  app.post("/api/console/confirm", capBody(BODY_LIMITS.consoleConfirm), async (c) => {
    const parsed = ConsoleConfirmBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success)
      throw new ClawopsError("bad_request", "Body must be JSON {id, decision: approve|approve_drained|cancel}.");
    const handled = await handle(consoleDeps, {
      kind: "approval",
      press: {
        confirmationId: parsed.data.id,
        decision: parsed.data.decision,
        actor: { user: "console", channel: consoleOpts.channel, source: "console" },
      },
    });
    later(handled, c);
    return c.json({ ok: !handled.error, error: handled.error ?? null });
  });
}

function auditRoute(app: Hono, { deps }: ConsoleRouteDeps): void {
  // The audit log as JSON lines, oldest first (`?host=`, `?after=<seq>` to page on).
  app.get("/api/console/audit.jsonl", async (c) => {
    const { store } = deps.recovery;
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
}

/** The feed as JSON, one job, the hosts and the fleet probe: what `clawops … --json` reads. */
function readRoutes(app: Hono, { deps, consoleDeps, consoleOpts }: ConsoleRouteDeps): void {
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
        // For `clawops triage --json`: the matrix by layer and each finding's title.
        matrix: c12n ? Object.fromEntries(LAYERS.map((l) => [l, c12n.matrix[l].status])) : null,
        findingTitles: c12n ? c12n.findings.map((f) => ({ id: f.id, title: f.title, severity: f.severity })) : [],
      },
    });
  });
  // `clawops hosts --json`: every enrolled host and its state, for scripts.
  app.get("/api/console/hosts", async (c) => {
    const hosts = await consoleDeps.store.listHosts();
    const online = await Promise.all(hosts.map((h) => consoleDeps.transport.isOnline(h.name)));
    return c.json({
      ok: true,
      hosts: hosts.map((h, i) => ({
        name: h.name,
        state: h.revokedAt ? "revoked" : online[i] ? "online" : "offline",
        agentVersion: h.agentVersion,
        gatewayVersion: h.gatewayVersion,
        enrolledAt: h.enrolledAt,
        lastSeenAt: h.lastSeenAt,
        revokedAt: h.revokedAt,
        tags: h.tags ?? [],
      })),
    });
  });
  // `clawops status <selector> --json`: the fleet quick probe's rows, as the matrix shows them.
  app.get("/api/console/fleet", async (c) => {
    const command = parseCommand(`status ${c.req.query("selector") ?? ""}`);
    if (command.kind !== "fleet-status")
      throw new ClawopsError("bad_request", "selector must be all, a glob or tag:<tag>.");
    const report = await fleetReportFor(consoleDeps, command);
    return c.json({
      ok: true,
      selector: describeSelector(command.selector),
      counts: report.counts,
      columns: report.columns,
      rows: report.rows,
      deadlineMs: report.deadlineMs,
      elapsedMs: report.elapsedMs,
      ...(report.source ? { source: report.source } : {}),
      ...(report.versions ? { versions: report.versions } : {}),
    });
  });
}

/** The message feed as server-sent events: replay after `Last-Event-ID`, then live, with pings. */
function eventsRoute(app: Hono, { consoleOpts }: ConsoleRouteDeps): void {
  app.get("/api/console/events", (c) => {
    // A browser's stream lasts as long as its session: it ends at logout or expiry (checked each ping).
    const session = sessionOf(c, consoleOpts.auth);
    const live = () => session === null || consoleOpts.auth.sessions.valid(session);
    return streamSSE(c, async (stream) => {
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
        if (!live()) break;
        if (queue.length === 0 && !stream.aborted) await stream.writeSSE({ event: "ping", data: "" });
      }
      unsubscribe();
    });
  });
}
