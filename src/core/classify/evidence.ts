import type { StepName, StepResult, StepResultOf } from "../../contract/catalog.ts";

/** Step data by name, for the steps that ran to completion (`status: ok`). */
export type Evidence = {
  [K in StepName]?: NonNullable<StepResultOf<K>["data"]>;
} & {
  /** Steps that did not produce data, with the reason (error/timeout/missing). */
  missing: Partial<Record<StepName, string>>;
  /** What other enrolled hosts' watch states share with this one (issue 30), when the caller knows. */
  fleet?: FleetEvidence;
};

/** This host's attributes that other hosts of the fleet also carry, by fingerprint only. */
export interface FleetEvidence {
  /** A chat credential this host's config names that other hosts' configs name too. */
  sharedCredentials: { channel: string; accountId: string; fingerprint: string; hosts: string[] }[];
}

/** Why an expected step has no result: it never reported (still running, or the job ended). */
export const NO_RESULT = "no result (job ended early)";

/**
 * The agent sees no OpenClaw at all: no `openclaw` CLI and no config. Then it is either not
 * installed or the agent runs with another user/HOME/PATH than the gateway.
 */
export function openclawInvisible(e: Evidence): boolean {
  return !!e.versions && e.versions.openclaw === null && !!e.config && !e.config.exists;
}

export function collectEvidence(results: readonly StepResult[], expected: readonly StepName[]): Evidence {
  const evidence: Evidence = { missing: {} };
  const ev = evidence as Record<string, unknown>;
  for (const r of results) {
    if (r.status === "ok" && r.data !== undefined) {
      ev[r.step] = r.data;
    } else if (r.error?.code?.endsWith("_pending")) {
      // A reading the agent is still taking (doctor_pending): as a step still running, not a
      // failure; the answer's footer says so (render/messages.ts).
    } else {
      evidence.missing[r.step] =
        r.status === "timeout"
          ? `probe timed out after ${Math.round(r.durationMs)} ms`
          : `probe failed: ${r.error?.message ?? "no data"}`;
    }
  }
  for (const step of expected) {
    if (!(step in ev) && !(step in evidence.missing)) evidence.missing[step] = NO_RESULT;
  }
  return evidence;
}
