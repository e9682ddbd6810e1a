import { type Context, Hono } from "hono";
import { audit } from "../../core/audit/audit.ts";
import { ClawopsError } from "../../core/errors.ts";
import { DEFAULT_COMMAND } from "../../core/messages/command-name.ts";
import { renderError } from "../../core/messages/notices.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import type { Interaction } from "../../core/router/handle.ts";
import { handleForSlack } from "../slack/answer.ts";
import type { TeamsChat } from "../teams/chat.ts";
import {
  baseConversation,
  commandFromActivity,
  type PressData,
  pressAsInteraction,
  pressDataOf,
  replyUrl,
  TEAMS_CHANNEL_ID,
  TeamsActivity,
  tenantOf,
  threadOf,
  whoAndWhere,
} from "../teams/envelope.ts";
import { confirmCard } from "../teams/render.ts";
import type { BotFrameworkVerifier } from "../teams/verify.ts";
import type { LaterAfterAck } from "./later.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

export interface TeamsRouteOptions {
  verifier: BotFrameworkVerifier;
  /** MICROSOFT_APP_TENANT_ID: activities from another tenant are refused. */
  tenantId: string;
  /** The chat answers go through (replies, edits). */
  chat: TeamsChat;
  /** The command as typed (`openclaw`, or CLAWOPS_COMMAND). */
  commandName?: string | undefined;
}

/** How long an activity id is remembered: the Bot Framework redelivers within minutes. */
const ACTIVITY_MEMORY_MS = 24 * 3600_000;
const CODES = { 401: "unauthorized", 403: "forbidden", 503: "teams_api" } as const;
const INVOKE_OK = { statusCode: 200, type: "application/vnd.microsoft.activity.message", value: "clawops is on it." };

/**
 * Teams' messaging endpoint (`POST /teams/messages`, the Azure Bot's Messaging endpoint).
 *
 * Proof before work (adapters/teams/verify.ts): the Bot Framework JWT in `Authorization` is
 * checked (signature against the published keys, issuer, audience = MICROSOFT_APP_ID, expiry)
 * before the body is read; a refusal is 401, logged and audited. Then the body, capped, is
 * parsed, and the rest of the proof reads two of its fields: the channel id must be `msteams`
 * and endorsed by the signing key, and the token's `serviceUrl` claim must be the activity's
 * (else 403); the tenant must be MICROSOFT_APP_TENANT_ID's (403). The activity is taken once
 * (its conversation and id claimed): a redelivery is answered 200 and does nothing.
 *
 * The HTTP answer is 200 at once (an `Action.Execute` invoke gets its invoke response); the
 * work runs after it: the router (Slack's: same parser, authorization, audit), its answer as a
 * reply to the person's message, then the slow half (a triage's thread).
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication
 */
