import type { RecoveryCommand } from "../commands/recovery-parse.ts";
import { FREEZE_ALL } from "../commands/recovery-parse.ts";
import type { CommandReply, CommandRequest } from "../commands/types.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost } from "../jobs/hosts.ts";
import { renderNotice } from "../render/messages.ts";
import type { Actor } from "./authz.ts";
import { renderAuditSummary, renderFreezeStatus, renderUnfreezeNotice } from "./render.ts";
import {
  activeFreezes,
  announceFreeze,
  authorize,
  guardFrozen,
  postToNotices,
  type RecoveryCoreDeps,
} from "./service.ts";
import { startRecover } from "./start.ts";
import type { FreezeRecord } from "./types.ts";

/** The recovery commands: freeze, unfreeze, freeze status, audit and recover. */
const AUDIT_SUMMARY_ROWS = 15;

export async function handleRecoveryCommand(
  deps: RecoveryCoreDeps,
  req: CommandRequest,
  command: RecoveryCommand,
): Promise<CommandReply> {
  const actor: Actor = { user: req.user, channel: req.channel, source: req.source };
  const now = deps.clock.now();
  switch (command.kind) {
    case "status":
      return { ack: renderFreezeStatus(await activeFreezes(deps.recovery.store, now), now) };
    case "audit": {
      const entries = await deps.recovery.store.listAudit({
        host: command.host ?? undefined,
        order: "desc",
        limit: AUDIT_SUMMARY_ROWS,
      });
      return { ack: renderAuditSummary(entries, command.host) };
    }
    case "freeze":
      return freeze(deps, req, actor, command);
    case "unfreeze":
      return unfreeze(deps, req, actor, command.target);
    case "recover":
      return startRecover(deps, req, command.host);
  }
}

async function freeze(
  deps: RecoveryCoreDeps,
  req: CommandRequest,
  actor: Actor,
  command: Extract<RecoveryCommand, { kind: "freeze" }>,
): Promise<CommandReply> {
  await authorize(deps, actor, "freeze");
  if (command.target !== FREEZE_ALL) await requireHost(deps, command.target);
  // Re-freezing (to extend or re-word) is a change like any other: owner or incident lead only.
  await guardFrozen(deps, actor, command.target, "freeze");
  const now = deps.clock.now();
  const record: FreezeRecord = {
    target: command.target,
    owner: req.user,
    reason: command.reason,
    source: req.source,
    createdAt: now,
    expiresAt: now + command.durationMs,
    channel: req.channel,
    notices: [],
  };
  await deps.recovery.store.putFreeze(record);
  deps.logger.info("freeze placed", { target: record.target, owner: record.owner, expiresAt: record.expiresAt });
  return {
    ack: renderNotice(
      `🧊 Froze ${command.target === FREEZE_ALL ? "*the whole fleet*" : `*${command.target}*`} until ${new Date(record.expiresAt).toISOString().slice(0, 16).replace("T", " ")} UTC. Notices go to the incident thread${deps.recovery.announceChannels.length ? " and the announcement channels" : ""}.`,
    ),
    background: () => announceFreeze(deps, record),
  };
}

async function unfreeze(
  deps: RecoveryCoreDeps,
  req: CommandRequest,
  actor: Actor,
  target: string,
): Promise<CommandReply> {
  await authorize(deps, actor, "unfreeze");
  const now = deps.clock.now();
  const existing = await deps.recovery.store.getFreeze(target);
  if (!existing || existing.expiresAt <= now) {
    throw new ClawopsError(
      "not_frozen",
      `${target === FREEZE_ALL ? "The fleet" : `\`${target}\``} is not frozen. See \`/openclaw status\` for active freezes.`,
      { status: 409 },
    );
  }
  await guardFrozen(deps, actor, target, "unfreeze");
  const removed = await deps.recovery.store.removeFreeze(target, existing.createdAt);
  if (!removed)
    throw new ClawopsError("not_frozen", `The freeze of \`${target}\` was lifted meanwhile.`, { status: 409 });
  return {
    ack: renderNotice(`✅ Lifted the freeze of *${target}*; the all-clear goes where the freeze was announced.`),
    background: () => postToNotices(deps, removed, renderUnfreezeNotice(removed, req.user, deps.clock.now())),
  };
}

/** Active freezes (expired ones not yet swept are not active). */
