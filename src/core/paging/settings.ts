import { errorMessage } from "../../contract/errors.ts";
import type { EscalationPolicy, PagerTarget, PagingServices } from "../ports/paging.ts";
import { parsePagingPolicy } from "./policy.ts";

/** PagerDuty's Events API v2 endpoint. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
/** Opsgenie's API (US instance; EU accounts set OPSGENIE_API_URL to the EU one). */
export const OPSGENIE_API_URL = "https://api.opsgenie.com";

/**
 * The paging variables (Node environment, Worker secrets and vars) as the paging services: each
 * pager on when its key is set; the policy from CLAWOPS_PAGING_POLICY. A malformed value is a
 * problem the start lists (the variable named, never its value).
 */
export function pagingFromEnv(env: Readonly<Record<string, string | undefined>>): {
  services?: PagingServices;
  problems: string[];
} {
  const problems: string[] = [];
  const targets: PagerTarget[] = [];
  const url = (name: string, fallback: string): string | null => {
    const raw = env[name]?.trim() || fallback;
    try {
      const u = new URL(raw);
      if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error("not http(s)");
      return raw;
    } catch {
      problems.push(`${name} is not an http(s) URL.`);
      return null;
    }
  };
  const routingKey = env.CLAWOPS_PAGERDUTY_ROUTING_KEY?.trim();
  if (!routingKey && env.PAGERDUTY_EVENTS_URL?.trim()) {
    problems.push("PAGERDUTY_EVENTS_URL is set without CLAWOPS_PAGERDUTY_ROUTING_KEY: nobody would be paged.");
  }
  if (!env.CLAWOPS_OPSGENIE_API_KEY?.trim() && env.OPSGENIE_API_URL?.trim()) {
    problems.push("OPSGENIE_API_URL is set without CLAWOPS_OPSGENIE_API_KEY: nobody would be paged.");
  }
  if (routingKey) {
    const eventsUrl = url("PAGERDUTY_EVENTS_URL", PAGERDUTY_EVENTS_URL);
    if (eventsUrl) targets.push({ kind: "pagerduty", routingKey, eventsUrl });
  }
  const apiKey = env.CLAWOPS_OPSGENIE_API_KEY?.trim();
  if (apiKey) {
    const apiUrl = url("OPSGENIE_API_URL", OPSGENIE_API_URL);
    if (apiUrl) targets.push({ kind: "opsgenie", apiKey, apiUrl });
  }
  const hook = env.CLAWOPS_PAGE_WEBHOOK_URL?.trim();
  const secret = env.CLAWOPS_PAGE_WEBHOOK_SECRET?.trim();
  if (hook && !secret)
    problems.push("CLAWOPS_PAGE_WEBHOOK_URL needs CLAWOPS_PAGE_WEBHOOK_SECRET (the pages are signed).");
  else if (secret && !hook) problems.push("CLAWOPS_PAGE_WEBHOOK_SECRET is set without CLAWOPS_PAGE_WEBHOOK_URL.");
  else if (hook && secret) {
    if (secret.length < 16) problems.push("CLAWOPS_PAGE_WEBHOOK_SECRET is shorter than 16 characters.");
    const u = url("CLAWOPS_PAGE_WEBHOOK_URL", hook);
    if (u && secret.length >= 16) targets.push({ kind: "webhook", url: u, secret });
  }
  let policy: PagingServices["policy"];
  let escalation: EscalationPolicy | undefined;
  try {
    policy = parsePagingPolicy(env.CLAWOPS_PAGING_POLICY);
    escalation = parseEscalation(env);
  } catch (err) {
    problems.push(errorMessage(err));
    return { problems };
  }
  if (problems.length > 0 || (targets.length === 0 && !escalation)) return { problems };
  return { services: { targets, policy, ...(escalation ? { escalation } : {}) }, problems };
}

/**
 * CLAWOPS_ESCALATION_LEVELS (`S0PRIMARY;U0ALICE,U0BOB`: levels split by `;`, each a comma list of
 * Slack user and user-group ids), CLAWOPS_ESCALATION_AFTER_MIN (default 15) and
 * CLAWOPS_ESCALATION_REPEAT (announcements per level, default 2). Unset levels: no escalation.
 */
export function parseEscalation(env: Readonly<Record<string, string | undefined>>): EscalationPolicy | undefined {
  const raw = env.CLAWOPS_ESCALATION_LEVELS?.trim();
  if (!raw) return undefined;
  const levels = raw.split(";").map((level) =>
    level
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean),
  );
  for (const [i, level] of levels.entries()) {
    if (level.length === 0) throw new Error(`CLAWOPS_ESCALATION_LEVELS: level ${i + 1} names nobody.`);
    const bad = level.find((id) => !/^[UWS][A-Z0-9]{2,}$/.test(id));
    if (bad) {
      throw new Error(
        `CLAWOPS_ESCALATION_LEVELS: "${bad.slice(0, 30)}" is not a Slack user id (U…, W…) or user-group id (S…).`,
      );
    }
  }
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const text = env[name]?.trim();
    if (!text) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`${name}: "${text.slice(0, 20)}" is not a number from ${min} to ${max}.`);
    return n;
  };
  return {
    levels,
    afterMs: Math.round(number("CLAWOPS_ESCALATION_AFTER_MIN", 15, 0.1, 1_440) * 60_000),
    repeat: Math.round(number("CLAWOPS_ESCALATION_REPEAT", 2, 1, 10)),
  };
}
