import type { IncomingMessage } from "node:http";
import type { SlackStandIn } from "./slack-standin.ts";

/**
 * The conversations.* methods an incident channel needs (issue 41, item 2), added to the Slack
 * stand-in. Each checks the documented request and answers as Slack does (HTTP 200,
 * `ok:false` and the error), recording anything off in the stand-in's `violations`:
 *  - conversations.create: JSON `name` (required; lowercase letters, digits, `-`, `_`; at most 80:
 *    invalid_name_required, invalid_name_specials, invalid_name_maxlength), `is_private` a boolean
 *    when given; a name any channel has, archived ones too: name_taken.
 *    https://api.slack.com/methods/conversations.create
 *  - conversations.invite: JSON `channel`, `users` a comma-separated string of user ids (up to
 *    1000); without `force`, one refused user fails the whole call and nobody is added:
 *    already_in_channel, cant_invite_self (the bot), a user set in `refuse` (user_not_found,
 *    cant_invite …); not_in_channel / is_archived / channel_not_found for the channel.
 *    https://api.slack.com/methods/conversations.invite
 *  - conversations.archive: JSON `channel`: already_archived, channel_not_found.
 *    https://api.slack.com/methods/conversations.archive
 * A rate limit (HTTP 429 with Retry-After) is the stand-in's own `failNext(method, …)`. An
 * archived channel takes no more posts (is_archived), as on Slack.
 */
export interface StandInChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  members: Set<string>;
  archived: boolean;
}

export interface SlackConversations {
  readonly channels: Map<string, StandInChannel>;
  /** Names taken by channels clawops did not make (an older incident's, someone's). */
  readonly taken: Set<string>;
  /** Users Slack refuses to invite, and its error for each (`user_not_found`, `cant_invite`). */
  readonly refuse: Map<string, string>;
  byName(name: string): StandInChannel | undefined;
}

const NAME = /^[a-z0-9_-]+$/;
const USER = /^[UW][A-Z0-9]{2,}$/;

export function addConversations(slack: SlackStandIn, botToken: string): SlackConversations {
  const channels = new Map<string, StandInChannel>();
  const taken = new Set<string>();
  const refuse = new Map<string, string>();
  let seq = 0;
  const byName = (name: string) => [...channels.values()].find((c) => c.name === name);

  /** The bearer token and a JSON body, as the chat.* methods take; the parsed body, or Slack's error. */
  const read = (
    method: string,
    req: IncomingMessage,
    raw: string,
  ): { body: Record<string, unknown> } | { refusal: { ok: false; error: string } } => {
    const refuse = (error: string, violation: string) => {
      slack.violations.push(`${method}: ${violation}`);
      return { refusal: { ok: false as const, error } };
    };
    if (req.headers.authorization !== `Bearer ${botToken}`)
      return refuse("invalid_auth", 'Authorization header is not "Bearer <bot token>"');
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
      return refuse(
        "invalid_form_data",
        `content-type ${req.headers["content-type"]} (a JSON body needs application/json)`,
      );
    try {
      return { body: JSON.parse(raw) as Record<string, unknown> };
    } catch {
      return refuse("invalid_json", "body is not JSON");
    }
  };
  const refused = (method: string, body: Record<string, unknown>, error: string) => {
    slack.calls.push({ method: `${method}:${error}`, body, ts: "" });
    return { ok: false, error };
  };

  slack.extraMethods.set("conversations.create", (req, raw) => {
    const method = "conversations.create";
    const read_ = read(method, req, raw);
    if ("refusal" in read_) return read_.refusal;
    const { body } = read_;
    const name = body.name;
    if (body.is_private !== undefined && typeof body.is_private !== "boolean") {
      slack.violations.push(`${method}: is_private must be a boolean`);
      return refused(method, body, "invalid_arguments");
    }
    if (typeof name !== "string" || name === "") {
      slack.violations.push(`${method}: name is required`);
      return refused(method, body, "invalid_name_required");
    }
    if (name.length > 80) {
      slack.violations.push(`${method}: name over 80 characters`);
      return refused(method, body, "invalid_name_maxlength");
    }
    if (!NAME.test(name)) {
      slack.violations.push(`${method}: name ${name} has characters Slack refuses`);
      return refused(method, body, "invalid_name_specials");
    }
    if (taken.has(name) || byName(name)) return refused(method, body, "name_taken");
    const channel: StandInChannel = {
      id: `C0CHAN${String(++seq).padStart(4, "0")}`,
      name,
      isPrivate: body.is_private === true,
      // The bot that made it is its first member.
      members: new Set([slack.identity.user_id]),
      archived: false,
    };
    channels.set(channel.id, channel);
    slack.calls.push({ method, body, ts: "" });
    return {
      ok: true,
      channel: {
        id: channel.id,
        name,
        is_channel: !channel.isPrivate,
        is_group: channel.isPrivate,
        is_private: channel.isPrivate,
        is_archived: false,
        creator: slack.identity.user_id,
      },
    };
  });

  slack.extraMethods.set("conversations.invite", (req, raw) => {
    const method = "conversations.invite";
    const read_ = read(method, req, raw);
    if ("refusal" in read_) return read_.refusal;
    const { body } = read_;
    if (typeof body.users !== "string") {
      slack.violations.push(`${method}: users must be a comma-separated string`);
      return refused(method, body, "invalid_arguments");
    }
    const users = body.users.split(",");
    if (users.length === 0 || users.length > 1000 || users.some((u) => !USER.test(u))) {
      slack.violations.push(`${method}: users ${body.users} is not a comma-separated list of 1-1000 user ids`);
      return refused(method, body, "invalid_users");
    }
    const channel = channels.get(String(body.channel));
    if (!channel) return refused(method, body, "channel_not_found");
    if (channel.archived) return refused(method, body, "is_archived");
    if (!channel.members.has(slack.identity.user_id)) return refused(method, body, "not_in_channel");
    const errors = users.flatMap((user) => {
      const error =
        user === slack.identity.user_id
          ? "cant_invite_self"
          : channel.members.has(user)
            ? "already_in_channel"
            : refuse.get(user);
      return error ? [{ user, ok: false, error }] : [];
    });
    if (errors.length > 0) {
      // Without `force`, nobody is added and the first error is the answer.
      slack.calls.push({ method: `${method}:${errors[0]?.error}`, body, ts: "" });
      return { ok: false, error: errors[0]?.error, errors };
    }
    for (const user of users) channel.members.add(user);
    slack.calls.push({ method, body, ts: "" });
    return { ok: true, channel: { id: channel.id, name: channel.name } };
  });

  slack.extraMethods.set("conversations.archive", (req, raw) => {
    const method = "conversations.archive";
    const read_ = read(method, req, raw);
    if ("refusal" in read_) return read_.refusal;
    const { body } = read_;
    const channel = channels.get(String(body.channel));
    if (!channel) return refused(method, body, "channel_not_found");
    if (channel.archived) return refused(method, body, "already_archived");
    channel.archived = true;
    slack.channelErrors.set(channel.id, "is_archived");
    slack.calls.push({ method, body, ts: "" });
    return { ok: true };
  });

  return { channels, taken, refuse, byName };
}
