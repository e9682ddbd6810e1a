import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { authorize } from "../authz/authz.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { ClawopsError, isClawopsError } from "../errors.ts";
import { describeSelector, type FleetReport, probeFleet, selectHosts } from "../fleet/fleet.ts";
import { answersFromWatch, fleetReportFor } from "../fleet/from-watch.ts";
import { renderFleetStatus } from "../fleet/render.ts";
import { upgradeAgentCommand } from "../fleet/upgrade.ts";
import { pageHosts } from "../hosts/list.ts";
import { requireHost, requireOnline } from "../hosts/lookup.ts";
import { renderHosts } from "../hosts/render.ts";
import { raiseIncident } from "../incidents/pipeline.ts";
import { incidentReport, renderIncidentReport } from "../incidents/report.ts";
import { DEFAULT_COMMAND, renameCommand } from "../messages/command-name.ts";
import { renderError, renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { metricsOf } from "../ports/metrics.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { bundleCommand } from "./bundle.ts";
import { enrollCommand } from "./enroll.ts";
import { expiriesCommand } from "./expiries.ts";
import { renderHelp } from "./help.ts";
import { handleHostLifecycle } from "./host-lifecycle.ts";
import { incidentCommand, incidentsCommand, snoozeCommand, snoozesCommand } from "./incidents.ts";
import { knownIssuesCommand } from "./known-issues.ts";
import { parseCommand } from "./parse.ts";
import { handleRecoveryCommand } from "./recovery.ts";
import { ticketCommand } from "./tickets.ts";
import { upgradeCommand } from "./upgrade.ts";

/** How long a request identity is remembered: twice Slack's five-minute signature window. */
const REQUEST_MEMORY_MS = 10 * 60_000;

/**
 * Handles one `/openclaw …` invocation. Fast by construction: validation and one store
 * write, everything else in `later`. Never throws: errors become a clear ephemeral
 * reply, and no job is created.
 */
export async function handleCommand(deps: CoreDeps, req: CommandRequest): Promise<CommandReply> {
  // The claim, the job and the audit row join the commands answered in the same turn in one
  // commit (where the store batches writes), and the ack waits for that commit.
  deps.store.beginBatch?.();
  const reply = await handleCommandOnce(deps, req);
  try {
    await deps.store.flushed?.();
  } catch (err) {
    // Rolled back: nothing of this request was kept, so sending it again will work.
    deps.logger.error("command not stored", { request: req.requestKey, err: errorMessage(err) });
    // Why, when the store said (a full data disk, a busy database: its words say what to do).
    if (isClawopsError(err))
      return { ack: renderError(err.message, err.code), error: { code: err.code, message: err.message } };
    const message = "clawops could not store this command, so it did nothing; the error was logged. Try again.";
    return { ack: renderError(message, "internal"), error: { code: "internal", message } };
  }
  return reply;
}

async function handleCommandOnce(deps: CoreDeps, req: CommandRequest): Promise<CommandReply> {
  // Parsed once: the reply, the metrics label and the audit row's host all come from it.
  const parsed = parseOutcome(req.text);
  const kind = "command" in parsed ? parsed.command.kind : "invalid";
  // A signed request can be replayed within Slack's five minutes, and Slack itself retries a
  // slow one: the same identity does its work (and writes its audit row) once.
  const now = deps.clock.now();
  if (!(await deps.store.claimRequest(req.requestKey, now, now - REQUEST_MEMORY_MS))) {
    deps.logger.info("request already handled", { request: req.requestKey, user: req.user });
    metricsOf(deps).count("commands_total", { command: kind, outcome: "duplicate" });
    return {
      ack: renderNotice("This request was received already (a retry or a replay of it); nothing was done again."),
    };
  }
  const reply = await handleParsed(deps, req, parsed);
  reply.ack = renameCommand(reply.ack, deps.commandName);
  const outcome = reply.error ? (reply.error.code === "internal" ? "error" : "refused") : "ok";
  metricsOf(deps).count("commands_total", { command: kind, outcome });
  deps.logger.debug?.("command handled", { command: kind, outcome, source: req.source, user: req.user });
  // Every command, refused or not, goes to the append-only audit log.
  await audit(deps, {
    at: deps.clock.now(),
    actor: req.user,
    source: req.source,
    action: "command",
    host: "command" in parsed ? commandHost(parsed.command) : null,
    outcome,
    detail: `${req.via === "button" ? "button: " : ""}${deps.commandName ?? DEFAULT_COMMAND} ${req.text.trim().slice(0, 300)}${reply.error ? ` → ${reply.error.code}: ${reply.error.message.slice(0, 300)}` : ""}`,
    ref: reply.jobId ?? null,
  });
  return reply;
}

/** The command, or why it does not parse (a ClawopsError with its message for the reply). */
function parseOutcome(text: string): { command: Command } | { error: unknown } {
  try {
    return { command: parseCommand(text) };
  } catch (error) {
    return { error };
  }
}

/** The host a command names, for the audit log's host column (null for fleet-wide ones). */
function commandHost(c: Command): string | null {
  if ("host" in c) return c.host;
  if ("target" in c) return c.target;
  return null;
}

async function handleParsed(
  deps: CoreDeps,
  req: CommandRequest,
  parsed: { command: Command } | { error: unknown },
): Promise<CommandReply> {
  try {
    if ("error" in parsed) throw parsed.error;
    return await dispatch(deps, req, parsed.command);
  } catch (err) {
    if (isClawopsError(err))
      return { ack: renderError(err.message, err.code), error: { code: err.code, message: err.message } };
    deps.logger.error("command failed", { text: req.text, err: errorMessage(err) });
    const message = "Something went wrong inside clawops; the error was logged. Try again.";
    return { ack: renderError(message, "internal"), error: { code: "internal", message } };
  }
}

async function dispatch(deps: CoreDeps, req: CommandRequest, command: Command): Promise<CommandReply> {
  switch (command.kind) {
    case "help":
      return { ack: renderHelp() };
    case "freeze":
    case "schedule":
    case "extend":
    case "unfreeze":
    case "status":
    case "audit":
    case "recover":
      return handleRecoveryCommand(deps, req, command);
    case "hosts":
      return listHostsCommand(deps, command);
    case "revoke":
    case "remove":
      return handleHostLifecycle(deps, req, command);
    case "fleet-status":
      return fleetStatusCommand(deps, req, command);
    case "tag":
      return tagCommand(deps, req, command);
    case "upgrade-agent":
      return upgradeAgentCommand(deps, req, command);
    case "enroll":
      return enrollCommand(deps, req, command);
    case "triage":
      return triageCommand(deps, req, command);
    case "bundle":
      return bundleCommand(deps, req, command);
    case "incidents":
      return incidentsCommand(deps, command);
    case "incident":
      return incidentCommand(deps, req, command);
    case "report":
      return { ack: renderIncidentReport(await incidentReport(deps, command.windowMs)) };
    case "snooze":
      return snoozeCommand(deps, req, command);
    case "snoozes":
      return snoozesCommand(deps);
    case "ticket":
    case "postmortem":
      return ticketCommand(deps, req, command);
    case "known-issues":
      return knownIssuesCommand(deps, command);
    case "expiries":
      return expiriesCommand(deps, req);
    case "upgrade":
      return upgradeCommand(deps, req, command);
  }
}

/** `hosts`: the enrolled hosts, a page at a time, with who is online. */
async function listHostsCommand(deps: CoreDeps, command: Extract<Command, { kind: "hosts" }>): Promise<CommandReply> {
  const hosts = await deps.store.listHosts();
  const online = new Set<string>();
  await Promise.all(hosts.map(async (h) => (await deps.transport.isOnline(h.name)) && online.add(h.name)));
  const { hosts: shown, ...paging } = pageHosts(hosts, online, command);
  return { ack: renderHosts(shown, online, deps.clock.now(), paging) };
}

/** `status <selector>`: acknowledges at once; the fleet quick probe's matrix follows in the channel. */
async function fleetStatusCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "fleet-status" }>,
): Promise<CommandReply> {
  const what = describeSelector(command.selector);
  if (!command.live && answersFromWatch(deps)) {
    // From the stored watch state: no probe runs, the matrix is posted at once.
    const report = await fleetReportFor(deps, command);
    return {
      ack: renderNotice(`📋 Fleet status (${what}) from the watch follows; \`--live\` probes every host now.`),
      later: () => postFleetMatrix(deps, req, what, report),
    };
  }
  const count = selectHosts(await deps.store.listHosts(), command.selector).length;
  return {
    ack: renderNotice(`🔎 Quick-probing ${count} host${count === 1 ? "" : "s"} (${what}); the fleet matrix follows.`),
    later: async () => postFleetMatrix(deps, req, what, await probeFleet(deps, command.selector)),
  };
}

