import { type Command, parseCommand } from "../commands.ts";
import { ClawopsError, isClawopsError } from "../errors.ts";
import { type RenderedMessage, renderError, renderHelp, renderHosts, renderNotice } from "../render/blocks.ts";
import type { CoreDeps } from "./deps.ts";
import { issueEnrollmentCode } from "./enrollment.ts";
import { createTriageJob, runTriage } from "./triage.ts";

export interface CommandRequest {
  text: string;
  user: string;
  channel: string;
  /** Slack's trigger_id (unique per invocation), or a console-generated id. */
  requestKey: string;
  source: "slack" | "console";
}

export interface CommandReply {
  /** Shown at once, to the invoking user only (Slack: ephemeral response). */
  ack: RenderedMessage;
  /** Slow work to run after the ack: `waitUntil` on Workers, a detached promise on Node. */
  background?: () => Promise<void>;
  /** The job this command started, if any. */
  jobId?: string;
  /** Set when the command was refused; the ack says the same in words. */
  error?: { code: string; message: string };
}

/**
 * Handles one `/openclaw …` invocation. Fast by construction: validation and one store
 * write, everything else in `background`. Never throws: errors become a clear ephemeral
 * reply, and no job is created.
 */
export async function handleCommand(deps: CoreDeps, req: CommandRequest): Promise<CommandReply> {
  try {
    const command = parseCommand(req.text);
    return await dispatch(deps, req, command);
  } catch (err) {
    if (isClawopsError(err))
      return { ack: renderError(err.message, err.code), error: { code: err.code, message: err.message } };
    deps.logger.error("command failed", { text: req.text, err: err instanceof Error ? err.message : String(err) });
    const message = "Something went wrong inside clawops; the error was logged. Try again.";
    return { ack: renderError(message, "internal"), error: { code: "internal", message } };
  }
}

async function dispatch(deps: CoreDeps, req: CommandRequest, command: Command): Promise<CommandReply> {
  switch (command.kind) {
    case "help":
      return { ack: renderHelp() };
    case "hosts": {
      const hosts = await deps.store.listHosts();
      const online = new Set<string>();
      await Promise.all(hosts.map(async (h) => (await deps.transport.isOnline(h.name)) && online.add(h.name)));
      return { ack: renderHosts(hosts, online, deps.clock.now()) };
    }
    case "enroll": {
      if (req.source !== "console") {
        throw new ClawopsError(
          "bad_request",
          "Enrollment codes are issued only from the local console or `clawops enroll <host>` on the control-plane machine, so a code never passes through a chat.",
        );
      }
      const issued = await issueEnrollmentCode(deps, command.host);
      const minutes = Math.round((issued.expiresAt - deps.clock.now()) / 60_000);
      return {
        ack: renderNotice(
          `Enrollment code for *${issued.host}*: \`${issued.code}\` (one use, expires in ${minutes} min).\nOn the host run:\n\`clawops-agent enroll --server <control-plane URL> --host ${issued.host} --code ${issued.code}\``,
        ),
      };
    }
    case "triage": {
      const host = await deps.store.getHost(command.host);
      if (!host || host.revokedAt) {
        throw new ClawopsError(
          "unknown_host",
          `No enrolled host named \`${command.host}\`. See \`/openclaw hosts\` for the list, or enroll it with \`clawops-agent enroll\`.`,
          { status: 404 },
        );
      }
      if (!(await deps.transport.isOnline(host.name))) {
        const seen = host.lastSeenAt ? `last seen ${new Date(host.lastSeenAt).toISOString()}` : "never connected";
        throw new ClawopsError(
          "host_offline",
          `Host \`${host.name}\` is offline (${seen}): its agent is not connected. On the host check \`systemctl status clawops-agent\` (or run \`clawops-agent run\`), then retry.`,
          { status: 409 },
        );
      }
      const job = await createTriageJob(deps, {
        host: host.name,
        channel: req.channel,
        user: req.user,
        requestKey: req.requestKey,
      });
      if (!job) {
        return {
          ack: renderNotice(
            `Triage of *${host.name}* is already under way for this request; results go to its incident thread.`,
          ),
        };
      }
      const ahead = deps.hostQueue.depth(host.name);
      deps.logger.info("triage started", {
        job: job.id,
        host: host.name,
        user: req.user,
        channel: req.channel,
        queued: ahead,
      });
      const queued = ahead > 0 ? ` It starts after ${ahead} earlier job${ahead > 1 ? "s" : ""} on this host.` : "";
      return {
        ack: renderNotice(
          `🔎 Triage of *${host.name}* started (job \`${job.id}\`).${queued} Results will appear in the host's incident thread.`,
        ),
        background: () =>
          deps.startTriage ? deps.startTriage(job) : deps.hostQueue.run(host.name, () => runTriage(deps, job)),
        jobId: job.id,
      };
    }
  }
}
