import { ClawopsError } from "../errors.ts";
import type { FleetSelector } from "../requests/command.ts";
import { HOST_GLOB, normalizeHostName, normalizeTag, truncate } from "../vocabulary/hosts.ts";

/** The parsers several commands share: one host (`triage node-3`), a fleet selector (`status tag:prod`). */

/** `<word> <host>`: exactly one host name, normalized; anything else is the command's usage. */
export function oneHost(word: string, rest: readonly string[]): string {
  const host = rest[0];
  if (rest.length !== 1 || host === undefined) {
    throw new ClawopsError("bad_request", `Usage: \`/openclaw ${word} <host>\`, e.g. \`/openclaw ${word} node-3\`.`);
  }
  return normalizeHostName(host);
}

/** `all`, `*`, `tag:<tag>` or a host glob: which hosts a fleet command reaches. */
export function parseFleetSelector(
  args: string[],
  usage = "Usage: `/openclaw status all`, `/openclaw status node-*` or `/openclaw status tag:prod` (add `--live` to probe now).",
): FleetSelector {
  if (args.length !== 1 || args[0] === undefined) throw new ClawopsError("bad_request", usage);
  const arg = args[0].toLowerCase();
  if (arg === "all" || arg === "*") return { kind: "all" };
  if (arg.startsWith("tag:")) return { kind: "tag", tag: normalizeTag(arg.slice(4)) };
  if (!HOST_GLOB.test(arg)) {
    throw new ClawopsError("bad_request", `\`${truncate(args[0], 40)}\` is neither a host name nor a glob. ${usage}`);
  }
  return { kind: "pattern", glob: arg };
}
