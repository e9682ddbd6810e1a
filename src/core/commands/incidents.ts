import { authorize } from "../authz/authz.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost } from "../hosts/lookup.ts";
import { incidentActions, openActionCount, openActionsWords } from "../incidents/actions.ts";
import { channelNotOpened, checkChannelAsk, openChannelByPolicy, openIncidentChannel } from "../incidents/channel.ts";
import { addIncidentHost, declareIncident, setIncidentSeverity } from "../incidents/declare.ts";
import { moveIncidentAndTell, snoozeHolds } from "../incidents/pipeline.ts";
import { requireIncident } from "../incidents/record.ts";
import { renderIncident, renderIncidentList, renderIncidentSignals } from "../incidents/render.ts";
import { section } from "../messages/build.ts";
import { isoSeconds, mention } from "../messages/format.ts";
import { renderNotice } from "../messages/notices.ts";
import { pages } from "../paging/policy.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { resolvePagerDuty } from "../tickets/pagerduty.ts";
import { canOpenTickets } from "../tickets/services.ts";
import { incidentWorkCommand } from "./incident-work.ts";

/** How many incidents `incidents` lists. */
const LIST_LIMIT = 25;

/** `incidents [open|all]`: the newest records, one line each. */
export async function incidentsCommand(
  deps: CoreDeps,
  command: Extract<Command, { kind: "incidents" }>,
): Promise<CommandReply> {
  const list = await deps.store.listIncidents({ open: command.scope === "open", limit: LIST_LIMIT });
  return { ack: renderIncidentList(list, command.scope, deps.clock.now()) };
}

/**
 * `incident <id> [ack|resolve]`: shows one record with its timeline, or moves it. `ack` takes
 * ownership (anyone in the channel may); `resolve` is a mutating action, authorized first. The
 * command's own audit row (handle.ts) records who did it and whether it was refused.
 */
export async function incidentCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "incident" }>,
): Promise<CommandReply> {
  const book = deps.store;
  if (command.action === "new") {
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
  if (command.action === "show") {
    const incident = await requireIncident(deps, command.id);
    const tickets = await deps.store.incidentTickets(incident.id);
    return {
      ack: renderIncident(
        incident,
        await book.incidentTimeline(incident.id),
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
    return { ack: renderIncidentSignals(incident, await book.listSignals({ incidentId: incident.id })) };
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
            const members = (await book.listIncidents({ limit: 500 })).filter(
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

/**
 * `snooze <host> <finding> 1h|1d|until-version|off`: mutes (or lifts) one finding's incidents on
 * one host. Authorized (the `snooze` action); the command's own audit row records who and what.
 */
export async function snoozeCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "snooze" }>,
): Promise<CommandReply> {
  const book = deps.store;
  const host = await requireHost(deps, command.host);
  await authorize(deps.recovery.authz, { user: req.user, channel: req.channel, source: req.source }, "snooze");
  if (command.for.kind === "off") {
    const removed = await book.removeSnooze(host.name, command.finding);
    if (!removed) {
      throw new ClawopsError(
        "not_snoozed",
        `\`${command.finding}\` is not snoozed on \`${host.name}\`. \`/openclaw snoozes\` lists them.`,
        {
          status: 409,
        },
      );
    }
    return {
      ack: renderNotice(
        `✅ \`${command.finding}\` on *${host.name}* is no longer snoozed (it had muted ${removed.muted}).`,
      ),
    };
  }
  const now = deps.clock.now();
  if (command.for.kind === "until-version" && !host.gatewayVersion) {
    throw new ClawopsError(
      "bad_request",
      `clawops does not know which OpenClaw version \`${host.name}\` runs yet (no triage has read it), so "until the version changes" has nothing to hold on to. Snooze for \`1h\` or \`1d\` instead.`,
    );
  }
  await book.putSnooze({
    host: host.name,
    finding: command.finding,
    until: command.for.kind === "duration" ? now + command.for.ms : null,
    untilVersion: command.for.kind === "until-version" ? host.gatewayVersion : null,
    by: req.user,
    at: now,
    muted: 0,
  });
  const until =
    command.for.kind === "duration"
      ? `for ${command.for.words} (until ${isoSeconds(now + command.for.ms)})`
      : `until *${host.name}* runs another OpenClaw version than ${host.gatewayVersion}`;
  return {
    ack: renderNotice(
      `⏰ Snoozed \`${command.finding}\` on *${host.name}* ${until}: the watch's failures with it as their top finding are counted, not posted. \`/openclaw snooze ${host.name} ${command.finding} off\` lifts it.`,
    ),
  };
}

/** `snoozes`: the snoozes that hold now. */
export async function snoozesCommand(deps: CoreDeps): Promise<CommandReply> {
  const now = deps.clock.now();
  const hosts = new Map((await deps.store.listHosts()).map((h) => [h.name, h]));
  const holding = (await deps.store.listSnoozes()).filter((z) => snoozeHolds(z, hosts.get(z.host) ?? null, now));
  if (holding.length === 0) return { ack: renderNotice("No snoozes hold.") };
  const lines = holding.map(
    (z) =>
      `• *${z.host}* \`${z.finding}\` ${z.until !== null ? `until ${isoSeconds(z.until)}` : `until its OpenClaw version is no longer ${z.untilVersion}`} · by ${mention(z.by)} · muted ${z.muted}`,
  );
  return {
    ack: {
      text: `Snoozes: ${holding.length}`,
      parts: [section(`*Snoozes* (${holding.length})\n${lines.join("\n")}`)],
    },
  };
}
