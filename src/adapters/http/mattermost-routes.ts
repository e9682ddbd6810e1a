import { type Context, Hono } from "hono";
import { timingSafeEqual } from "../../contract/encoding.ts";
import { audit } from "../../core/audit/audit.ts";
import { ClawopsError } from "../../core/errors.ts";
import { DEFAULT_COMMAND } from "../../core/messages/command-name.ts";
import type { Message } from "../../core/messages/model.ts";
import { renderError } from "../../core/messages/notices.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import type { Interaction } from "../../core/router/handle.ts";
import type { MattermostChat } from "../mattermost/chat.ts";
import { type ActionContext, DIALOG_STATE_TTL_S } from "../mattermost/context.ts";
import {
  commandFromForm,
  MattermostButtonPress,
  MattermostCommandForm,
  MattermostDialogSubmission,
  pressAsInteraction,
} from "../mattermost/envelope.ts";
import { mattermostMarkdown } from "../mattermost/markdown.ts";
import { toMattermost } from "../mattermost/render.ts";
import { handleForSlack } from "../slack/answer.ts";
import type { LaterAfterAck } from "./later.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

export interface MattermostRouteOptions {
  /** MATTERMOST_COMMAND_TOKEN: the slash command's token. */
  commandToken: string;
  /** The chat answers go through (response URLs, dialogs), and the signer of its buttons. */
  chat: MattermostChat;
  /** The command as registered (`/openclaw`, or CLAWOPS_COMMAND). */
  commandName?: string | undefined;
}

const WHY = {
  forged: "its context is not one clawops signed",
  expired: "its context expired",
  replayed: "its trigger_id was seen before (a replay)",
} as const;

/** How long a press's trigger_id is remembered: a replayed press within it is refused. */
const PRESS_MEMORY_MS = 24 * 3600_000;

/**
 * Mattermost's slash command (`POST /mattermost/commands`) and button actions
 * (`POST /mattermost/actions`).
 *
 * A command proves it is the command's by the token Mattermost puts in its form: the body is
 * capped, parsed as a form, the token compared in constant time, and nothing else of it is read
 * before that; another token is refused with 401. A press proves it is a clawops button by its
 * signed context (adapters/mattermost/context.ts); its trigger_id is claimed once, so the same
 * press sent again is refused. A button that asks first (Slack's confirm) opens Mattermost's
 * dialog for the presser; the dialog's submission comes back here with a state signed for that
 * user, and only then does the press act.
 * https://developers.mattermost.com/integrate/slash-commands/custom/
 */
