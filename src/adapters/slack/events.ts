import { z } from "zod";
import { ClawopsError } from "../../core/errors.ts";
import type { EventIdentity, ThreadEvent } from "../../core/incidents/team-messages.ts";

/**
 * Slack's Events API (https://api.slack.com/apis/events-api) into the core's thread events
 * (core/incidents/team-messages.ts): the `url_verification` handshake, and of `event_callback`
 * only what a person wrote in a thread, edited, deleted or pinned (📌). Everything else is
 * answered 200 and dropped here: bots' posts (clawops' own included: they carry `bot_id`),
 * joins and other subtypes, top-level channel talk, reactions other than 📌.
 */

/** The message subtypes that are a person's words (a reply also sent to the channel, a file with its comment, /me). */
const PERSON_SUBTYPES = new Set(["thread_broadcast", "file_share", "me_message"]);
/** Slack's name for 📌. */
export const PIN_REACTION = "pushpin";

const Ts = z.string().regex(/^\d{1,12}\.\d{1,9}$/);
const Id = z.string().min(1).max(64);

/** A message as Slack nests it in an event (message_changed's `message`). */
const MessageBody = z.object({
  user: Id.optional(),
  text: z.string().max(100_000).optional(),
  ts: Ts,
  thread_ts: Ts.optional(),
  subtype: z.string().max(64).optional(),
  bot_id: z.string().max(64).optional(),
});

const MessageEvent = MessageBody.extend({
  type: z.literal("message"),
  channel: Id,
  hidden: z.boolean().optional(),
  message: MessageBody.optional(),
  deleted_ts: Ts.optional(),
});

const ReactionEvent = z.object({
  type: z.enum(["reaction_added", "reaction_removed"]),
  user: Id,
  reaction: z.string().max(100),
  item: z.object({ type: z.string(), channel: Id.optional(), ts: Ts.optional() }),
});

const Envelope = z.discriminatedUnion("type", [
  z.object({ type: z.literal("url_verification"), challenge: z.string().min(1).max(500) }),
  z.object({
    type: z.literal("event_callback"),
    team_id: z.string().max(64).optional(),
    event_id: z.string().min(1).max(200),
    event: z.looseObject({ type: z.string().max(100) }),
  }),
  // Slack stopped sending events for a minute (more than 30,000 an hour): nothing to do.
  z.object({ type: z.literal("app_rate_limited") }),
]);

const KNOWN_TYPES = new Set(["url_verification", "event_callback", "app_rate_limited"]);

export type SlackEventsBody =
  | { kind: "challenge"; challenge: string }
  | { kind: "event"; identity: EventIdentity; event: ThreadEvent }
  | { kind: "ignored"; why: string };

/** The JSON body of an Events API request (its signature already checked); `bad_request` when it is none. */
export function slackEventsBody(json: unknown): SlackEventsBody {
  // A request type Slack adds later is acknowledged, not refused: refusals count against the
  // app's subscription (Slack turns it off after enough failures).
  const type = z.object({ type: z.string().max(100) }).safeParse(json);
  if (type.success && !KNOWN_TYPES.has(type.data.type))
    return { kind: "ignored", why: `type ${type.data.type.slice(0, 40)}` };
  const parsed = Envelope.safeParse(json);
  if (!parsed.success) {
    throw new ClawopsError(
      "bad_request",
      `Not a Slack Events API request: ${parsed.error.issues[0]?.message ?? "unreadable"}.`,
    );
  }
  const body = parsed.data;
  if (body.type === "url_verification") return { kind: "challenge", challenge: body.challenge };
  if (body.type === "app_rate_limited") return { kind: "ignored", why: "app_rate_limited" };
  // Slack's retries (X-Slack-Retry-Num) carry the same event_id.
  const identity = { key: `${body.team_id ?? ""}:${body.event_id}` };
  const event = threadEvent(body.event);
  return typeof event === "string" ? { kind: "ignored", why: event } : { kind: "event", identity, event };
}

/** The core's event, or why it is none of the core's business. */
function threadEvent(raw: { type: string }): ThreadEvent | string {
  if (raw.type === "reaction_added" || raw.type === "reaction_removed") {
    const r = ReactionEvent.safeParse(raw);
    if (!r.success) return "unreadable reaction";
    const { item } = r.data;
    if (r.data.reaction !== PIN_REACTION) return "not a 📌";
    if (item.type !== "message" || !item.channel || !item.ts) return "not on a message";
    return { kind: "pin", channel: item.channel, ts: item.ts, user: r.data.user, added: raw.type === "reaction_added" };
  }
  if (raw.type !== "message") return `event ${raw.type.slice(0, 40)}`;
  const m = MessageEvent.safeParse(raw);
  if (!m.success) return "unreadable message";
  const e = m.data;
  if (e.subtype === "message_changed") {
    const edited = e.message;
    if (!edited || edited.bot_id || edited.subtype === "bot_message") return "a bot's message";
    return { kind: "edited", channel: e.channel, ts: edited.ts, text: edited.text ?? "" };
  }
  if (e.subtype === "message_deleted") {
    return e.deleted_ts ? { kind: "deleted", channel: e.channel, ts: e.deleted_ts } : "deleted, no ts";
  }
  if (e.bot_id || e.subtype === "bot_message") return "a bot's message";
  if (e.subtype && !PERSON_SUBTYPES.has(e.subtype)) return `message subtype ${e.subtype.slice(0, 40)}`;
  // A thread's parent has thread_ts = ts (its own replies follow); top-level talk has none, and
  // counts only in an incident's own channel (core/incidents/team-messages.ts decides).
  if (!e.user) return "no author";
  const threadTs = e.thread_ts && e.thread_ts !== e.ts ? e.thread_ts : null;
  return { kind: "message", channel: e.channel, ts: e.ts, threadTs, user: e.user, text: e.text ?? "" };
}
