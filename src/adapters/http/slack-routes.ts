import { type Context, Hono } from "hono";
import { handleCommand } from "../../core/commands/handle.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { requireRecovery } from "../../core/ports/deps.ts";
import { handleButtonPress } from "../../core/recover/press.ts";
import { ackThroughResponseUrl, handleCommandPress } from "../../core/router/press.ts";
import {
  commandFromSlashForm,
  commandPressFromInteractionForm,
  ephemeral,
  pressFromInteractionForm,
} from "../slack/envelope.ts";
import { checkSlackHeaders, verifySlackRequest } from "../slack/verify.ts";
import type { AfterResponse } from "./after-response.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

/**
 * Slack's request URLs: slash commands and interactivity (buttons). Each request proves it is
 * Slack's before any work: headers first (both present, timestamp within five minutes), then
 * the body, capped, then its v0 signature over the exact bytes.
 */
export function slackRoutes(deps: CoreDeps, signingSecret: string, after: AfterResponse) {
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
    const reply = await handleCommand(deps, commandFromSlashForm(form));
    const retry = c.req.header("x-slack-retry-num");
    if (retry) deps.logger.info("slack retry", { command: form.get("command") ?? "/openclaw", retry });
    after(reply, c);
    return c.json(ephemeral(reply.ack));
  });

  // Refusals change nothing and are told in the thread.
  app.post("/interactions", capBody(BODY_LIMITS.slackInteraction), async (c) => {
    const form = await verifiedForm(c);
    // A command button (Run again, Triage, …): the presser's command, its ack to them alone.
    const commandPress = commandPressFromInteractionForm(form);
    if (commandPress) {
      after(ackThroughResponseUrl(deps, commandPress, await handleCommandPress(deps, commandPress)), c);
      return c.body(null, 200);
    }
    const press = pressFromInteractionForm(form);
    if (!press) return c.body(null, 200); // Other interaction types: acknowledged, ignored.
    const outcome = await handleButtonPress(requireRecovery(deps), press);
    return c.json({
      ok: outcome.ok,
      ...(outcome.ok ? {} : { error: { code: outcome.code, message: outcome.reason } }),
    });
  });

  return app;
}
