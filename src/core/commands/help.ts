import { context, section, wholeLineSections } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";

/** The freeze, audit and recover commands' lines. */
export const RECOVERY_COMMAND_HELP: { usage: string; summary: string }[] = [
  {
    usage: "/openclaw freeze <host|all> [for 30m] <reason>",
    summary:
      "Freeze a gateway (or the fleet): announces who, why and until when, and refuses other people's changes to it. Default 30 min, max 24 h.",
  },
  {
    usage: "/openclaw freeze <host|all> at 14:00 [for 30m] <reason>",
    summary:
      "Schedule a maintenance freeze: 14:00 is the next 14:00 UTC (or give an ISO date-time, e.g. 2026-11-24T14:00Z). Announced when set, 15 min before, at its start and at its end.",
  },
  {
    usage: "/openclaw freeze <host|all> extend 30m",
    summary:
      "Hold an active freeze longer (an automatic freeze: at least 30 min more, then it lifts after its healthy time). Incident leads only for automatic freezes.",
  },
  {
    usage: "/openclaw unfreeze <host|all>",
    summary:
      "Lift a freeze and post the all-clear (automatic freezes: incident leads only); before a scheduled freeze starts, cancel it.",
  },
  {
    usage: "/openclaw recover <host>",
    summary:
      "Run the six-step recovery runbook: freeze, snapshot, workspace/models, doctor, confirmed restart, read+write acceptance.",
  },
  { usage: "/openclaw status", summary: "Show active freezes." },
  { usage: "/openclaw audit [host]", summary: "Recent audit log entries (every command, approval, refusal, step)." },
];

