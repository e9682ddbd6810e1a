import { ticketConfigFor } from "../bundles/bundle.ts";
import { parseTicketRef } from "../bundles/tickets.ts";
import { ClawopsError } from "../errors.ts";
import { requireHost, requireOnline } from "../hosts/lookup.ts";
import { createJob } from "../jobs/create.ts";
import { renderNotice } from "../messages/notices.ts";
import type { TicketRef } from "../ports/bundles.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Command } from "../requests/command.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { normalizeHostName, truncate } from "../vocabulary/hosts.ts";
import { defineCommand } from "./entry.ts";

/** `/openclaw bundle <host> [--ticket KEY]…`: a redacted repro bundle into the host's incident thread. */
export const bundle = defineCommand({
  words: ["bundle"],
  parse: parseBundle,
  help: [
    {
      usage: "/openclaw bundle <host> [--ticket KEY]",
      summary:
        "Collect a redacted repro bundle from <host> into its incident thread; `--ticket OPS-12` (Jira) or `owner/repo#7` (GitHub) attaches it too.",
    },
  ],
  authorize: "open",
  handle: bundleCommand,
});

const BUNDLE_USAGE =
  "Usage: `/openclaw bundle <host> [--ticket KEY]`, e.g. `/openclaw bundle node-3 --ticket OPS-12` (Jira) or `--ticket acme/infra#7` (GitHub); `--ticket` may repeat.";
const TICKET_KEY = /^(?:[A-Z][A-Z0-9_]{0,30}-\d{1,9}|(?:[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100})?#\d{1,9})$/;

function parseBundle(words: string[]): Extract<Command, { kind: "bundle" }> {
  let host: string | undefined;
  const tickets: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    const inline = /^--ticket=(.+)$/.exec(w);
    if (w === "--ticket" || inline) {
      const key = inline ? inline[1] : words[++i];
      if (!key) throw new ClawopsError("bad_request", BUNDLE_USAGE);
      if (!TICKET_KEY.test(key)) {
        throw new ClawopsError(
          "bad_request",
          `\`${truncate(key, 40)}\` is not a ticket key: use a Jira key like \`OPS-12\` or a GitHub issue like \`acme/infra#7\` or \`#7\`.`,
        );
      }
      if (tickets.length >= 5) throw new ClawopsError("bad_request", "At most 5 `--ticket` options.");
      tickets.push(key);
    } else if (w.startsWith("--") || host !== undefined) {
      throw new ClawopsError("bad_request", BUNDLE_USAGE);
    } else {
      host = w;
    }
  }
  if (host === undefined) throw new ClawopsError("bad_request", BUNDLE_USAGE);
  return { kind: "bundle", host: normalizeHostName(host), tickets };
}

/** `/openclaw bundle <host> [--ticket KEY]…`: ack at once, collect and deliver `later`. */
export async function bundleCommand(
  deps: CoreDeps,
  req: CommandRequest,
  command: Extract<Command, { kind: "bundle" }>,
): Promise<CommandReply> {
  if (!deps.bundles.on) {
    throw new ClawopsError(
      "bundles_not_configured",
      `Repro bundles are not configured on this control plane: ${deps.bundles.why} (see docs/bundles.md).`,
      { status: 501 },
    );
  }
  const ticketConfig = ticketConfigFor(deps.bundles.use, req.workspace);
  const tickets: TicketRef[] = command.tickets.map((key) => {
    const ref = parseTicketRef(key);
    if (!ref) throw new ClawopsError("bad_request", `\`${key}\` is not a Jira or GitHub issue reference.`);
    if (ref.system === "jira" && !ticketConfig.jira)
      throw new ClawopsError(
        "ticket_not_configured",
        `Jira is not configured here, so \`${key}\` cannot be attached (set JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN).`,
      );
    if (ref.system === "github" && !ticketConfig.github)
      throw new ClawopsError(
        "ticket_not_configured",
        `GitHub is not configured here, so \`${key}\` cannot be commented on (set GITHUB_TOKEN and GITHUB_REPO).`,
      );
    return ref;
  });
  const host = await requireHost(deps, command.host);
  await requireOnline(deps, host, "no bundle can be collected");
  const job = await createJob(deps, "bundle", {
    host: host.name,
    channel: req.channel,
    user: req.user,
    requestKey: req.requestKey,
  });
  if (!job) return { ack: renderNotice(`A bundle of *${host.name}* is already being collected for this request.`) };
  deps.logger.info("bundle started", {
    job: job.id,
    host: host.name,
    user: req.user,
    tickets: command.tickets.join(","),
  });
  return {
    ack: renderNotice(
      `📦 Collecting a repro bundle from *${host.name}* (job \`${job.id}\`). Progress, the summary and the download link appear in the host's incident thread.`,
    ),
    later: async () => {
      const replyTo = req.responseUrl ? { responseUrl: req.responseUrl } : {};
      await deps.jobs.start(deps, {
        kind: "bundle",
        job,
        tickets,
        ...(req.workspace ? { workspace: req.workspace } : {}),
        ...replyTo,
      });
    },
    jobId: job.id,
  };
}
