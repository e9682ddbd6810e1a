import { authorize } from "../authz/authz.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { ClawopsError } from "../errors.ts";
import { incidentActions, openActionCount, openActionsWords } from "../incidents/actions.ts";
import { channelNotOpened, checkChannelAsk, openChannelByPolicy, openIncidentChannel } from "../incidents/channel.ts";
import { addIncidentHost, declareIncident, setIncidentSeverity } from "../incidents/declare.ts";
import { moveIncidentAndTell } from "../incidents/pipeline.ts";
import { requireIncident } from "../incidents/record.ts";
import { renderIncident, renderIncidentList, renderIncidentSignals } from "../incidents/render.ts";
import { incidentReport, parseSince, renderIncidentReport } from "../incidents/report.ts";
import { renderNotice } from "../messages/notices.ts";
import { pages } from "../paging/policy.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { resolvePagerDuty } from "../tickets/pagerduty.ts";
import { canOpenTickets } from "../tickets/services.ts";
import { defineCommand } from "./entry.ts";
import { type DeclareCommand, type IncidentCommand, parseDeclare, parseIncident } from "./incident-parse.ts";
import { incidentWorkCommand } from "./incident-work.ts";

/** `/openclaw incidents [open|all]`: the incident records, newest first. */
export const incidents = defineCommand({
  words: ["incidents"],
  parse: (rest): Extract<Command, { kind: "incidents" }> => {
    const scope = (rest[0] ?? "open").toLowerCase();
    if (rest.length > 1 || (scope !== "open" && scope !== "all"))
      throw new ClawopsError("bad_request", "Usage: `/openclaw incidents [open|all]` (default: open).");
    return { kind: "incidents", scope };
  },
  help: [
    {
      usage: "/openclaw incidents [open|all]",
      summary: "The incident records, newest first: id, hosts, state, owner, what raised each.",
    },
  ],
  authorize: "open",
  handle: (deps, _req, command) => incidentsCommand(deps, command),
});

/** `/openclaw incident <id> …`: one incident, moved, changed, its roles and follow-ups. `incident new` is `declare`. */
export const incident = defineCommand({
  words: ["incident"],
  accepts: (rest) => rest[0]?.toLowerCase() !== "new",
  parse: parseIncident,
  help: [
    {
      usage: "/openclaw incident <id> [ack|resolve|signals]",
      summary:
        "One incident with its timeline (alerts, watch, triages and their findings, notes, who did what); `ack` makes you its owner, `resolve` closes it (authorized); `signals` lists what fired and what became of each signal.",
    },
    {
      usage: "/openclaw incident <id> sev <1-4> | add <host>",
      summary:
        "Set an incident's severity (sev1 is the worst; raised to where its source pages, it pages the team's pager) or add a host to it (authorized, as resolve).",
    },
    {
      usage: "/openclaw incident <id> channel [name]",
      summary:
        "Open the incident's own channel (when CLAWOPS_INCIDENT_CHANNEL_POLICY is on): its people invited, its header there too, linked from its thread (authorized, as resolve).",
    },
    {
      usage: "/openclaw incident <id> role <commander|comms|scribe> <@user|me>",
      summary:
        "Give an incident role (the commander is its owner; comms, scribe), handed over from whoever held it and said on its timeline and header; the header's *I'll do comms* / *I'll scribe* buttons take one for you. Yourself, or handing over your own: anyone; someone else's: authorized, as resolve.",
    },
    {
      usage: "/openclaw incident <id> action <text> [@owner] | actions | action <n> done",
      summary:
        "Record a follow-up action on an open incident (with its owner), list them, or close one (also after the resolve); they are in the postmortem draft and the report, and a resolved incident with open ones says so.",
    },
  ],
  authorize: {
    inHandler: ["resolve"],
    why: "after the incident is found (an unknown id is named first); resolve, sev, add, channel, and a role given from someone else",
  },
  handle: incidentCommand,
});

