import { bundleJob } from "../bundles/bundle.ts";
import type { HostJobKinds } from "../jobs/kinds.ts";
import { notePagerDutyTriage } from "../tickets/pagerduty.ts";
import { triageJob } from "../triage/triage.ts";

/**
 * The control plane's host job kinds and the workflow that runs each: what a runtime's job
 * scheduler (jobs/in-process.ts, a Worker's host object) is built with. A triage of an incident
 * a PagerDuty alert raised leaves its summary on the PagerDuty incident once it is done
 * (tickets/pagerduty.ts; nothing when PagerDuty is not configured).
 */
export const HOST_JOB_KINDS: HostJobKinds = {
  triage: async (deps, j) => {
    await triageJob(deps, j);
    if (deps.pagerduty) await notePagerDutyTriage(deps, j.job.id, j.job.host);
  },
  bundle: bundleJob,
};
