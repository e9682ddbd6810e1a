import { audit } from "../audit/audit.ts";
import type { Actor } from "../authz/authz.ts";
import { authorize } from "../authz/authz.ts";
import { postNotice, withAnnounceChannels } from "../chat/notices.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost } from "../hosts/lookup.ts";
import { iso } from "../messages/format.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { FreezeRecord, NoticeRef, ScheduledFreeze } from "../ports/recovery.ts";
import type { RecoveryCommand, StartSpec } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { FREEZE_ALL, MAX_SCHEDULE_AHEAD_MS } from "../vocabulary/freezes.ts";
import { postToNotices } from "./freezes.ts";
import { endMaintenance } from "./maintenance.ts";
import { renderScheduledFreeze, type ScheduledMoment } from "./render-policy.ts";
import { freezeTarget, noteFreeze } from "./timeline.ts";

/**
 * Scheduled maintenance freezes: `/openclaw freeze node-3 at 14:00 for 30m <reason>`. Stored
 * (SQLite on Node, the directory object's SQLite on Workers) so a restart loses none; the
 * freeze sweep (a Node timer, the directory object's alarm) announces each moment once:
 * warned (CLAWOPS_FREEZE_WARN_MIN before, 15 by default), started (the freeze placed) and ended.
 * Each moment is claimed in the store before it is announced (`advanceScheduledFreeze`), so two
 * sweeps, or a sweep before and after a restart, never announce one twice.
 */
export const DEFAULT_FREEZE_WARN_MS = 15 * 60_000;

export const warnLead = (deps: CoreDeps) => deps.recovery.freezeWarnMs ?? DEFAULT_FREEZE_WARN_MS;

const label = (target: string) => (target === FREEZE_ALL ? "*the whole fleet*" : `*${target}*`);

export async function scheduleFreeze(
  deps: CoreDeps,
  req: CommandRequest,
  actor: Actor,
  command: Extract<RecoveryCommand, { kind: "schedule" }>,
): Promise<CommandReply> {
  await authorize(deps.recovery.authz, actor, "freeze");
  if (command.target !== FREEZE_ALL) await requireHost(deps, command.target);
  const now = deps.clock.now();
  const startsAt = resolveStart(command.at, now);
  if (startsAt <= now) {
    throw new ClawopsError(
      "bad_request",
      `${iso(startsAt)} is not in the future (it is ${iso(now)} now); give a later time, or freeze now without \`at\`.`,
    );
  }
  if (startsAt - now > MAX_SCHEDULE_AHEAD_MS) {
    throw new ClawopsError(
      "bad_request",
      `A maintenance freeze is scheduled at most 30 days ahead (${iso(startsAt)} is further).`,
    );
  }
  const s: ScheduledFreeze = {
    id: deps.ids.id("sfz"),
    target: command.target,
    owner: req.user,
    reason: command.reason,
    source: req.source,
    channel: req.channel,
    createdAt: now,
    startsAt,
    endsAt: startsAt + command.durationMs,
    // Set within the warning lead: this announcement is the warning.
    stage: startsAt - now <= warnLead(deps) ? "warned" : "scheduled",
  };
  await deps.recovery.store.putScheduledFreeze(s);
  deps.logger.info("freeze scheduled", { target: s.target, owner: s.owner, startsAt, endsAt: s.endsAt });
  await noteFreeze(
    deps,
    s.target,
    req.user,
    `scheduled a maintenance freeze of ${freezeTarget(s.target)} from ${iso(s.startsAt)} to ${iso(s.endsAt)}: ${s.reason}`,
  );
  return {
    ack: renderNotice(
      `🗓️ Scheduled a maintenance freeze of ${label(s.target)} from ${iso(s.startsAt)} to ${iso(s.endsAt)}. It is announced now${s.stage === "scheduled" ? `, ${Math.round(warnLead(deps) / 60_000)} min before,` : ""} at its start and at its end${deps.recovery.announceChannels.length ? ", here and in the announcement channels" : " here"}. Cancel it before it starts with \`/openclaw unfreeze ${s.target}\`.`,
    ),
    later: async () => {
      await announceScheduled(deps, s, "set");
    },
  };
}

