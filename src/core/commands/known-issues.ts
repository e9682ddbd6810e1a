import { TRIAGE_STEP_NAMES } from "../../contract/catalog.ts";
import { classifyResults } from "../classify/classify.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost } from "../hosts/lookup.ts";
import { builtinKnownIssues } from "../known-issues/builtin.ts";
import type { HostFacts } from "../known-issues/fleet.ts";
import { tallyKnownIssues } from "../known-issues/fleet.ts";
import { renderFleetKnownIssues, renderHostKnownIssues } from "../known-issues/render.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { HostRecord } from "../ports/store.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply } from "../requests/types.ts";
import { normalizeHostName } from "../vocabulary/hosts.ts";
import { defineCommand } from "./entry.ts";

/** `/openclaw known-issues [host|all]`: the known upstream issues the fleet's findings match. */
export const knownIssues = defineCommand({
  words: ["known-issues"],
  parse: (rest): Extract<Command, { kind: "known-issues" }> => {
    const [target] = rest;
    if (rest.length > 1)
      throw new ClawopsError(
        "bad_request",
        "Usage: `/openclaw known-issues [<host>|all]`, e.g. `/openclaw known-issues node-3` (default: all).",
      );
    return {
      kind: "known-issues",
      host: target === undefined || target.toLowerCase() === "all" ? null : normalizeHostName(target),
    };
  },
  help: [
    {
      usage: "/openclaw known-issues [<host>|all]",
      summary:
        "Which known upstream OpenClaw issues the fleet's findings match (each host's last triage and watch, its gateway version): per issue the hosts it affects, whether a release fixes it, and for one host the workarounds.",
    },
  ],
  authorize: "open",
  handle: (deps, _req, command) => knownIssuesCommand(deps, command),
});

/**
 * `known-issues [host|all]`: read-only, answered at once from what the control plane keeps (each
 * host's last finished triage, its watch state, its gateway version); nothing is probed.
 */
async function knownIssuesCommand(
  deps: CoreDeps,
  command: Extract<Command, { kind: "known-issues" }>,
): Promise<CommandReply> {
  const catalog = deps.knownIssues ?? builtinKnownIssues();
  if (command.host !== null) {
    const host = await requireHost(deps, command.host);
    return { ack: renderHostKnownIssues(catalog, await hostFacts(deps, host), deps.clock.now()) };
  }
  const hosts = (await deps.store.listHosts()).filter((h) => !h.revokedAt);
  const facts = await Promise.all(hosts.map((h) => hostFacts(deps, h)));
  return { ack: renderFleetKnownIssues(catalog, tallyKnownIssues(catalog, facts), hosts.length) };
}

/** How many finished jobs of a host are looked through for its last triage (bundles are jobs too). */
const JOBS_LOOKED_AT = 20;

/** What the control plane keeps of a host for the catalog: its last triage's findings, its watch's, its version. */
export async function hostFacts(deps: CoreDeps, host: HostRecord): Promise<HostFacts> {
  const jobs = await deps.store.listJobs({ host: host.name, status: "done", limit: JOBS_LOOKED_AT });
  const last = jobs.find((j) => j.kind === "triage");
  // listJobs may leave results out: the job itself has them.
  const job = last ? ((last.results.length > 0 ? last : await deps.store.getJob(last.id)) ?? null) : null;
  const findings = job ? classifyResults(job.results, TRIAGE_STEP_NAMES).findings : null;
  const versions = job?.results.find((r) => r.step === "versions");
  const fromTriage = versions?.step === "versions" ? versions.data?.openclaw : null;
  const watch = (await deps.store.getWatch?.(host.name)) ?? null;
  return {
    name: host.name,
    gatewayVersion: host.gatewayVersion ?? fromTriage ?? null,
    triage: job && findings ? { at: job.finishedAt ?? job.createdAt, findings } : null,
    watch: watch ? { at: watch.last.at, findingIds: watch.last.findingIds } : null,
  };
}
