import type { UserGroupResolver } from "../../core/recovery/authz.ts";

/**
 * Resolves Slack user group membership with usergroups.users.list
 * (https://api.slack.com/methods/usergroups.users.list, scope usergroups:read), cached for a
 * minute so an authorization check does not call Slack on every command.
 */
export function slackUserGroupResolver(opts: {
  token: string;
  apiUrl: string;
  fetch?: typeof fetch;
  now?: () => number;
  ttlMs?: number;
}): UserGroupResolver {
  const cache = new Map<string, { at: number; users: readonly string[] }>();
  const now = opts.now ?? (() => Date.now());
  const ttl = opts.ttlMs ?? 60_000;
  return async (group) => {
    const hit = cache.get(group);
    if (hit && now() - hit.at < ttl) return hit.users;
    const res = await (opts.fetch ?? fetch)(`${opts.apiUrl}/usergroups.users.list`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Bearer ${opts.token}`,
      },
      body: new URLSearchParams({ usergroup: group }).toString(),
    });
    const body = (await res.json().catch(() => null)) as { ok?: boolean; users?: unknown; error?: string } | null;
    if (!body?.ok || !Array.isArray(body.users)) {
      throw new Error(`usergroups.users.list failed: ${body?.error ?? `HTTP ${res.status}`}`);
    }
    const users = body.users.filter((u): u is string => typeof u === "string");
    cache.set(group, { at: now(), users });
    return users;
  };
}
