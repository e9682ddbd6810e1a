import { audit } from "../audit/audit.ts";
import { ClawopsError } from "../errors.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { defineCommand } from "./entry.ts";
import { oneHost } from "./words.ts";

/** `/openclaw revoke <host>`: its key refused from now on, the record kept. */
export const revoke = defineCommand({
  words: ["revoke"],
  parse: (rest) => ({ kind: "revoke", host: oneHost("revoke", rest) }),
  help: [
    {
      usage: "/openclaw revoke <host>",
      summary:
        "Revoke a host's key: its agent is disconnected and refused from then on; the record stays, marked revoked.",
    },
  ],
  authorize: { before: "revoke" },
  handle: handleHostLifecycle,
});

/** `/openclaw remove <host>`: the record deleted, the name free again. */
export const remove = defineCommand({
  words: ["remove"],
  parse: (rest) => ({ kind: "remove", host: oneHost("remove", rest) }),
  help: [
    {
      usage: "/openclaw remove <host>",
      summary: "Remove a host: its agent is disconnected, its record deleted, and the name can be enrolled again.",
    },
  ],
  authorize: { before: "remove" },
  handle: handleHostLifecycle,
});

/**
 * `/openclaw revoke <host>` and `/openclaw remove <host>`: authorized (the authorization
 * file's `revoke`/`remove` actions, by the registry's step before this runs) and audited. The store is changed first, so a reconnect
 * racing the command is already refused (the hello is checked against the store), then the
 * live socket is closed with the code the agent reads as fatal. Revoke keeps the record,
 * marked revoked (re-enrolling issues a new key); remove deletes it, so nothing of the host
 * is left and its name is free. A freeze does not block either: revoking a leaked key must
 * not wait for a freeze to end.
 */
async function handleHostLifecycle(
  deps: CoreDeps,
  req: CommandRequest,
  command: { kind: "revoke" | "remove"; host: string },
): Promise<CommandReply> {
  const { transport, store } = deps;
  if (!transport.disconnect || (command.kind === "remove" && !store.deleteHost)) {
    throw new ClawopsError(
      "not_configured",
      `\`${command.kind}\` is not available in this runtime yet: it cannot close a host's live agent connection${command.kind === "remove" ? " or delete its record" : ""}. Use the Node control plane for now.`,
      { status: 501 },
    );
  }
  const host = await store.getHost(command.host);
  if (!host) {
    throw new ClawopsError(
      "unknown_host",
      `No enrolled host named \`${command.host}\`. See \`/openclaw hosts\` for the list.`,
      { status: 404 },
    );
  }
  const now = deps.clock.now();
  let changed: boolean;
  if (command.kind === "revoke") {
    if (host.revokedAt) {
      return { ack: renderNotice(`*${host.name}* is revoked already; \`/openclaw remove ${host.name}\` deletes it.`) };
    }
    changed = await store.revokeHost(host.name, now);
  } else {
    changed = (await store.deleteHost?.(host.name)) ?? false;
  }
  const dropped = changed
    ? await transport.disconnect(host.name, command.kind === "revoke" ? "key revoked" : "host removed")
    : false;
  const connection = dropped ? "its agent was connected and has been disconnected" : "its agent was not connected";
  await audit(deps, {
    at: now,
    actor: req.user,
    source: req.source,
    action: `host.${command.kind}`,
    host: host.name,
    outcome: changed ? "ok" : "info",
    detail: changed ? `${command.kind === "revoke" ? "key revoked" : "record deleted"}; ${connection}` : "no change",
    ref: null,
  });
  const what =
    command.kind === "revoke"
      ? `Revoked *${host.name}*: ${connection}, and its key is refused from now on. To bring it back, issue a new code with \`clawops enroll ${host.name}\`.`
      : `Removed *${host.name}*: ${connection}, its record is deleted and its key matches nothing. The name can be enrolled again (\`clawops enroll ${host.name}\`).`;
  return { ack: renderNotice(changed ? `🔒 ${what}` : `Nothing to do: *${host.name}* changed meanwhile.`) };
}
