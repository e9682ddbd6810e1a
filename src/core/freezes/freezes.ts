import { audit } from "../audit/audit.ts";
import type { Actor, MutatingAction } from "../authz/authz.ts";
import { postNotice, withAnnounceChannels } from "../chat/notices.ts";
import { ClawopsError } from "../errors.ts";
import { incidentThread } from "../incidents/pipeline.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FreezeRecord, NoticeRef, RecoveryStore } from "../ports/recovery.ts";
import { FREEZE_ALL } from "../vocabulary/freezes.ts";
import { isAutoFreeze, liftedHealthy } from "./auto-freeze.ts";
import { endMaintenance } from "./maintenance.ts";
import { renderExpiryNotice, renderFreezeNotice } from "./render.ts";
import { renderAutoAllClear, renderAutoCapNotice } from "./render-policy.ts";
import { freezeTarget, noteFreeze } from "./timeline.ts";

export async function activeFreezes(store: RecoveryStore, now: number): Promise<FreezeRecord[]> {
  return (await store.listFreezes()).filter((f) => f.expiresAt > now);
}

/** The active freezes that cover `host`: its own and the fleet-wide one. */
export async function freezesCovering(store: RecoveryStore, host: string, now: number): Promise<FreezeRecord[]> {
  const out: FreezeRecord[] = [];
  for (const target of host === FREEZE_ALL ? [FREEZE_ALL] : [host, FREEZE_ALL]) {
    const f = await store.getFreeze(target);
    if (f && f.expiresAt > now) out.push(f);
  }
  return out;
}

/**
 * While a host is frozen, mutating commands from anyone but the freeze owner or an incident
 * lead are refused. Throws `host_frozen` with who froze it, why and until when.
 */
export async function guardFrozen(deps: CoreDeps, actor: Actor, host: string, action: MutatingAction): Promise<void> {
  const covering = await freezesCovering(deps.recovery.store, host, deps.clock.now());
  const blocking = covering.find((f) => f.owner !== actor.user);
  if (!blocking) return;
  if (await deps.recovery.authz.isIncidentLead(actor)) return;
  const owner = /^[UW][A-Z0-9]+$/.test(blocking.owner) ? `<@${blocking.owner}>` : blocking.owner;
  throw new ClawopsError(
    "host_frozen",
    `Refused: \`${action}\` on ${host === FREEZE_ALL ? "the fleet" : `\`${host}\``} — ${blocking.target === FREEZE_ALL ? "the whole fleet" : `\`${blocking.target}\``} is frozen by ${owner} until ${new Date(blocking.expiresAt).toISOString().slice(0, 16).replace("T", " ")} UTC (${blocking.reason.replace(/[`*<>&]/g, "")}). Only the freeze owner or an incident lead may change it now; ask in the incident thread.`,
    { status: 409 },
  );
}

/** Posts the freeze notice in the incident thread (or channel, for `all`) and every announcement channel. */
export async function announceFreeze(deps: CoreDeps, f: FreezeRecord): Promise<void> {
  const notice = renderFreezeNotice(f, deps.clock.now());
  // The fleet's freeze goes to the channel itself; a host's, to its incident thread there.
  const where: NoticeRef =
    f.target === FREEZE_ALL
      ? { channel: f.channel, threadTs: null }
      : {
          channel: f.channel,
          threadTs: (await incidentThread(deps, { channel: f.channel, host: f.target, actor: f.owner })).threadTs,
        };
  const posted = await postNotice(deps, withAnnounceChannels([where], deps.recovery.announceChannels), notice);
  await deps.recovery.store.setFreezeNotices(f.target, f.createdAt, posted);
}

/** A later notice of a freeze (lifted, extended, expired) where the freeze itself was announced. */
export async function postToNotices(deps: CoreDeps, f: FreezeRecord, message: Message): Promise<void> {
  // The notices may not be recorded yet (freeze lifted within a second): fall back to the channel.
  await postNotice(deps, f.notices.length > 0 ? f.notices : [{ channel: f.channel, threadTs: null }], message);
}

/**
 * Lifts every freeze whose time is up and posts the expiry notice where it was announced.
 * Pure core: the Node runtime calls it from a timer, a Worker from a Durable Object alarm
 * (set the next alarm at `nextExpiryAt`). Safe to run concurrently: a freeze is removed once.
 */
export async function expireFreezes(
  deps: CoreDeps,
  now: number,
): Promise<{ expired: FreezeRecord[]; nextExpiryAt: number | null }> {
  const expired: FreezeRecord[] = [];
  let nextExpiryAt: number | null = null;
  for (const f of await deps.recovery.store.listFreezes()) {
    if (f.expiresAt > now) {
      nextExpiryAt = nextExpiryAt === null ? f.expiresAt : Math.min(nextExpiryAt, f.expiresAt);
      continue;
    }
    const removed = await deps.recovery.store.removeFreeze(f.target, f.createdAt);
    if (!removed) continue;
    expired.push(removed);
    // An automatic freeze whose host was healthy long enough lifts with an all-clear.
    const healthy = isAutoFreeze(removed) && liftedHealthy(removed.auto, removed.expiresAt);
    await audit(deps, {
      at: now,
      actor: "system",
      source: "system",
      action: healthy ? "freeze.auto.lifted" : "freeze.expired",
      host: removed.target,
      outcome: "info",
      detail: healthy
        ? `automatic freeze lifted: healthy since ${new Date(removed.auto?.healthySince ?? now).toISOString()} (${removed.reason})`
        : `freeze by ${removed.owner} expired (${removed.reason})`,
      ref: null,
    });
    await noteFreeze(
      deps,
      removed.target,
      "clawops",
      healthy
        ? `automatic freeze of ${freezeTarget(removed.target)} lifted: healthy long enough`
        : `freeze of ${freezeTarget(removed.target)} by ${removed.owner} expired (${removed.reason})`,
    );
    const notice = isAutoFreeze(removed)
      ? healthy
        ? renderAutoAllClear(removed, removed.expiresAt)
        : renderAutoCapNotice(removed)
      : renderExpiryNotice(removed);
    await postToNotices(deps, removed, notice);
    await endMaintenance(deps, removed);
  }
  return { expired, nextExpiryAt };
}
