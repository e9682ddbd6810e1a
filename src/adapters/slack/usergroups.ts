import type { UserGroupResolver } from "../../core/authz/authz.ts";
import { SlackClient } from "./client.ts";

/**
 * Resolves Slack user group membership with usergroups.users.list
 * (https://api.slack.com/methods/usergroups.users.list, scope usergroups:read), cached for a
 * minute so an authorization check does not call Slack on every command. Through the Slack
 * client, so a rate limit or a 5xx is retried like every other call.
 */
export function slackUserGroupResolver(opts: {
  token: string;
  apiUrl: string;
  fetch?: typeof fetch;
  now?: () => number;
  ttlMs?: number;
  client?: SlackClient;
}): UserGroupResolver {
  const cache = new Map<string, { at: number; users: readonly string[] }>();
  const now = opts.now ?? (() => Date.now());
  const ttl = opts.ttlMs ?? 60_000;
  const client =
    opts.client ??
    new SlackClient({ token: opts.token, apiUrl: opts.apiUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  return async (group) => {
    const hit = cache.get(group);
    if (hit && now() - hit.at < ttl) return hit.users;
    const body = await client.api("usergroups.users.list", { usergroup: group }, "form");
    if (!Array.isArray(body.users)) throw new Error("usergroups.users.list answered without users");
    const users = body.users.filter((u): u is string => typeof u === "string");
    cache.set(group, { at: now(), users });
    return users;
  };
}