export function mattermostRoutes(deps: CoreDeps, opts: MattermostRouteOptions, later: LaterAfterAck) {
  const app = new Hono();
  const commandName = `/${(opts.commandName ?? DEFAULT_COMMAND).replace(/^\//, "")}`;
  const answer = async (m: Message) => (await toMattermost(m, opts.chat.buttons())).message;

  app.post("/commands", capBody(BODY_LIMITS.mattermostCommand), async (c) => {
    const form = new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
    const token = form.get("token") ?? "";
    if (!token || !timingSafeEqual(token, opts.commandToken)) {
      deps.logger.warn("mattermost command refused: wrong token");
      return c.json(
        { response_type: "ephemeral", text: "This command's token is not clawops' (MATTERMOST_COMMAND_TOKEN)." },
        401,
      );
    }
    const parsed = MattermostCommandForm.safeParse(Object.fromEntries(form));
    if (!parsed.success) throw new ClawopsError("bad_payload", "Not a Mattermost slash command clawops handles.");
    const f = parsed.data;
    if (f.command !== commandName) {
      const post = await toMattermost(
        renderError(`clawops answers \`${commandName}\`, not \`${f.command.slice(0, 40)}\`.`, "unknown_command"),
        null,
      );
      return c.json({ response_type: "ephemeral", text: post.message, skip_slack_parsing: true });
    }
    const request = commandFromForm(f, (url) => opts.chat.owns(url));
    const handled = await handleForSlack(deps, { kind: "command", request }, "mattermost");
    later(handled, c);
    const post = await toMattermost(handled.ack, opts.chat.buttons());
    // Already Mattermost markdown: Mattermost's Slack-markup conversion would read it a second time.
    return c.json({ response_type: "ephemeral", text: post.message, props: post.props, skip_slack_parsing: true });
  });

  app.post("/actions", capBody(BODY_LIMITS.mattermostAction), async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await c.req.arrayBuffer()));
    } catch {
      throw new ClawopsError("bad_payload", "The action body is not JSON.");
    }
    if ((json as { type?: unknown } | null)?.type === "dialog_submission") {
      const dialog = MattermostDialogSubmission.safeParse(json);
      if (!dialog.success) throw new ClawopsError("bad_payload", "Not a Mattermost dialog submission clawops handles.");
      return dialog.data.cancelled ? c.json({}) : dialogSubmitted(c, dialog.data);
    }
    const parsed = MattermostButtonPress.safeParse(json);
    if (!parsed.success) throw new ClawopsError("bad_payload", "Not a Mattermost action clawops handles.");
    const a = parsed.data;

    const checked = await opts.chat.signer.check(a.context);
    if (!checked.ok) return refuse(c, checked.reason, a.user_id);
    const ctx = checked.context;
    if (ctx.u !== undefined) return refuse(c, "forged", a.user_id);
    // The press once: Mattermost makes a trigger_id per press, so the same one again is a replay.
    const now = deps.clock.now();
    if (!(await deps.store.claim(`mattermost-press:${a.trigger_id.slice(0, 200)}`, now, now + PRESS_MEMORY_MS)))
      return refuse(c, "replayed", a.user_id);

    if (ctx.c === 1) {
      // Asks first, only the presser: Mattermost opens a dialog only for the user whose press made the trigger_id.
      const state = await opts.chat.signer.sign({ a: ctx.a, v: ctx.v, u: a.user_id }, DIALOG_STATE_TTL_S);
      try {
        await opts.chat.openDialog(a.trigger_id, confirmDialog(ctx, JSON.stringify(state)));
      } catch (err) {
        deps.logger.warn("mattermost dialog not opened", { err: err instanceof Error ? err.message : String(err) });
        return c.json({
          ephemeral_text: "The confirmation could not be opened (it must open within 3 s); press again.",
        });
      }
      return c.json({});
    }
    const interaction = pressAsInteraction(
      { userId: a.user_id, channelId: a.channel_id, teamId: a.team_id, key: a.trigger_id },
      ctx.a,
      ctx.v,
    );
    return run(c, interaction, "button");
  });

  async function dialogSubmitted(c: Context, a: MattermostDialogSubmission) {
    let state: unknown;
    try {
      state = JSON.parse(a.state);
    } catch {
      state = null;
    }
    const checked = await opts.chat.signer.check(state);
    // A state is made for one user; on a button (no user) or for someone else, it proves nothing.
    if (!checked.ok || checked.context.u !== a.user_id)
      return refuse(c, checked.ok ? "forged" : checked.reason, a.user_id);
    const now = deps.clock.now();
    if (!(await deps.store.claim(`mattermost-dialog:${checked.context.n}`, now, now + PRESS_MEMORY_MS)))
      return refuse(c, "replayed", a.user_id);
    const interaction = pressAsInteraction(
      { userId: a.user_id, channelId: a.channel_id, teamId: a.team_id, key: `dialog:${checked.context.n}` },
      checked.context.a,
      checked.context.v,
    );
    return run(c, interaction, "dialog");
  }

  /**
   * The press through the router (Slack's, refusals and audit included). A button's answer is
   * `ephemeral_text` (only the presser sees it); a dialog's refusal shows in the dialog, which
   * stays open, and an accepted one closes it (the work answers in the thread).
   */
  async function run(c: Context, interaction: Interaction | null, via: "button" | "dialog") {
    if (!interaction) {
      const text = "This button is not one clawops makes; nothing was run.";
      return c.json(via === "dialog" ? { error: text } : { ephemeral_text: text });
    }
    const handled = await handleForSlack(deps, interaction, "mattermost");
    later(handled, c);
    // The dialog shows its error as plain text: the ack's text ("Error: Nothing was done: …").
    if (via === "dialog") return c.json(handled.error ? { error: handled.ack.text.slice(0, 500) } : {});
    return c.json({ ephemeral_text: await answer(handled.ack), skip_slack_parsing: true });
  }

  /** A press refused before any work: logged, audited under the user id Mattermost's request names (its word, unsigned), told. */
  async function refuse(c: Context, reason: "forged" | "expired" | "replayed", user: string) {
    deps.logger.warn("mattermost action refused", { reason, user: `mattermost:${user}` });
    await audit(deps, {
      at: deps.clock.now(),
      actor: `mattermost:${user}`,
      source: "mattermost",
      action: "command",
      host: null,
      outcome: "refused",
      detail: `Mattermost button press refused: ${WHY[reason]}`,
      ref: null,
    });
    const text = {
      forged: "This press does not carry a clawops button's signed context; nothing was run.",
      expired: "This button has expired; nothing was run. Type the command instead.",
      replayed: "This press was already handled; nothing was run again.",
    }[reason];
    return c.json({ ephemeral_text: text }, reason === "forged" ? 401 : 409);
  }

  return app;
}

/** Mattermost's dialog for a button that asks first: Slack's confirm title, text and button. */
function confirmDialog(ctx: ActionContext, state: string): Record<string, unknown> {
  const [title, text, yes] = ctx.q ?? ["Are you sure?", `It runs \`${ctx.v}\` as you.`, "Confirm"];
  return {
    callback_id: "clawops_confirm",
    title: clip(title, 24),
    introduction_text: mattermostMarkdown(text),
    elements: [],
    submit_label: clip(yes, 24),
    notify_on_cancel: false,
    state,
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
