import { authorize } from "../authz/authz.ts";
import {
  addIncidentAction,
  closeIncidentAction,
  incidentActions,
  openActionsWords,
  renderIncidentActions,
} from "../incidents/actions.ts";
import { requireIncident } from "../incidents/record.ts";
import { roleHolder, setIncidentRole } from "../incidents/roles.ts";
import { mention } from "../messages/format.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command, UserRef } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";

type WorkCommand = Extract<Command, { kind: "incident"; action: "role" | "action" | "actions" | "action-done" }>;

const userOf = (ref: UserRef, req: CommandRequest) => (ref.kind === "me" ? req.user : ref.id);

/**
 * `incident <id> role|action|actions` (issue 41, items 1 and 5). Taking a role yourself is open
 * to anyone in the channel, as "I'm on it" is, and so is handing over a role you hold; giving a
 * role to someone else from someone else needs what resolve needs. Recording and closing
 * follow-up actions is open like notes. The command's own audit row (handle.ts) records who did
 * what, refused or not.
 */
export async function incidentWorkCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: WorkCommand,
): Promise<CommandReply> {
  // Unknown ids are refused before authorization, so the error says what is wrong.
  const incident = await requireIncident(deps, command.id);
  switch (command.action) {
    case "role": {
      const user = userOf(command.user, req);
      if (user !== req.user && roleHolder(incident, command.role) !== req.user) {
        await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, "resolve");
      }
      const change = await setIncidentRole(deps, { id: incident.id, role: command.role, user, actor: req.user });
      const whom = user === req.user ? "You are" : `${mention(user)} is`;
      if (!change.changed) {
        return {
          ack: renderNotice(`${whom} ${command.role} of incident \`${incident.id}\` already; nothing changed.`),
        };
      }
      return {
        ack: renderNotice(
          `${whom} ${command.role} of incident \`${incident.id}\` now${change.previous ? ` (was ${mention(change.previous)})` : ""}.`,
        ),
      };
    }
    case "action": {
      const owner = command.owner ? userOf(command.owner, req) : null;
      const added = await addIncidentAction(deps, { id: incident.id, text: command.text, owner, actor: req.user });
      return {
        ack: renderNotice(
          `Follow-up #${added.n} recorded on incident \`${incident.id}\`${owner ? ` for ${mention(owner)}` : ""}. \`/openclaw incident ${incident.id} action ${added.n} done\` closes it.`,
        ),
      };
    }
    case "actions":
      return { ack: renderIncidentActions(incident, await incidentActions(deps, incident.id)) };
    case "action-done": {
      const { action, stillOpen } = await closeIncidentAction(deps, { id: incident.id, n: command.n, actor: req.user });
      return {
        ack: renderNotice(
          `✅ Follow-up #${action.n} of \`${incident.id}\` is done. ${stillOpen > 0 ? `${openActionsWords(stillOpen)}.` : "No follow-up action is open."}`,
        ),
      };
    }
  }
}
