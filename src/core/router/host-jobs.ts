import { bundleJob } from "../bundles/bundle.ts";
import type { HostJobKinds } from "../jobs/kinds.ts";
import { triageJob } from "../triage/triage.ts";

/**
 * The control plane's host job kinds and the workflow that runs each: what a runtime's job
 * scheduler (jobs/in-process.ts, a Worker's host object) is built with.
 */
export const HOST_JOB_KINDS: HostJobKinds = { triage: triageJob, bundle: bundleJob };
