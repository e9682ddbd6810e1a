import { audit } from "../audit/audit.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { handleCommand } from "../commands/handle.ts";
import { noteIncidentEvent, noteTimeline } from "../incidents/record.ts";
import { commandFromButton } from "../messages/buttons.ts";
import { commandFromIncidentButton } from "../messages/incident-buttons.ts";
import { renderError } from "../messages/notices.ts";
import { commandFromRoleButton } from "../messages/role-buttons.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";

/** A button press as the core sees it: who pressed what, where, and the press's identity. */
export interface CommandPress {
  actionId: string;
  value: string | undefined;
  user: string;
  channel: string;
  source: CommandRequest["source"];
  /** The press's identity (Slack: the interaction's trigger_id): a replayed press acts once. */
  requestKey: string;
  workspace?: string;
  responseUrl?: string;
}

/**
 * Runs a command button's press as the presser's command. A press whose value is not one
 * clawops makes runs nothing: the refusal is audited and told to the presser.
 */
export async function handleCommandPress(deps: CoreDeps, press: CommandPress): Promise<CommandReply> {
  const byIncident =
    commandFromIncidentButton(press.actionId, press.value) ?? commandFromRoleButton(press.actionId, press.value);
  const command = byIncident ?? commandFromButton(press.actionId, press.value);
  if (!command?.ok) {
    const reason = command?.reason ?? "not a command button";
    deps.logger.warn("button press refused", { user: press.user, action: press.actionId.slice(0, 100) });
    await audit(deps, {
      at: deps.clock.now(),
      actor: press.user,
      source: press.source,
      action: "command",
      host: null,
      outcome: "refused",
      detail: `button ${press.actionId.slice(0, 100)} refused: ${reason}`,
      ref: null,
    });
    const message = `Nothing was run: ${reason}.`;
    return { ack: renderError(message, "bad_request"), error: { code: "bad_request", message } };
  }
  const reply = await handleCommand(deps, {
    text: command.text,
    user: press.user,
    channel: press.channel,
    requestKey: press.requestKey,
    source: press.source,
    via: "button",
    ...(press.workspace ? { workspace: press.workspace } : {}),
    ...(press.responseUrl ? { responseUrl: press.responseUrl } : {}),
  });
  // The press on the incident record, with who pressed it and what became of it (issue 29, item 1).
  const entry = {
    actor: press.user,
    kind: "button" as const,
    text: `pressed the \`${command.text}\` button${reply.error ? ` (refused: ${reply.error.code})` : ""}`,
  };
  // An incident's own buttons (Open ticket, I'm on it, Resolve) on that incident; a host's on the host's open one.
  if ("incident" in command && command.incident) await noteIncidentEvent(deps, command.incident, entry);
  else if ("host" in command && command.host) await noteTimeline(deps, command.host, entry);
  return reply;
}

/**
 * Slack shows nothing for an interaction's HTTP answer, so a press's ack goes to the presser
 * through the interaction's response_url, only to them, before the command's slow half: the
 * same words a slash command's ack shows.
 */
export function ackThroughResponseUrl(deps: CoreDeps, press: CommandPress, reply: CommandReply): CommandReply {
  const slow = reply.later;
  return {
    ...reply,
    later: async () => {
      await tellRequester(deps, press.responseUrl, reply.ack, { request: press.requestKey });
      if (slow) await slow();
    },
  };
}
