import { errorMessage } from "../../contract/errors.ts";
import { audit } from "../audit/audit.ts";
import { type Actor, authorize } from "../authz/authz.ts";
import { describeHits } from "../bundles/scan.ts";
import { secondScan } from "../bundles/second-scan.ts";
import { deliverToTicket, withRetry } from "../bundles/tickets.ts";
import { ClawopsError } from "../errors.ts";
import { noteIncidentEvent } from "../incidents/record.ts";
import { codeBlock, context, header, section } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentTicket } from "../ports/ticket-book.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { postmortemFilename, postmortemMarkdown, readHostChanges } from "./postmortem.ts";
import { ticketServices } from "./services.ts";
import { type IncidentStory, readStory } from "./story.ts";
import { tellThread } from "./thread.ts";
import { commentGithub } from "./trackers.ts";

/**
 * `/openclaw postmortem <incident> [--ticket]`: the draft (postmortem.ts) posted to the incident's
 * thread as a file (Slack's upload flow, as bundles use; the console, which takes no files,
 * shows it in the thread as text), and with `--ticket` attached to the incident's ticket (a
 * Jira attachment, a GitHub comment). `clawops postmortem <id> --md` prints the same Markdown.
 */

/** The draft of incident `id`, as the console API and the CLI's `--md` serve it. */
export async function postmortemOf(deps: CoreDeps, id: string): Promise<{ filename: string; markdown: string }> {
  const story = await readStory(deps, id);
  return {
    filename: postmortemFilename(story.incident.id),
    markdown: postmortemMarkdown(story, await readHostChanges(deps, story)),
  };
}

export async function postmortemCommand(
  deps: CoreDeps,
  req: CommandRequest,
  id: string,
  toTicket: boolean,
): Promise<CommandReply> {
  const story = await readStory(deps, id);
  let ticket: IncidentTicket | null = null;
  if (toTicket) {
    const actor: Actor = { user: req.user, channel: req.channel, source: req.source };
    await authorize(deps.recovery.authz, actor, "ticket");
    const { config } = ticketServices(deps, req.workspace);
    if (!config.jira && !config.github) {
      throw new ClawopsError(
        "ticket_not_configured",
        "No ticket system is configured here (JIRA_* or GITHUB_*), so the draft has no ticket to go to; it can still go to the thread without `--ticket`.",
      );
    }
    ticket = story.tickets.filter((t) => t.state === "open").at(-1) ?? story.tickets.at(-1) ?? null;
    if (!ticket) {
      throw new ClawopsError(
        "no_ticket",
        `Incident \`${story.incident.id}\` has no ticket to attach the draft to: \`/openclaw ticket ${story.incident.id} new\` opens one.`,
        { status: 409 },
      );
    }
    if (!config[ticket.system]) {
      throw new ClawopsError(
        "ticket_not_configured",
        `${ticket.key} is a ${ticket.system === "jira" ? "Jira" : "GitHub"} ticket, and ${ticket.system === "jira" ? "Jira" : "GitHub"} is not configured here.`,
      );
    }
  }
  const filename = postmortemFilename(story.incident.id);
  const markdown = postmortemMarkdown(story, await readHostChanges(deps, story));
  const scan = await secondScan([{ where: filename, text: markdown }]);
  if (scan.hits.length > 0) {
    throw new ClawopsError(
      "ticket_refused",
      `The draft was not posted: its text looks like it holds a secret (${describeHits(scan.hits)}). Find it with \`/openclaw incident ${story.incident.id}\`, then draft again.`,
      { status: 422 },
    );
  }
  const lines = markdown.split("\n").length;
  const chosen = ticket;
  return {
    ack: renderNotice(
      `📋 Postmortem draft of \`${story.incident.id}\` (${lines} lines) goes to the incident's thread as \`${filename}\`${chosen ? ` and to ${chosen.key}` : ""}. \`clawops postmortem ${story.incident.id} --md\` prints it.`,
    ),
    later: async () => {
      await postDraft(deps, req, story, filename, markdown);
      if (chosen) await attachDraft(deps, req, story, chosen, filename, markdown);
    },
  };
}