/** Cancels the soonest scheduled freeze of `target` that has not started: null when there is none. */
export async function cancelScheduled(deps: CoreDeps, actor: Actor, target: string): Promise<CommandReply | null> {
  const pending = (await deps.recovery.store.listScheduledFreezes()).find(
    (s) => s.target === target && s.stage !== "started",
  );
  if (!pending) return null;
  if (pending.owner !== actor.user && !(await deps.recovery.authz.isIncidentLead(actor))) {
    throw new ClawopsError(
      "forbidden",
      `The maintenance freeze of \`${target}\` at ${iso(pending.startsAt)} was scheduled by someone else; only they or an incident lead may cancel it.`,
      { status: 403 },
    );
  }
  const removed = await deps.recovery.store.advanceScheduledFreeze(pending.id, ["scheduled", "warned"], null);
  if (!removed) {
    throw new ClawopsError(
      "not_frozen",
      `The maintenance freeze of \`${target}\` started meanwhile; unfreeze it again to lift it.`,
      {
        status: 409,
      },
    );
  }
  await noteFreeze(
    deps,
    target,
    actor.user,
    `cancelled the maintenance freeze of ${freezeTarget(target)} scheduled ${iso(removed.startsAt)}`,
  );
  return {
    ack: renderNotice(
      `✖️ Cancelled the maintenance freeze of ${label(target)} scheduled ${iso(removed.startsAt)} to ${iso(removed.endsAt)}; nothing was frozen. The cancellation is announced where it was.`,
    ),
    later: async () => {
      await announceScheduled(deps, removed, "cancelled", actor.user);
    },
  };
}

export async function announceScheduled(
  deps: CoreDeps,
  s: ScheduledFreeze,
  moment: ScheduledMoment | "start",
  by?: string,
): Promise<NoticeRef[]> {
  // The channel it was set in, and every announcement channel.
  const places = withAnnounceChannels([{ channel: s.channel, threadTs: null }], deps.recovery.announceChannels);
  return postNotice(deps, places, renderScheduledFreeze(s, moment, deps.clock.now(), by));
}

/** The next moment a scheduled freeze needs the sweep (null: none pending). */
export function nextScheduledMoment(list: readonly ScheduledFreeze[], warnMs: number): number | null {
  let next: number | null = null;
  for (const s of list) {
    const at = s.stage === "scheduled" ? s.startsAt - warnMs : s.stage === "warned" ? s.startsAt : s.endsAt;
    next = next === null ? at : Math.min(next, at);
  }
  return next;
}

/**
 * Announces every scheduled-freeze moment that is due: the warning, the start (the freeze is
 * placed and announced) and the end (the freeze leaves with its notice). A moment the control
 * plane slept through is not announced late where it would be false: a warning after the start
 * is skipped, and a window that ended while nothing ran is dropped (logged and audited).
 * Run it before `expireFreezes` in the same sweep, so a maintenance freeze ends with its own notice.
 */
export async function sweepScheduledFreezes(
  deps: CoreDeps,
  now: number,
): Promise<{ announced: { id: string; moment: string }[]; nextAt: number | null }> {
  const announced: { id: string; moment: string }[] = [];
  const warnMs = warnLead(deps);
  const store = deps.recovery.store;
  for (const s of await store.listScheduledFreezes()) {
    if (s.stage !== "started" && now >= s.endsAt) {
      const dropped = await store.advanceScheduledFreeze(s.id, ["scheduled", "warned"], null);
      if (dropped) {
        deps.logger.warn("scheduled freeze window passed while the control plane was not running", { id: s.id });
        await audit(deps, {
          at: now,
          actor: "system",
          source: "system",
          action: "freeze.scheduled.missed",
          host: s.target,
          outcome: "error",
          detail: `maintenance freeze ${iso(s.startsAt)} to ${iso(s.endsAt)} by ${s.owner} was not placed: the control plane was not running (${s.reason})`,
          ref: s.id,
        });
      }
      continue;
    }
    if (s.stage === "scheduled" && now >= s.startsAt - warnMs && now < s.startsAt) {
      const claimed = await store.advanceScheduledFreeze(s.id, ["scheduled"], "warned");
      if (claimed) {
        await announceScheduled(deps, claimed, "soon");
        announced.push({ id: s.id, moment: "soon" });
      }
      continue;
    }
    if (s.stage !== "started" && now >= s.startsAt) {
      const claimed = await store.advanceScheduledFreeze(s.id, ["scheduled", "warned"], "started");
      if (claimed) {
        await startScheduled(deps, claimed, now);
        announced.push({ id: s.id, moment: "start" });
      }
      continue;
    }
    if (s.stage === "started" && now >= s.endsAt) {
      const claimed = await store.advanceScheduledFreeze(s.id, ["started"], null);
      if (claimed && (await endScheduled(deps, claimed, now))) announced.push({ id: s.id, moment: "end" });
    }
  }
  return { announced, nextAt: nextScheduledMoment(await store.listScheduledFreezes(), warnMs) };
}

