import { FREEZE_ALL } from "../commands/recovery-parse.ts";
import type { CoreDeps } from "../deps.ts";
import { ClawopsError } from "../errors.ts";
import { openIncidentThread } from "../jobs/incident-thread.ts";
import type { Message } from "../messages/model.ts";
import type { Actor, MutatingAction } from "./authz.ts";
import { isAutoFreeze, liftedHealthy } from "./auto-freeze.ts";
import { renderExpiryNotice, renderFreezeNotice } from "./render.ts";
import { renderAutoAllClear, renderAutoCapNotice } from "./render-freezes.ts";
import type { AuditEntry, FreezeRecord, NewAuditEntry, NoticeRef, RecoveryDeps, RecoveryStore } from "./types.ts";

export type RecoveryCoreDeps = CoreDeps & { recovery: RecoveryDeps };

export function requireRecovery(deps: CoreDeps): RecoveryCoreDeps {
  const { recovery } = deps;
  if (!recovery) {
    throw new ClawopsError("not_configured", "Freezes, recovery and the audit log are not wired in this runtime.");
  }
  // The same deps, the capability now known to be there (its object kept: runs key on it).
  return { ...deps, recovery };
}

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
export async function guardFrozen(
  deps: RecoveryCoreDeps,
  actor: Actor,
  host: string,
  action: MutatingAction,
): Promise<void> {
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

export async function authorize(deps: RecoveryCoreDeps, actor: Actor, action: MutatingAction): Promise<void> {
  const reason = await deps.recovery.authz.refusal(actor, action);
  if (reason) throw new ClawopsError("forbidden", reason, { status: 403 });
}

/** Posts the freeze notice in the incident thread (or channel, for `all`) and every announcement channel. */
export async function announceFreeze(deps: RecoveryCoreDeps, f: FreezeRecord): Promise<void> {
  const notice = renderFreezeNotice(f, deps.clock.now());
  const refs: NoticeRef[] = [];
  if (f.target === FREEZE_ALL) {
    refs.push({ channel: f.channel, threadTs: null });
  } else {
    const incident = await openIncidentThread(deps, f.channel, f.target, f.owner);
    refs.push({ channel: f.channel, threadTs: incident.threadTs });
  }
  for (const channel of deps.recovery.announceChannels) {
    if (!refs.some((r) => r.channel === channel && r.threadTs === null)) refs.push({ channel, threadTs: null });
  }
  const posted: NoticeRef[] = [];
  for (const ref of refs) {
    try {
      await deps.chat.postMessage({ channel: ref.channel, threadTs: ref.threadTs ?? undefined, ...notice });
      posted.push(ref);
    } catch (err) {
      deps.logger.warn("freeze notice not posted", { channel: ref.channel, err: String(err) });
    }
  }
  await deps.recovery.store.setFreezeNotices(f.target, f.createdAt, posted);
}

export async function postToNotices(deps: RecoveryCoreDeps, f: FreezeRecord, message: Message) {
  // The notices may not be recorded yet (freeze lifted within a second): fall back to the channel.
  const refs = f.notices.length > 0 ? f.notices : [{ channel: f.channel, threadTs: null }];
  for (const ref of refs) {
    await deps.chat
      .postMessage({ channel: ref.channel, threadTs: ref.threadTs ?? undefined, ...message })
      .catch((err) => deps.logger.warn("freeze notice not posted", { channel: ref.channel, err: String(err) }));
  }
}

/**
 * Lifts every freeze whose time is up and posts the expiry notice where it was announced.
 * Pure core: the Node runtime calls it from a timer, a Worker from a Durable Object alarm
 * (set the next alarm at `nextExpiryAt`). Safe to run concurrently: a freeze is removed once.
 */
export async function expireFreezes(
  deps: RecoveryCoreDeps,
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
    const notice = isAutoFreeze(removed)
      ? healthy
        ? renderAutoAllClear(removed, removed.expiresAt)
        : renderAutoCapNotice(removed)
      : renderExpiryNotice(removed);
    await postToNotices(deps, removed, notice);
  }
  return { expired, nextExpiryAt };
}

/** Appends to the audit log; a failing audit write is logged loudly but never hides the action's own result. */
export async function audit(deps: CoreDeps, entry: NewAuditEntry): Promise<AuditEntry | null> {
  if (!deps.recovery) return null;
  try {
    return await deps.recovery.store.appendAudit(entry);
  } catch (err) {
    deps.logger.error("audit write failed", { action: entry.action, host: entry.host, err: String(err) });
    return null;
  }
}

/** JSON lines for export: one entry per line, oldest first. */
export function auditToJsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join("");
}
