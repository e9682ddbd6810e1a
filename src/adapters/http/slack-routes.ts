import { type Context, Hono } from "hono";
import { ClawopsError } from "../../core/errors.ts";
import { recordThreadEvent } from "../../core/incidents/team-messages.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { handleForSlack } from "../slack/answer.ts";
import { commandFromSlashForm, ephemeral, interactionFromForm } from "../slack/envelope.ts";
import { slackEventsBody } from "../slack/events.ts";
import { checkSlackHeaders, verifySlackRequest } from "../slack/verify.ts";
import type { LaterAfterAck } from "./later.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

/**
 * Slack's request URLs: slash commands, interactivity (buttons) and the Events API (the team's
 * messages in incident threads: core/incidents/team-messages.ts). Each request proves it is
 * Slack's before any work: headers first (both present, timestamp within five minutes), then
 * the body, capped, then its v0 signature over the exact bytes.
 */
export function slackRoutes(deps: CoreDeps, signingSecret: string, later: LaterAfterAck) {
  const app = new Hono();
  const nowSeconds = () => Math.floor(deps.clock.now() / 1000);

  app.use("*", async (c, next) => {
    checkSlackHeaders({
      signature: c.req.header("x-slack-signature"),
      timestamp: c.req.header("x-slack-request-timestamp"),
      nowSeconds: nowSeconds(),
    });
    await next();
  });

  /** The request body, once its signature checks out; throws otherwise. */
  const verifiedBody = async (c: Context): Promise<string> => {
    // The signature covers the exact bytes Slack sent; decode them as UTF-8 explicitly.
    const body = new TextDecoder().decode(await c.req.arrayBuffer());
    await verifySlackRequest({
      signingSecret,
      body,
      signature: c.req.header("x-slack-signature"),
      timestamp: c.req.header("x-slack-request-timestamp"),
      nowSeconds: nowSeconds(),
    });
    return body;
  };
  const verifiedForm = async (c: Context) => new URLSearchParams(await verifiedBody(c));

  app.post("/commands", capBody(BODY_LIMITS.slackCommand), async (c) => {
    const form = await verifiedForm(c);
    const handled = await handleForSlack(deps, { kind: "command", request: commandFromSlashForm(form) });
    const retry = c.req.header("x-slack-retry-num");
    if (retry) deps.logger.info("slack retry", { command: form.get("command") ?? "/openclaw", retry });
    later(handled, c);
    return c.json(ephemeral(handled.ack));
  });

  // Buttons: a command button's ack reaches the presser through its response_url (Slack shows
  // nothing of this answer); an approval's refusal is told in the thread. Other interaction
  // types are acknowledged and ignored.
  app.post("/interactions", capBody(BODY_LIMITS.slackInteraction), async (c) => {
    const interaction = interactionFromForm(await verifiedForm(c));
    if (!interaction) return c.body(null, 200);
    const handled = await handleForSlack(deps, interaction);
    later(handled, c);
    if (interaction.kind === "command-press") return c.body(null, 200);
    return c.json({ ok: !handled.error, ...(handled.error ? { error: handled.error } : {}) });
  });

  // The Events API: the URL handshake, then the team's messages, edits, deletions and 📌 in
  // incident threads. Recorded before the answer, so a store failure answers 500 and Slack
  // retries (X-Slack-Retry-Num, same event_id: recorded once).
  app.post("/events", capBody(BODY_LIMITS.slackEvent), async (c) => {
    const text = await verifiedBody(c);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ClawopsError("bad_request", "Slack Events API body is not JSON.");
    }
    const body = slackEventsBody(json);
    if (body.kind === "challenge") return c.json({ challenge: body.challenge });
    if (body.kind === "event") {
      const outcome = await recordThreadEvent(deps, body.identity, body.event);
      // Written before the 200: a command's write batch open on Node may hold these writes too.
      await deps.store.flushed?.();
      const retry = c.req.header("x-slack-retry-num");
      if (retry || outcome.status === "recorded") {
        deps.logger.info("slack event", {
          kind: body.event.kind,
          outcome: outcome.status,
          ...(outcome.status === "recorded" ? { incident: outcome.incidentId } : {}),
          ...(retry ? { retry } : {}),
        });
      }
    }
    return c.body(null, 200);
  });

  return app;
}