export function teamsRoutes(deps: CoreDeps, opts: TeamsRouteOptions, later: LaterAfterAck) {
  const app = new Hono();
  const commandName = (opts.commandName ?? DEFAULT_COMMAND).replace(/^\//, "");

  app.post("/messages", capBody(BODY_LIMITS.teamsActivity), async (c) => {
    const token = await opts.verifier.verify(c.req.header("authorization"));
    if (!token.ok && token.reason === "keys") {
      // Nothing proven either way: a 503 (the Bot Framework may deliver again), and nothing runs.
      return refuse(c, 503, `its Bot Framework token could not be checked: ${token.detail}`, "teams:unverified");
    }
    if (!token.ok) return refuse(c, 401, `its Bot Framework token was refused: ${token.detail}`, "teams:unverified");

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await c.req.arrayBuffer()));
    } catch {
      throw new ClawopsError("bad_payload", "The activity is not JSON.");
    }
    const parsed = TeamsActivity.safeParse(json);
    if (!parsed.success) throw new ClawopsError("bad_payload", "Not a Bot Framework activity clawops handles.");
    const a = parsed.data;
    const who = whoAndWhere(a).user;
    if (a.channelId !== TEAMS_CHANNEL_ID)
      return refuse(c, 403, `its channel is ${JSON.stringify(a.channelId.slice(0, 40))}, not Teams`, who);
    if (!(await opts.verifier.endorsed(token.kid, a.channelId)))
      return refuse(c, 403, "its signing key is not endorsed for Teams (msteams)", who);
    if (token.claims.serviceUrl !== a.serviceUrl)
      return refuse(c, 403, "its serviceUrl is not the one its token was issued for", who);
    if (tenantOf(a) !== opts.tenantId)
      return refuse(c, 403, "it comes from another tenant than MICROSOFT_APP_TENANT_ID", who);

    // Proven: replies to this conversation go to the Bot Connector its token names.
    opts.chat.learn(baseConversation(a), a.serviceUrl);
    const now = deps.clock.now();
    const key = `teams-activity:${a.conversation.id.slice(0, 200)}:${a.id.slice(0, 100)}`;
    if (!(await deps.store.claim(key, now, now + ACTIVITY_MEMORY_MS))) {
      deps.logger.info("teams activity seen before; not run again", { activity: a.id.slice(0, 40) });
      return answer(c, a);
    }

    const press = pressDataOf(a);
    if (press) {
      const work = pressWork(a, press);
      if (work) later({ later: work }, c);
      return answer(c, a);
    }
    if (a.type !== "message" || !a.text?.trim()) return answer(c, a); // conversationUpdate, typing, reactions …
    const request = commandFromActivity(a, commandName);
    later({ later: () => answerLater({ kind: "command", request }, replyUrl(a)) }, c);
    return answer(c, a);
  });

  /** The work a card press asks for; null when there is nothing to do (the question's No). */
  function pressWork(a: TeamsActivity, press: PressData): (() => Promise<void>) | null {
    if (press.clawops === "dismiss") return null;
    if (press.clawops === "ask") {
      // A card has no dialog: the question is posted under the pressed card, and its confirm button acts.
      const q = press.q ?? ["Are you sure?", `It runs \`${press.v}\` as you.`, "Confirm", "Cancel"];
      return async () => {
        await opts.chat.postCard(whoAndWhere(a).channel, threadOf(a), confirmCard(q, press.a, press.v));
      };
    }
    const interaction = pressAsInteraction(a, press);
    if (!interaction) {
      return () =>
        opts.chat.respondEphemeral(
          replyUrl(a),
          renderError("This button is not one clawops makes; nothing was run.", "bad_request"),
        );
    }
    return () => answerLater(interaction, replyUrl(a));
  }

  /** The router, then its answer as a reply to the person's message, then the slow half. */
  async function answerLater(asked: Interaction, reply: string): Promise<void> {
    const handled = await handleForSlack(deps, asked, "teams");
    // A command press's answer goes through its responseUrl inside `later` (core/router/press.ts).
    if (asked.kind !== "command-press") await opts.chat.respondEphemeral(reply, handled.ack);
    if (handled.later) await handled.later();
  }

  /** A request refused before any work: logged, audited (under the user the activity names, its word once the token held), told. */
  async function refuse(c: Context, status: 401 | 403 | 503, why: string, actor: string) {
    deps.logger.warn("teams request refused", { status, why });
    await audit(deps, {
      at: deps.clock.now(),
      actor,
      source: "teams",
      action: "command",
      host: null,
      outcome: "refused",
      detail: `Teams request refused: ${why}`,
      ref: null,
    });
    return c.json({ ok: false, error: { code: CODES[status], message: `Refused: ${why}.` } }, status);
  }

  return app;
}

/** 200 for a message; an `Action.Execute` invoke is answered with its invoke response. */
function answer(c: Context, a: TeamsActivity) {
  return a.type === "invoke" ? c.json(INVOKE_OK) : c.json({});
}
