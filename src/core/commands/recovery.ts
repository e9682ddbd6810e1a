import { renderAuditSummary } from "../audit/render.ts";
import type { Actor } from "../authz/authz.ts";
import { extendFreezeCommand, freezeCommand, unfreezeCommand } from "../freezes/commands.ts";
import { activeFreezes } from "../freezes/freezes.ts";
import { renderFreezeStatus } from "../freezes/render.ts";
import { scheduleFreeze } from "../freezes/schedule.ts";
import { recoverRuns } from "../recover/runs.ts";
import { startRecover } from "../recover/start.ts";
import type { CommandRequest } from "../requests/types.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";
import { defineCommand } from "./entry.ts";
import { parseAudit, parseFreeze, parseRecover, parseStatusScope, parseUnfreeze } from "./recovery-parse.ts";

/**
 * The recovery commands: freeze (now, scheduled, extended), unfreeze, recover, the freeze list
 * and the audit log. The workflows in core/freezes and core/recover authorize themselves: the
 * freeze and approval buttons call them too, and who may act depends on the freeze in place.
 */

const actorOf = (req: CommandRequest): Actor => ({ user: req.user, channel: req.channel, source: req.source });

/** How many audit rows `audit` shows. */
const AUDIT_SUMMARY_ROWS = 15;

export const freeze = defineCommand({
  words: ["freeze"],
  parse: parseFreeze,
  help: [
    {
      usage: "/openclaw freeze <host|all> [for 30m] <reason>",
      summary:
        "Freeze a gateway (or the fleet): announces who, why and until when, and refuses other people's changes to it. Default 30 min, max 24 h.",
    },
    {
      usage: "/openclaw freeze <host|all> at 14:00 [for 30m] <reason>",
      summary:
        "Schedule a maintenance freeze: 14:00 is the next 14:00 UTC (or give an ISO date-time, e.g. 2026-11-24T14:00Z). Announced when set, 15 min before, at its start and at its end.",
    },
    {
      usage: "/openclaw freeze <host|all> extend 30m",
      summary:
        "Hold an active freeze longer (an automatic freeze: at least 30 min more, then it lifts after its healthy time). Incident leads only for automatic freezes.",
    },
  ],
  authorize: { inHandler: ["freeze"], why: "in core/freezes, after the freeze in place is read (leads, owners)" },
  handle: (deps, req, command) => {
    const actor = actorOf(req);
    if (command.kind === "schedule") return scheduleFreeze(deps, req, actor, command);
    if (command.kind === "extend") return extendFreezeCommand(deps, actor, command);
    return freezeCommand(deps, req, actor, command);
  },
});

export const unfreeze = defineCommand({
  words: ["unfreeze"],
  parse: parseUnfreeze,
  help: [
    {
      usage: "/openclaw unfreeze <host|all>",
      summary:
        "Lift a freeze and post the all-clear (automatic freezes: incident leads only); before a scheduled freeze starts, cancel it.",
    },
  ],
  authorize: { inHandler: ["unfreeze"], why: "in core/freezes, after the freeze in place is read (leads, owners)" },
  handle: async (deps, req, command) => {
    // A recovery under way holds the freeze it placed: lifting it stops the run before its next
    // change, and the unfreeze says so (issue 33, item 5).
    const run = command.target === FREEZE_ALL ? null : await recoverRuns(deps).running(command.target);
    return unfreezeCommand(deps, req, actorOf(req), command.target, run ? { recoveryRun: run } : {});
  },
});

export const recover = defineCommand({
  words: ["recover"],
  parse: parseRecover,
  help: [
    {
      usage: "/openclaw recover <host>",
      summary:
        "Run the six-step recovery runbook: freeze, snapshot, workspace/models, doctor, confirmed restart, read+write acceptance.",
    },
  ],
  authorize: { inHandler: ["recover"], why: "in core/recover/start.ts, with the run's own checks" },
  handle: (deps, req, command) => startRecover(deps, req, command.host),
});

/** Bare `status`: the freezes in place and scheduled. `status <selector>` is the fleet matrix (fleet-status.ts). */
export const freezeStatus = defineCommand({
  words: ["status"],
  accepts: (rest) => rest.length === 0,
  parse: (rest) => ({ kind: "status", scope: parseStatusScope(rest) }),
  help: [{ usage: "/openclaw status", summary: "Show active freezes." }],
  authorize: "open",
  handle: async (deps) => {
    const now = deps.clock.now();
    return {
      ack: renderFreezeStatus(
        await activeFreezes(deps.recovery.store, now),
        now,
        await deps.recovery.store.listScheduledFreezes(),
      ),
    };
  },
});

export const auditLog = defineCommand({
  words: ["audit"],
  parse: parseAudit,
  help: [
    { usage: "/openclaw audit [host]", summary: "Recent audit log entries (every command, approval, refusal, step)." },
  ],
  authorize: "open",
  handle: async (deps, _req, command) => {
    const entries = await deps.recovery.store.listAudit({
      host: command.host ?? undefined,
      order: "desc",
      limit: AUDIT_SUMMARY_ROWS,
    });
    return { ack: renderAuditSummary(entries, command.host) };
  },
});