/** Every command with one line about it, in the order `help` shows them. */
export const COMMAND_HELP: { usage: string; summary: string }[] = [
  {
    usage: "/openclaw triage <host>",
    summary: "Probe every layer of the gateway on <host> and post findings in its incident thread.",
  },
  {
    usage: "/openclaw hosts [<pattern> | tag:<tag> | state:online|offline|revoked] [page <n>]",
    summary: "List enrolled hosts: online/offline, agent and gateway versions, last seen; 25 a page.",
  },
  {
    usage: "/openclaw enroll <host>",
    summary:
      "Issue a one-time enrollment code and the install command for a new host, only to you (console and CLI; in Slack, authorized).",
  },
  {
    usage: "/openclaw bundle <host> [--ticket KEY]",
    summary:
      "Collect a redacted repro bundle from <host> into its incident thread; `--ticket OPS-12` (Jira) or `owner/repo#7` (GitHub) attaches it too.",
  },
  {
    usage: "/openclaw status all | <pattern> | tag:<tag> [--live]",
    summary:
      "One fleet matrix (hosts × layers, worst first) from the agents' watch, each row with its age; `--live` quick-probes every matching host (e.g. `node-*`) now.",
  },
  {
    usage: "/openclaw tag <host> <tag>…",
    summary: "Set a host's tags (replaces them; `-` clears) for `status tag:<tag>`.",
  },
  {
    usage: "/openclaw upgrade-agent <host | tag:<tag> | all> [--wave N%]",
    summary:
      "Move the matching hosts' agents to the one this control plane serves, N% at a time: each checks its SHA-256, tries the new agent and keeps it only if it comes online and passes a probe (else rolls back); the first failure stops later waves.",
  },
  {
    usage: "/openclaw incidents [open|all]",
    summary: "The incident records, newest first: id, hosts, state, owner, what raised each.",
  },
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
  {
    usage: "/openclaw report [30d]",
    summary:
      "The incidents of the last 30 days (or `7d`, `12h`): by source and severity, the noisiest hosts, the top findings, time to acknowledge and to resolve (median, p90), pages sent.",
  },
  {
    usage: "/openclaw incident new [sev1-4] [on <host>[,<host>…]] <title…>",
    summary:
      "Declare an incident by hand, before any probe sees it (default sev3): its thread opens in this channel; sev1-2 page the team's pager by the default policy.",
  },
  {
    usage: "/openclaw snooze <host> <finding> 1h|1d|until-version|off",
    summary:
      "Mute one finding's incidents on one host (authorized): the watch's failures whose top finding it is are counted, not posted, for an hour, a day, or until the host's OpenClaw version changes; `off` lifts it.",
  },
  {
    usage: "/openclaw snoozes",
    summary: "The snoozes that hold: host, finding, until when, who set it, what each muted.",
  },
  {
    usage: "/openclaw ticket <incident> new [jira|github]",
    summary:
      "Open a ticket with the incident's summary, findings, timeline and bundle, or comment on the one already open for the same host and top finding (authorized); `ticket <incident> renew` keeps its bundle link longer.",
  },
  {
    usage: "/openclaw postmortem <incident> [--ticket]",
    summary:
      "A postmortem draft in Markdown, written from the record, posted to the incident's thread (`--ticket`: attached to its ticket too).",
  },
  {
    usage: "/openclaw known-issues [<host>|all]",
    summary:
      "Which known upstream OpenClaw issues the fleet's findings match (each host's last triage and watch, its gateway version): per issue the hosts it affects, whether a release fixes it, and for one host the workarounds.",
  },
  {
    usage: "/openclaw upgrade <host | tag:<tag> | all> to <version> --dry-run",
    summary:
      "The plan for moving the gateways' OpenClaw to a release clawops knows: per host free disk, the target's Node requirement, official plugins to move in lockstep, freezes, the known issues it fixes; then the waves (a canary, 25% of the rest, the rest). Nothing is changed.",
  },
  {
    usage: "/openclaw upgrade <host | tag:<tag> | all> to <version>",
    summary:
      "The upgrade itself, wave by wave and one host at a time: each host frozen, its switch approved in the run's thread (the press also approves switching back), the target installed beside the current one, `current` switched, the gateway restarted under its supervisor, then the acceptance and a triage compared with the one before. A failure rolls the host back and stops the run. Needs `gateway.switch` and `gatewayVersions.dir` in the host's policy.json.",
  },
  {
    usage: "/openclaw expiries",
    summary:
      "The fleet's expiry calendar, soonest first: each gateway's TLS certificate (and whether it serves its file), model credentials' expiry, agents' enrollment age, chat bot tokens shared across hosts and watcher grants refused (`invalid_grant`); dates and fingerprints only, entries within 14 days marked.",
  },
  ...RECOVERY_COMMAND_HELP,
  {
    usage: "/openclaw revoke <host>",
    summary:
      "Revoke a host's key: its agent is disconnected and refused from then on; the record stays, marked revoked.",
  },
  {
    usage: "/openclaw remove <host>",
    summary: "Remove a host: its agent is disconnected, its record deleted, and the name can be enrolled again.",
  },
  { usage: "/openclaw help", summary: "Show this help." },
];

/** Slack's cap on a section's text (messages/build.ts `section` clips there). */
const HELP_SECTION_CHARS = 3000;

export function renderHelp(): Message {
  const lines = COMMAND_HELP.map((c) => `\`${c.usage}\`\n      ${c.summary}`);
  // A section holds at most 3,000 characters (Slack's cap, build.ts clips there): the commands
  // fill as many sections as they need, so none is cut off.
  const chunks: string[] = [];
  for (const line of lines) {
    const last = chunks.length - 1;
    if (last >= 0 && (chunks[last] as string).length + 1 + line.length <= HELP_SECTION_CHARS) {
      chunks[last] = `${chunks[last]}\n${line}`;
    } else chunks.push(line);
  }
  return {
    text: "clawops commands",
    parts: [
      section("*clawops*: per-layer triage for OpenClaw gateways. Every answer is a health matrix, never one boolean."),
      // As many sections as Slack's 3,000 characters a section need: no command cut off.
      ...wholeLineSections(lines, 3000).map((t) => section(t)),
      context("Host names are the names given at `clawops-agent enroll --host`. See `/openclaw hosts`."),
    ],
  };
}
