import type { StepRequest } from "../../contract/catalog.ts";
import { askHosts } from "../jobs/ask-hosts.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { buildCalendar, type ExpiryCalendar } from "./calendar.ts";

/**
 * One job to every enrolled host at once, under one deadline: the gateway's TLS certificate
 * (`gateway.tls`) and its model credentials' expiry (`gateway.ws`'s `models.authStatus`). A host
 * that does not answer by then is listed as such; its enrollment age is still known here. Also
 * `gateway.vitals` (its chat credentials, by fingerprint) and `logs.signatures` (a watcher's
 * `invalid_grant`): read-only steps every agent has.
 */
export const EXPIRIES_DEADLINE_MS = 6_000;

export function expirySteps(deadlineMs: number): StepRequest[] {
  const probeMs = Math.max(500, Math.min(3_000, deadlineMs - 1_500));
  return [
    { step: "gateway.tls", args: { timeoutMs: Math.min(2_000, probeMs) } },
    { step: "gateway.ws", args: { timeoutMs: probeMs } },
    // The channel credentials' fingerprints (shared bot tokens) and the log's watcher grants.
    { step: "gateway.vitals", args: {} },
    { step: "logs.signatures", args: {} },
  ];
}

export async function collectExpiries(
  deps: Pick<CoreDeps, "store" | "transport" | "clock" | "ids" | "logger">,
  opts: { deadlineMs?: number } = {},
): Promise<ExpiryCalendar> {
  const deadlineMs = opts.deadlineMs ?? EXPIRIES_DEADLINE_MS;
  const hosts = (await deps.store.listHosts()).filter((h) => h.revokedAt === null);
  const steps = expirySteps(deadlineMs);
  const answers = await askHosts(deps, hosts, { jobPrefix: "expiries", steps, deadlineMs });
  const calendar = buildCalendar(hosts, answers, deps.clock.now());
  deps.logger.info("expiry calendar", {
    hosts: hosts.length,
    entries: calendar.entries.length,
    soon: calendar.entries.filter((e) => e.soon).length,
    unanswered: calendar.unanswered.length,
    sharedTokens: calendar.sharedTokens.length,
    failingGrants: calendar.failingGrants.length,
  });
  return calendar;
}