async function postDraft(
  deps: CoreDeps,
  req: CommandRequest,
  story: IncidentStory,
  filename: string,
  markdown: string,
): Promise<void> {
  const { incident } = story;
  const channel = incident.channel ?? req.channel;
  try {
    if (deps.chat.uploadFile && incident.threadTs && incident.channel) {
      await deps.chat.uploadFile({
        channel,
        threadTs: incident.threadTs,
        filename,
        title: `Postmortem draft ${incident.id}`,
        bytes: new TextEncoder().encode(markdown),
        initialComment: `📋 Postmortem draft of \`${incident.id}\`, written from its record by ${req.user}: edit it, fill in the parts marked *To fill in*.`,
      });
    } else {
      await deps.chat.postMessage({
        channel,
        ...(incident.threadTs && incident.channel ? { threadTs: incident.threadTs } : {}),
        ...inlineDraft(incident.id, filename, markdown),
      });
    }
    await noteIncidentEvent(deps, incident, {
      actor: req.user,
      kind: "postmortem",
      text: `drafted the postmortem (${filename}, ${markdown.split("\n").length} lines)`,
    });
  } catch (err) {
    deps.logger.warn("postmortem draft not posted", { incident: incident.id, err: errorMessage(err) });
    await noteIncidentEvent(deps, incident, {
      actor: req.user,
      kind: "postmortem",
      text: `postmortem draft not posted: ${errorMessage(err)}`.slice(0, 500),
    });
  }
}

/** Slack caps a message at 50 blocks; a draft longer than this many sections is cut, saying where it is whole. */
const MAX_SECTIONS = 40;

/** The draft as a message, for a chat that takes no files (the local console). */
export function inlineDraft(id: string, filename: string, markdown: string): Message {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const line of markdown.split("\n")) {
    if (size + line.length > 2_700 && current.length) {
      chunks.push(current.join("\n"));
      current = [];
      size = 0;
    }
    current.push(line.slice(0, 2_700));
    size += line.length + 1;
  }
  if (current.length) chunks.push(current.join("\n"));
  const shown = chunks.slice(0, MAX_SECTIONS);
  return {
    text: `Postmortem draft of ${id} (${filename})`,
    parts: [
      header(`📋 Postmortem draft: ${id}`),
      ...shown.map((c) => section(codeBlock([c]))),
      context(
        `${shown.length < chunks.length ? "Cut here; " : ""}\`clawops postmortem ${id} --md > ${filename}\` writes the whole file.`,
      ),
    ],
  };
}

async function attachDraft(
  deps: CoreDeps,
  req: CommandRequest,
  story: IncidentStory,
  ticket: IncidentTicket,
  filename: string,
  markdown: string,
): Promise<void> {
  const { services, config } = ticketServices(deps, req.workspace);
  const retry = services.retry ?? { attempts: 3, baseMs: 1_000 };
  const doFetch = services.fetch ?? fetch;
  let outcome: "ok" | "error" = "ok";
  let text: string;
  try {
    await withRetry<unknown>(retry.attempts, retry.baseMs, () =>
      ticket.system === "jira"
        ? deliverToTicket(
            config,
            { system: "jira", key: ticket.key },
            {
              filename,
              bytes: new TextEncoder().encode(markdown),
              summary: "",
              link: "",
              contentType: "text/markdown",
            },
            doFetch,
          )
        : commentGithub(config.github as NonNullable<typeof config.github>, ticket.key, markdown, doFetch),
    );
    text = `postmortem draft ${ticket.system === "jira" ? "attached to" : "commented on"} ${ticket.key}`;
  } catch (err) {
    outcome = "error";
    text = `postmortem draft not attached to ${ticket.key}: ${errorMessage(err)}`.slice(0, 500);
  }
  await noteIncidentEvent(deps, story.incident, { actor: req.user, kind: "postmortem", text, ref: ticket.id });
  await audit(deps, {
    at: deps.clock.now(),
    actor: req.user,
    source: req.source,
    action: "ticket.postmortem",
    host: ticket.host,
    outcome,
    detail: `incident ${story.incident.id}: ${text}`.slice(0, 500),
    ref: ticket.id,
  });
  await tellThread(deps, story.incident, outcome === "ok" ? `🎫 The ${text}.` : `❌ The ${text}`);
}
