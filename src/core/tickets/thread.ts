import { errorMessage } from "../../contract/errors.ts";
import type { Message } from "../messages/model.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident } from "../ports/incident-book.ts";

/**
 * A message in the incident's thread (its channel alone while it has no thread). A thread that
 * cannot be written is logged, never thrown: the ticket, note or draft was made either way.
 */
export async function tellThread(deps: CoreDeps, incident: Incident, said: string | Message): Promise<void> {
  if (!incident.channel) return;
  await deps.chat
    .postMessage({
      channel: incident.channel,
      ...(incident.threadTs ? { threadTs: incident.threadTs } : {}),
      ...(typeof said === "string" ? renderNotice(said) : said),
    })
    .catch((err) => deps.logger.warn("incident thread not written", { incident: incident.id, err: errorMessage(err) }));
}
