import { z } from "zod";
import { audit } from "../audit/audit.ts";
import { postNotice, withAnnounceChannels } from "../chat/notices.ts";
import { RULES } from "../classify/rules.ts";
import { ClawopsError } from "../errors.ts";
import type { WatchTransition } from "../hosts/watch-state.ts";
import { raiseIncident } from "../incidents/pipeline.ts";
import { incidentChannelFor } from "../incidents/routing.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { AutoFreeze, FreezeRecord, NoticeRef } from "../ports/recovery.ts";
import type { HostRecord } from "../ports/store.ts";
import { globMatches } from "../vocabulary/hosts.ts";
import { AUTO_FREEZE_OWNER, autoFreezeEnd, isAutoFreeze } from "./auto-freeze.ts";
import { renderAutoFreezeNotice } from "./render-policy.ts";
import { noteFreeze } from "./timeline.ts";

/**
 * The freeze policy (CLAWOPS_FREEZE_POLICY): which held watch transitions freeze a host
 * automatically, and what lifts that freeze. Read and checked at start, like the authorization
 * file: a wrong field stops the start with its path named.
 */

const KNOWN_FINDINGS = new Set(RULES.map((r) => r.id));

const FindingId = z.string().refine((id) => id === "*" || KNOWN_FINDINGS.has(id), {
  message: "not a finding rule id (see docs/findings.md), or * for any failing state",
});

const PolicyRule = z
  .object({
    /** Shown in the notice ("by the freeze policy's rule …") and the audit log. */
    name: z.string().min(1).max(80),
    /** Finding rule ids; the transition's findings must include one of them (`*`: any failing state). */
    findings: z.array(FindingId).min(1),
    /** Host globs (`node-*`); with `tags`, a host matching either is covered. Neither: every host. */
    hosts: z.array(z.string().regex(/^[A-Za-z0-9.*?_-]+$/, "a host glob like node-*")).optional(),
    tags: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/, "a tag like edge")).optional(),
    /** Lifted after the host has been healthy this many minutes. */
    liftAfterHealthyMin: z
      .number()
      .positive()
      .max(24 * 60)
      .default(5),
    /** It ends at the latest this many minutes after it was placed (the duration cap). */
    maxFreezeMin: z
      .number()
      .positive()
      .max(24 * 60)
      .default(4 * 60),
  })
  .strict();
export type FreezePolicyRule = z.infer<typeof PolicyRule>;

export const FreezePolicySchema = z.object({ rules: z.array(PolicyRule).default([]) }).strict();
export type FreezePolicy = z.infer<typeof FreezePolicySchema>;

export const EMPTY_FREEZE_POLICY: FreezePolicy = { rules: [] };

/** Parses the policy's JSON (already read) or throws naming the bad field. */
export function parseFreezePolicy(json: unknown, where: string): FreezePolicy {
  const parsed = FreezePolicySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClawopsError(
      "bad_request",
      `${where}: ${issue ? `${issue.path.join(".") || "(top level)"}: ${issue.message}` : "invalid"}. See docs/freezes.md.`,
    );
  }
  return parsed.data;
}

/** The first rule that covers this failing transition on this host, or null. */
export function matchFreezeRule(
  policy: FreezePolicy,
  host: Pick<HostRecord, "name" | "tags">,
  findingIds: readonly string[],
): FreezePolicyRule | null {
  for (const rule of policy.rules) {
    const finding = rule.findings.includes("*")
      ? findingIds.length > 0
      : rule.findings.some((id) => findingIds.includes(id));
    if (!finding) continue;
    const scoped = rule.hosts !== undefined || rule.tags !== undefined;
    const inScope =
      !scoped ||
      (rule.hosts ?? []).some((g) => globMatches(g, host.name)) ||
      (rule.tags ?? []).some((t) => (host.tags ?? []).includes(t));
    if (inScope) return rule;
  }
  return null;
}

/** What the freeze policy reads of a held watch transition. */
export type FreezeTransition = Pick<WatchTransition, "host" | "at" | "since" | "healthy" | "findingIds">;

/** The host's incident thread, where the watch has one open. */
export type IncidentThreadRef = { channel: string; threadTs: string };

/**
 * Acts on a held watch transition (composed by the watch: watch/service.ts): a failing one that a policy rule
 * covers freezes the host as AUTO_FREEZE_OWNER and announces it in the host's incident thread and
 * the announcement channels; a healthy one starts the lift clock of its automatic freeze, which
 * the freeze sweep (Node timer, Durable Object alarm) lifts with an all-clear once it holds.
 * A person's freeze of the host is left as it is.
 */