async function postFleetMatrix(deps: CoreDeps, req: CommandRequest, what: string, report: FleetReport): Promise<void> {
  try {
    await deps.chat.postMessage({ channel: req.channel, ...renderFleetStatus(report) });
  } catch (err) {
    const reason = errorMessage(err);
    await tellRequester(
      deps,
      req.responseUrl,
      renderNotice(`⚠️ The fleet matrix (${what}) could not be posted in <#${req.channel}>.\n${reason}`),
      { request: req.requestKey },
    );
    throw err;
  }
}

/** `tag <host> …`: replaces a host's tags (needs the tag permission). */
async function tagCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "tag" }>,
): Promise<CommandReply> {
  if (!deps.store.setHostTags) {
    throw new ClawopsError("bad_request", "This control plane's store does not keep host tags yet.", {
      status: 501,
    });
  }
  await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, "tag");
  const host = await requireHost(deps, command.host);
  await deps.store.setHostTags(host.name, command.tags);
  const list = command.tags.length ? command.tags.map((t) => `\`${t}\``).join(", ") : "none";
  return { ack: renderNotice(`Tags of *${host.name}*: ${list}.`) };
}

/** `triage <host>`: raises the host's incident in this channel with a triage; its results go to the thread. */
async function triageCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "triage" }>,
): Promise<CommandReply> {
  const host = await requireHost(deps, command.host);
  await requireOnline(deps, host);
  // No announcement: the triage opens (or reuses) the thread in its turn, with its progress message.
  const raised = await raiseIncident(deps, {
    source: "command",
    host: host.name,
    actor: req.user,
    channel: req.channel,
    triage: { requestKey: req.requestKey, ...(req.responseUrl ? { responseUrl: req.responseUrl } : {}) },
  });
  if (raised.status === "raised" && raised.triage === "failed") throw raised.error;
  if (raised.status !== "raised" || !raised.job || !raised.later) {
    return {
      ack: renderNotice(
        `Triage of *${host.name}* is already under way for this request; results go to its incident thread.`,
      ),
    };
  }
  // Its log line is written when it starts (runTriage), off the ack's path; the audit row has the command.
  const ahead = deps.jobs.depth(host.name);
  const queued = ahead > 0 ? ` It starts after ${ahead} earlier job${ahead > 1 ? "s" : ""} on this host.` : "";
  return {
    ack: renderNotice(
      `🔎 Triage of *${host.name}* started (job \`${raised.job.id}\`).${queued} Results will appear in the host's incident thread.`,
    ),
    later: raised.later,
    jobId: raised.job.id,
  };
}