/** `/openclaw incident new …`: an incident declared by hand (issue 40). */
export const declare = defineCommand({
  words: ["incident"],
  accepts: (rest) => rest[0]?.toLowerCase() === "new",
  parse: (rest) => parseDeclare(rest.slice(1)),
  help: [
    {
      usage: "/openclaw incident new [sev1-4] [on <host>[,<host>…]] <title…>",
      summary:
        "Declare an incident by hand, before any probe sees it (default sev3): its thread opens in this channel; sev1-2 page the team's pager by the default policy.",
    },
  ],
  authorize: "open",
  handle: declareCommand,
});

/** `/openclaw report [<N>d|<N>h]`: the incidents of a window, counted. */
export const report = defineCommand({
  words: ["report"],
  parse: (rest): Extract<Command, { kind: "report" }> => {
    if (rest.length > 1) throw new ClawopsError("bad_request", "Usage: `/openclaw report [<N>d|<N>h]` (default 30d).");
    return { kind: "report", windowMs: parseSince(rest[0]) };
  },
  help: [
    {
      usage: "/openclaw report [30d]",
      summary:
        "The incidents of the last 30 days (or `7d`, `12h`): by source and severity, the noisiest hosts, the top findings, time to acknowledge and to resolve (median, p90), pages sent.",
    },
  ],
  authorize: "open",
  handle: async (deps, _req, command) => ({
    ack: renderIncidentReport(await incidentReport(deps, command.windowMs)),
  }),
});

/** How many incidents `incidents` lists. */
const LIST_LIMIT = 25;

/** `incidents [open|all]`: the newest records, one line each. */
async function incidentsCommand(
  deps: CoreDeps,
  command: Extract<Command, { kind: "incidents" }>,
): Promise<CommandReply> {
  const list = await deps.store.listIncidents({ open: command.scope === "open", limit: LIST_LIMIT });
  return { ack: renderIncidentList(list, command.scope, deps.clock.now()) };
}

/** `incident new [sevN] [on <hosts>] <title…>`: an incident declared by hand, its thread opened here. */
async function declareCommand(deps: CoreDeps, req: CommandRequest, command: DeclareCommand): Promise<CommandReply> {
  const declared = await declareIncident(deps, {
    actor: req.user,
    channel: req.channel,
    severity: command.severity,
    hosts: command.hosts,
    title: command.title,
  });
  const paged = deps.paging && pages(deps.paging.policy, declared) ? " The team's pager is paged." : "";
  return {
    // Its own channel when the policy wants one (issue 41, item 2), after the ack.
    later: () => openChannelByPolicy(deps, declared.id),
    ack: renderNotice(
      `🚨 Incident \`${declared.id}\` (${declared.severity}) declared: ${declared.title}. Its thread is open in this channel.${paged}`,
    ),
  };
}

/**
 * `incident <id> [ack|resolve]`: shows one record with its timeline, or moves it. `ack` takes
 * ownership (anyone in the channel may); `resolve` is a mutating action, authorized first. The
 * command's own audit row (handle.ts) records who did it and whether it was refused.
 */
