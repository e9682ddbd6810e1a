import { ClawopsError } from "../errors.ts";
import type { IncidentRecord } from "../ports.ts";
import { renderIncidentHeader, renderNotice } from "../render/blocks.ts";
import type { CommandReply, CommandRequest } from "../service/commands.ts";
import type { CoreDeps } from "../service/deps.ts";
import type { ApprovalKeyPair } from "./approval.ts";
import type { Actor, Authorizer, MutatingAction } from "./authz.ts";
import type { DecisionBus } from "./confirm.ts";
import { FREEZE_ALL, type RecoveryCommand } from "./parse.ts";
import { type RecoverRuns, startRecover } from "./recover.ts";
import {
  renderAuditSummary,
  renderExpiryNotice,
  renderFreezeNotice,
  renderFreezeStatus,
  renderUnfreezeNotice,
} from "./render.ts";
import type { AuditEntry, FreezeRecord, NewAuditEntry, NoticeRef, RecoveryStore } from "./types.ts";

/** What the recovery runbook adds to CoreDeps; wired by each runtime. */
export interface RecoveryDeps {
  store: RecoveryStore;
  authz: Authorizer;
  /** Channels every freeze notice, all-clear and expiry notice also goes to (CLAWOPS_ANNOUNCE_CHANNELS). */
  announceChannels: readonly string[];
  /** Signs approvals for mutating steps; agents pin its public key at enrollment. Absent: approvals are refused. */
  approvalKey?: ApprovalKeyPair;
  /** Hands button presses to the run waiting on them. */
  decisions: DecisionBus;
  /** How often "approve once drained" re-reads what is in flight (default 15 s). */
  drainPollMs?: number;
  /** Where recover runs run (Workers: a Workflow instance each). Unset: in this process, one per host. */
  runs?: RecoverRuns;
  /** Set where this runtime cannot run the recover runbook: why, for `/openclaw recover` to say. */
  runbookUnavailable?: string;
}

export type RecoveryCoreDeps = CoreDeps & { recovery: RecoveryDeps };

export function requireRecovery(deps: CoreDeps): RecoveryCoreDeps {
  if (!deps.recovery) {
    throw new ClawopsError("not_configured", "Freezes, recovery and the audit log are not wired in this runtime.");
  }
  return deps as RecoveryCoreDeps;
}

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

async function requireHost(deps: CoreDeps, name: string): Promise<void> {
  const host = await deps.store.getHost(name);
  if (!host || host.revokedAt) {
    throw new ClawopsError(
      "unknown_host",
      `No enrolled host named \`${name}\`. See \`/openclaw hosts\` for the list.`,
      { status: 404 },
    );
  }
}

/** Posts the freeze notice in the incident thread (or channel, for `all`) and every announcement channel. */
export async function announceFreeze(deps: RecoveryCoreDeps, f: FreezeRecord): Promise<void> {
  const notice = renderFreezeNotice(f, deps.clock.now());
  const refs: NoticeRef[] = [];
  if (f.target === FREEZE_ALL) {
    refs.push({ channel: f.channel, threadTs: null });
  } else {
    const incident = await ensureIncidentThread(deps, f.channel, f.target, f.owner);
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

async function postToNotices(
  deps: RecoveryCoreDeps,
  f: FreezeRecord,
  message: { text: string; blocks: Record<string, unknown>[] },
) {
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
    await audit(deps, {
      at: now,
      actor: "system",
      source: "system",
      action: "freeze.expired",
      host: removed.target,
      outcome: "info",
      detail: `freeze by ${removed.owner} expired (${removed.reason})`,
      ref: null,
    });
    await postToNotices(deps, removed, renderExpiryNotice(removed));
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

/** One incident thread per (channel, host), shared with triage. */
export async function ensureIncidentThread(
  deps: CoreDeps,
  channel: string,
  host: string,
  user: string,
): Promise<IncidentRecord> {
  const existing = await deps.store.findIncident(channel, host);
  if (existing) return existing;
  const parent = await deps.chat.postMessage({ channel, ...renderIncidentHeader(host, user, deps.clock.now()) });
  await deps.store.insertIncident({
    id: deps.ids.id("inc"),
    channel,
    host,
    threadTs: parent.ts,
    openedAt: deps.clock.now(),
  });
  // Another request may have opened one at the same moment: the stored one wins.
  return (await deps.store.findIncident(channel, host)) ?? { id: "", channel, host, threadTs: parent.ts, openedAt: 0 };
}

/** JSON lines for export: one entry per line, oldest first. */
export function auditToJsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join("");
}