async function startScheduled(deps: CoreDeps, s: ScheduledFreeze, now: number): Promise<void> {
  const store = deps.recovery.store;
  const existing = await store.getFreeze(s.target);
  if (existing && existing.expiresAt > now && existing.expiresAt >= s.endsAt) {
    // A freeze that already outlasts the window stays; the window is announced, nothing replaced.
    deps.logger.info("scheduled freeze start: a longer freeze already holds the target", { target: s.target });
  } else {
    const record: FreezeRecord = {
      target: s.target,
      owner: s.owner,
      reason: s.reason,
      source: s.source,
      // The start, not the sweep's moment: the end finds this very freeze by it.
      createdAt: s.startsAt,
      expiresAt: s.endsAt,
      channel: s.channel,
      notices: [],
      // Every scheduled freeze is maintenance: it mutes the watch's and alerts' incidents.
      maintenance: true,
      muted: { alerts: 0, watch: 0, silences: 0 },
    };
    await store.putFreeze(record);
  }
  await audit(deps, {
    at: now,
    actor: s.owner,
    source: s.source,
    action: "freeze.scheduled.start",
    host: s.target,
    outcome: "ok",
    detail: `maintenance freeze ${iso(s.startsAt)} to ${iso(s.endsAt)} started (${s.reason})`,
    ref: s.id,
  });
  await noteFreeze(
    deps,
    s.target,
    s.owner,
    `maintenance freeze of ${freezeTarget(s.target)} started, until ${iso(s.endsAt)}: ${s.reason}`,
  );
  const posted = await announceScheduled(deps, s, "start");
  await store.setFreezeNotices(s.target, s.startsAt, posted);
}

/** True when the end was announced: not when the freeze was lifted, replaced or extended meanwhile. */
async function endScheduled(deps: CoreDeps, s: ScheduledFreeze, now: number): Promise<boolean> {
  const store = deps.recovery.store;
  const f = await store.getFreeze(s.target);
  const ours = f && f.createdAt === s.startsAt && f.owner === s.owner;
  if (ours && f.expiresAt > s.endsAt) {
    deps.logger.info("scheduled freeze extended past its window; it expires on its own", { target: s.target });
    return false;
  }
  const removed = ours ? await store.removeFreeze(s.target, s.startsAt) : null;
  await audit(deps, {
    at: now,
    actor: "system",
    source: "system",
    action: "freeze.scheduled.end",
    host: s.target,
    outcome: "info",
    detail: `maintenance freeze ${iso(s.startsAt)} to ${iso(s.endsAt)} by ${s.owner} ended${removed ? "" : " (it had been lifted or replaced already)"}`,
    ref: s.id,
  });
  if (!removed) return false;
  await noteFreeze(deps, s.target, "clawops", `maintenance freeze of ${freezeTarget(s.target)} by ${s.owner} ended`);
  await postToNotices(deps, removed, renderScheduledFreeze(s, "end", now));
  await endMaintenance(deps, removed);
  return true;
}

/** `at`'s moment: `14:00` is the next 14:00 UTC strictly after `now`. */
export function resolveStart(at: StartSpec, now: number): number {
  if (at.kind === "instant") return at.ms;
  const d = new Date(now);
  const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), at.hour, at.minute);
  return today > now ? today : today + 24 * 3_600_000;
}
