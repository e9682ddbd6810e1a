import { type Context, Hono } from "hono";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { handleForSlack } from "../slack/answer.ts";
import { commandFromSlashForm, ephemeral, interactionFromForm } from "../slack/envelope.ts";
import { checkSlackHeaders, verifySlackRequest } from "../slack/verify.ts";
import type { LaterAfterAck } from "./later.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

/**
 * Slack's request URLs: slash commands and interactivity (buttons). Each request proves it is
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

  /** The request body as a form, once its signature checks out; throws otherwise. */
  const verifiedForm = async (c: Context): Promise<URLSearchParams> => {
    // The signature covers the exact bytes Slack sent; decode them as UTF-8 explicitly.
    const body = new TextDecoder().decode(await c.req.arrayBuffer());
    await verifySlackRequest({
      signingSecret,
      body,
      signature: c.req.header("x-slack-signature"),
      timestamp: c.req.header("x-slack-request-timestamp"),
      nowSeconds: nowSeconds(),
    });
    return new URLSearchParams(body);
  };

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

  return app;
}