export async function applyFreezePolicy(
  deps: CoreDeps,
  policy: FreezePolicy,
  t: FreezeTransition,
  thread: IncidentThreadRef | null = null,
): Promise<"frozen" | "refrozen" | "lift-scheduled" | "none"> {
  const { recovery } = deps;
  if (!recovery) return "none";
  const rdeps: CoreDeps = { ...deps, recovery };
  const existing = await recovery.store.getFreeze(t.host);
  const now = deps.clock.now();
  const active = existing && existing.expiresAt > now ? existing : null;
  if (t.healthy) {
    if (!active || !isAutoFreeze(active)) return "none";
    const auto: AutoFreeze = { ...active.auto, healthySince: t.since };
    if (!(await recovery.store.putAutoFreeze({ ...active, auto, expiresAt: autoFreezeEnd(auto) }, now))) {
      return skipped(deps, t.host);
    }
    deps.logger.info("automatic freeze lift scheduled", { host: t.host, liftAt: autoFreezeEnd(auto) });
    return "lift-scheduled";
  }
  if (active) {
    if (!isAutoFreeze(active)) return skipped(deps, t.host);
    // Failing again before the lift: the healthy clock starts over on the next recovery.
    if (active.auto.healthySince === null) return "none";
    const auto: AutoFreeze = { ...active.auto, healthySince: null };
    if (!(await recovery.store.putAutoFreeze({ ...active, auto, expiresAt: autoFreezeEnd(auto) }, now))) {
      return skipped(deps, t.host);
    }
    return "refrozen";
  }
  const host = await deps.store.getHost(t.host);
  if (!host || host.revokedAt !== null) return "none";
  const rule = matchFreezeRule(policy, host, t.findingIds);
  if (!rule) return "none";
  const findings = rule.findings.includes("*")
    ? [...t.findingIds]
    : t.findingIds.filter((id) => rule.findings.includes(id));
  const auto: AutoFreeze = {
    rule: rule.name,
    findings,
    liftAfterMs: Math.round(rule.liftAfterHealthyMin * 60_000),
    capAt: now + Math.round(rule.maxFreezeMin * 60_000),
    healthySince: null,
    holdUntil: null,
  };
  const channel = thread?.channel ?? incidentChannelFor(deps.incidents, host);
  const record: FreezeRecord & { auto: AutoFreeze } = {
    target: t.host,
    owner: AUTO_FREEZE_OWNER,
    reason: `${rule.name}: ${findings.join(", ")}`,
    source: "system",
    createdAt: now,
    expiresAt: auto.capAt,
    channel: channel ?? recovery.announceChannels[0] ?? "",
    notices: [],
    auto,
  };
  // Conditional in the store: a person who froze the host since the read above keeps the freeze.
  if (!(await recovery.store.putAutoFreeze(record, now))) return skipped(deps, t.host);
  await audit(deps, {
    at: now,
    actor: "system",
    source: "system",
    action: "freeze.auto",
    host: t.host,
    outcome: "ok",
    detail: `frozen by the freeze policy's rule "${rule.name}" (${findings.join(", ")}); lifts after ${rule.liftAfterHealthyMin} min healthy, at the latest in ${rule.maxFreezeMin} min`,
    ref: null,
  });
  deps.logger.info("automatic freeze placed", { host: t.host, rule: rule.name, findings: findings.join(",") });
  await announceAutoFreeze(rdeps, record, channel, thread);
  // After the announcement: with no thread yet, it raised the incident this goes on.
  await noteFreeze(
    deps,
    t.host,
    AUTO_FREEZE_OWNER,
    `automatic freeze by the policy's rule "${rule.name}" (${findings.join(", ")})`,
  );
  return "frozen";
}

/** A person's freeze holds the host (read before, or placed since the read): it stays as it is. */
async function skipped(deps: CoreDeps, host: string): Promise<"none"> {
  const held = await deps.recovery.store.getFreeze(host);
  deps.logger.info("automatic freeze skipped: a person's freeze holds the host", { host, owner: held?.owner });
  return "none";
}

/**
 * The automatic freeze's notice: in the host's incident thread (the watch's, else the incident
 * is raised for it) and every announcement channel; where it went is recorded for the all-clear.
 */
async function announceAutoFreeze(
  deps: CoreDeps,
  f: FreezeRecord & { auto: AutoFreeze },
  channel: string | undefined,
  thread: IncidentThreadRef | null,
): Promise<void> {
  const notice = renderAutoFreezeNotice(f);
  const posted: NoticeRef[] = [];
  if (thread) {
    posted.push(...(await postNotice(deps, [{ channel: thread.channel, threadTs: thread.threadTs }], notice)));
  } else if (channel) {
    try {
      const raised = await raiseIncident(deps, {
        source: "watch",
        host: f.target,
        actor: AUTO_FREEZE_OWNER,
        channel,
        announce: () => notice,
      });
      if (raised.status === "raised" && raised.thread) posted.push({ channel, threadTs: raised.thread.threadTs });
    } catch (err) {
      deps.logger.warn("incident thread not opened for the automatic freeze", { channel, err: String(err) });
    }
  } else {
    deps.logger.warn("automatic freeze has no incident channel (CLAWOPS_INCIDENT_CHANNEL)", { host: f.target });
  }
  posted.push(...(await postNotice(deps, withAnnounceChannels([], deps.recovery.announceChannels), notice)));
  await deps.recovery.store.setFreezeNotices(f.target, f.createdAt, posted);
}
