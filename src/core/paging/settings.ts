import { errorMessage } from "../../contract/errors.ts";
import type { PagerTarget, PagingServices } from "../ports/paging.ts";
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
  try {
    policy = parsePagingPolicy(env.CLAWOPS_PAGING_POLICY);
  } catch (err) {
    problems.push(errorMessage(err));
    return { problems };
  }
  if (problems.length > 0 || targets.length === 0) return { problems };
  return { services: { targets, policy }, problems };
}
