import { requireHost, requireOnline } from "../hosts/lookup.ts";
import { raiseIncident } from "../incidents/pipeline.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { defineCommand } from "./entry.ts";
import { oneHost } from "./words.ts";

/** `/openclaw triage <host>`: every layer of one gateway probed, the findings in its incident thread. */
export const triage = defineCommand({
  words: ["triage"],
  parse: (rest) => ({ kind: "triage", host: oneHost("triage", rest) }),
  help: [
    {
      usage: "/openclaw triage <host>",
      summary: "Probe every layer of the gateway on <host> and post findings in its incident thread.",
    },
  ],
  authorize: "open",
  handle: triageCommand,
});

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
