import { ClawopsError } from "../errors.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";

/** Host names, tags and host globs: the words every command and policy names hosts with. */

/** Lower-case DNS-label style names: what `clawops-agent enroll --host` accepts too. */
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function normalizeHostName(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!HOST_NAME.test(name)) {
    throw new ClawopsError(
      "invalid_host_name",
      `\`${truncate(raw, 40)}\` is not a valid host name: use letters, digits and hyphens (max 63), e.g. \`node-3\`.`,
    );
  }
  return name;
}

/** A tag: what `tag <host> …` sets and `tag:<tag>` selects by. */
export const TAG = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

/** A host glob as typed in a selector (`node-*`, `web-??`): host-name characters, `*` and `?`. */
export const HOST_GLOB = /^[a-z0-9*?][a-z0-9*?-]{0,62}$/;

export function normalizeTag(raw: string): string {
  const tag = raw.trim().toLowerCase();
  if (!TAG.test(tag)) {
    throw new ClawopsError(
      "bad_request",
      `\`${truncate(raw, 40)}\` is not a valid tag: use letters, digits, \`-\`, \`_\` or \`.\` (max 32), e.g. \`prod\`.`,
    );
  }
  return tag;
}

/** A host-name glob: `*` any run of characters, `?` one; everything else literal. */
export function globMatches(glob: string, name: string): boolean {
  const literal = (t: string) => t.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  const re = glob
    .split("*")
    .map((part) => part.split("?").map(literal).join("."))
    .join(".*");
  return new RegExp(`^${re}$`).test(name);
}

/** User text echoed back into Slack: shortened, and unable to act as Slack markup. */
export function truncate(s: string, n: number): string {
  return escapeMrkdwn(s.length > n ? `${s.slice(0, n)}…` : s).replace(/`/g, "ˋ");
}