async function incidentCommand(deps: CoreDeps, req: CommandRequest, command: IncidentCommand): Promise<CommandReply> {
  if (command.action === "show") {
    const incident = await requireIncident(deps, command.id);
    const tickets = await deps.store.incidentTickets(incident.id);
    return {
      ack: renderIncident(
        incident,
        await deps.store.incidentTimeline(incident.id),
        tickets,
        await incidentActions(deps, incident.id),
        { openTicket: canOpenTickets(deps, req.workspace) },
      ),
    };
  }
  // Issue 41: roles and follow-up actions (incident-work.ts).
  if (
    command.action === "role" ||
    command.action === "action" ||
    command.action === "actions" ||
    command.action === "action-done"
  ) {
    return incidentWorkCommand(deps, req, command);
  }
  if (command.action === "signals") {
    const incident = await requireIncident(deps, command.id);
    return { ack: renderIncidentSignals(incident, await deps.store.listSignals({ incidentId: incident.id })) };
  }
  // Unknown ids are refused before authorization, so the error says what is wrong.
  await requireIncident(deps, command.id);
  if (
    command.action === "resolve" ||
    command.action === "sev" ||
    command.action === "add" ||
    command.action === "channel"
  ) {
    // Closing it, or changing how bad it is or what it covers: the people who may resolve.
    await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, "resolve");
  }
  if (command.action === "sev") {
    const set = await setIncidentSeverity(deps, command.id, command.severity, req.user);
    return {
      ack: renderNotice(`Incident \`${set.id}\` is ${set.severity} now.`),
      later: () => openChannelByPolicy(deps, set.id),
    };
  }
  if (command.action === "channel") return incidentChannelCommand(deps, req, command);
  if (command.action === "add") {
    const grown = await addIncidentHost(deps, command.id, command.host, req.user);
    return { ack: renderNotice(`Incident \`${grown.id}\` covers ${grown.hosts.join(", ")} now.`) };
  }
  const moved = await moveIncidentAndTell(
    deps,
    command.id,
    command.action === "ack" ? "acknowledged" : "resolved",
    req.user,
  );
  // Issue 29, item 7: with CLAWOPS_PAGERDUTY_RESOLVE, the PagerDuty incidents it came from are
  // resolved too: its own, and those of the host incidents a fleet incident's resolve closed.
  const pagerduty =
    command.action === "resolve" && deps.pagerduty?.resolve
      ? {
          later: async () => {
            await resolvePagerDuty(deps, moved, req.user);
            const members = (await deps.store.listIncidents({ limit: 500 })).filter(
              (m) => m.parentId === moved.id && m.state === "resolved",
            );
            for (const member of members) await resolvePagerDuty(deps, member, req.user);
          },
        }
      : {};
  // Issue 41, item 5: a resolve with follow-ups still open says so.
  const open = command.action === "resolve" ? await openActionCount(deps, moved.id) : 0;
  const followUps =
    open > 0 ? ` ⚠️ ${openActionsWords(open)}: \`/openclaw incident ${moved.id} actions\` lists them.` : "";
  return {
    ...pagerduty,
    ack: renderNotice(
      command.action === "ack"
        ? `You own incident \`${moved.id}\` (${moved.hosts.join(", ")}) now.`
        : `Incident \`${moved.id}\` (${moved.hosts.join(", ")}) is resolved; a new failure opens a new incident.${followUps}`,
    ),
  };
}

/**
 * `incident <id> channel [name]` (and the header's *Open a channel*): what can be refused is
 * refused in the ack; the channel is made after it (several Slack calls, each retried on a rate
 * limit, would not fit Slack's 3 s), and a failure then is said in the incident's thread and to
 * the person who asked. Audited and on the timeline either way (incidents/channel.ts).
 */
async function incidentChannelCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "incident"; action: "channel" }>,
): Promise<CommandReply> {
  const incident = await checkChannelAsk(deps, command.id, command.name);
  return {
    ack: renderNotice(
      `💬 Opening a channel for incident \`${incident.id}\` (${incident.hosts.join(", ") || incident.title}); its link follows in the incident's thread.`,
    ),
    later: async () => {
      try {
        await openIncidentChannel(deps, incident.id, {
          actor: req.user,
          source: req.source,
          ...(command.name ? { name: command.name } : {}),
        });
      } catch (err) {
        const told = channelNotOpened(incident, err);
        if (incident.channel && incident.threadTs) {
          await deps.chat
            .postMessage({ channel: incident.channel, threadTs: incident.threadTs, ...told })
            .catch(() => tellRequester(deps, req.responseUrl, told, { request: req.requestKey }));
        } else {
          await tellRequester(deps, req.responseUrl, told, { request: req.requestKey });
        }
      }
    },
  };
}
