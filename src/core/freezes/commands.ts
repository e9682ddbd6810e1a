import type { Actor } from "../authz/authz.ts";
import { authorize } from "../authz/authz.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost } from "../hosts/lookup.ts";
import { iso } from "../messages/format.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FreezeRecord } from "../ports/recovery.ts";
import type { RecoveryCommand } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { FREEZE_ALL, MAX_FREEZE_MS } from "../vocabulary/freezes.ts";
import { autoFreezeEnd, isAutoFreeze } from "./auto-freeze.ts";
import { announceFreeze, guardFrozen, postToNotices } from "./freezes.ts";
import { endMaintenance, isMaintenanceReason } from "./maintenance.ts";
import { renderUnfreezeNotice } from "./render.ts";
import { liftRule, renderFreezeExtended } from "./render-policy.ts";
import { cancelScheduled } from "./schedule.ts";
import { freezeTarget, frozeLine, noteFreeze } from "./timeline.ts";

/** The freeze commands: freeze now, extend, unfreeze (a scheduled one: schedule.ts). */

export async function freezeCommand(
  deps: CoreDeps,
  req: CommandRequest,
  actor: Actor,
  command: Extract<RecoveryCommand, { kind: "freeze" }>,
): Promise<CommandReply> {
  await authorize(deps.recovery.authz, actor, "freeze");
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
    ...(isMaintenanceReason(command.reason) ? { maintenance: true, muted: { alerts: 0, watch: 0, silences: 0 } } : {}),
  };
  await deps.recovery.store.putFreeze(record);
  deps.logger.info("freeze placed", { target: record.target, owner: record.owner, expiresAt: record.expiresAt });
  await noteFreeze(deps, record.target, req.user, frozeLine(record));
  return {
    ack: renderNotice(
      `🧊 Froze ${command.target === FREEZE_ALL ? "*the whole fleet*" : `*${command.target}*`} until ${new Date(record.expiresAt).toISOString().slice(0, 16).replace("T", " ")} UTC. Notices go to the incident thread${deps.recovery.announceChannels.length ? " and the announcement channels" : ""}.`,
    ),
    later: () => announceFreeze(deps, record),
  };
}

export async function unfreezeCommand(
  deps: CoreDeps,
  req: CommandRequest,
  actor: Actor,
  target: string,
  /** A recovery run under way on the host: the lift stops it before its next change, said here and in the thread. */
  opts: { recoveryRun?: string } = {},
): Promise<CommandReply> {
  const now = deps.clock.now();
  const existing = await deps.recovery.store.getFreeze(target);
  if (!existing || existing.expiresAt <= now) {
    await authorize(deps.recovery.authz, actor, "unfreeze");
    // Not frozen yet, but a maintenance freeze is coming: `unfreeze` before the start cancels it.
    const cancelled = await cancelScheduled(deps, actor, target);
    if (cancelled) return cancelled;
    throw new ClawopsError(
      "not_frozen",
      `${target === FREEZE_ALL ? "The fleet" : `\`${target}\``} is not frozen. See \`/openclaw status\` for active freezes.`,
      { status: 409 },
    );
  }
  if (isAutoFreeze(existing)) await requireLead(deps, actor, target, "lift");
  else {
    await authorize(deps.recovery.authz, actor, "unfreeze");
    await guardFrozen(deps, actor, target, "unfreeze");
  }
  const removed = await deps.recovery.store.removeFreeze(target, existing.createdAt);
  if (!removed)
    throw new ClawopsError("not_frozen", `The freeze of \`${target}\` was lifted meanwhile.`, { status: 409 });
  await noteFreeze(deps, target, req.user, `lifted the freeze of ${freezeTarget(target)} (${removed.reason})`);
  const next = (await deps.recovery.store.listScheduledFreezes()).find(
    (s) => s.target === target && s.stage !== "started",
  );
  const still = next
    ? ` A maintenance freeze is still scheduled ${iso(next.startsAt)} to ${iso(next.endsAt)}; \`/openclaw unfreeze ${target}\` again cancels it.`
    : "";
  const stops = opts.recoveryRun
    ? ` Recovery run \`${opts.recoveryRun}\` is under way on *${target}*: without its freeze it stops before its next change (a restart or \`doctor --repair\`), and says so in its thread.`
    : "";
  return {
    ack: renderNotice(
      `✅ Lifted the freeze of *${target}*; the all-clear goes where the freeze was announced.${stops}${still}`,
    ),
    later: async () => {
      await postToNotices(deps, removed, renderUnfreezeNotice(removed, req.user, deps.clock.now()));
      if (stops) await postToNotices(deps, removed, renderNotice(`⚠️${stops}`));
      await endMaintenance(deps, removed);
    },
  };
}

/** An automatic freeze is the incident's: only incident leads lift or extend it. */
async function requireLead(deps: CoreDeps, actor: Actor, target: string, verb: string): Promise<void> {
  if (await deps.recovery.authz.isIncidentLead(actor)) return;
  throw new ClawopsError(
    "forbidden",
    `Only an incident lead may ${verb} the automatic freeze of \`${target}\` (the authorization file's \`incidentLeads\`). It lifts by itself once the host has been healthy long enough; ask in the incident thread.`,
    { status: 403 },
  );
}

/** `freeze <target> extend 30m`: a person's freeze lasts 30 min longer; an automatic one holds at least 30 min more. */
export async function extendFreezeCommand(
  deps: CoreDeps,
  actor: Actor,
  command: Extract<RecoveryCommand, { kind: "extend" }>,
): Promise<CommandReply> {
  const now = deps.clock.now();
  const existing = await deps.recovery.store.getFreeze(command.target);
  if (!existing || existing.expiresAt <= now) {
    throw new ClawopsError(
      "not_frozen",
      `${command.target === FREEZE_ALL ? "The fleet" : `\`${command.target}\``} is not frozen, so there is nothing to extend; freeze it with \`/openclaw freeze ${command.target} for 30m <reason>\`.`,
      { status: 409 },
    );
  }
  let updated: FreezeRecord;
  if (isAutoFreeze(existing)) {
    await requireLead(deps, actor, command.target, "extend");
    const holdUntil = Math.max(now, existing.auto.holdUntil ?? now) + command.durationMs;
    const auto = { ...existing.auto, holdUntil, capAt: Math.max(existing.auto.capAt, holdUntil) };
    updated = { ...existing, auto, expiresAt: autoFreezeEnd(auto) };
  } else {
    await authorize(deps.recovery.authz, actor, "freeze");
    await guardFrozen(deps, actor, command.target, "freeze");
    updated = { ...existing, expiresAt: Math.min(existing.expiresAt + command.durationMs, now + MAX_FREEZE_MS) };
  }
  await deps.recovery.store.putFreeze(updated);
  deps.logger.info("freeze extended", { target: updated.target, by: actor.user, expiresAt: updated.expiresAt });
  const until = updated.auto ? `it lifts ${liftRule(updated.auto)}` : `it lasts until ${iso(updated.expiresAt)}`;
  await noteFreeze(
    deps,
    command.target,
    actor.user,
    `extended the freeze of ${freezeTarget(command.target)}: ${until}`,
  );
  return {
    ack: renderNotice(`⏳ Extended the freeze of *${command.target}*: ${until}. Said where it was announced.`),
    later: () => postToNotices(deps, updated, renderFreezeExtended(updated, actor.user)),
  };
}

/** Active freezes (expired ones not yet swept are not active). */
