import { renderAuditSummary } from "../audit/render.ts";
import type { Actor } from "../authz/authz.ts";
import { extendFreezeCommand, freezeCommand, unfreezeCommand } from "../freezes/commands.ts";
import { activeFreezes } from "../freezes/freezes.ts";
import { renderFreezeStatus } from "../freezes/render.ts";
import { scheduleFreeze } from "../freezes/schedule.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { recoverRuns } from "../recover/runs.ts";
import { startRecover } from "../recover/start.ts";
import type { RecoveryCommand } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";

/** The recovery commands: freeze, unfreeze, freeze status, audit and recover. */
const AUDIT_SUMMARY_ROWS = 15;

export async function handleRecoveryCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: RecoveryCommand,
): Promise<CommandReply> {
  const actor: Actor = { user: req.user, channel: req.channel, source: req.source };
  const now = deps.clock.now();
  switch (command.kind) {
    case "status":
      return {
        ack: renderFreezeStatus(
          await activeFreezes(deps.recovery.store, now),
          now,
          await deps.recovery.store.listScheduledFreezes(),
        ),
      };
    case "audit": {
      const entries = await deps.recovery.store.listAudit({
        host: command.host ?? undefined,
        order: "desc",
        limit: AUDIT_SUMMARY_ROWS,
      });
      return { ack: renderAuditSummary(entries, command.host) };
    }
    case "freeze":
      return freezeCommand(deps, req, actor, command);
    case "schedule":
      return scheduleFreeze(deps, req, actor, command);
    case "extend":
      return extendFreezeCommand(deps, actor, command);
    case "unfreeze": {
      // A recovery under way holds the freeze it placed: lifting it stops the run before its next
      // change, and the unfreeze says so (issue 33, item 5).
      const run = command.target === FREEZE_ALL ? null : await recoverRuns(deps).running(command.target);
      return unfreezeCommand(deps, req, actor, command.target, run ? { recoveryRun: run } : {});
    }
    case "recover":
      return startRecover(deps, req, command.host);
  }
}
