import { errorMessage } from "../../contract/errors.ts";
import { context, escapeMrkdwn } from "../messages/build.ts";
import { type Message, MessageSchema } from "../messages/model.ts";
import { refusedForGood } from "../ports/chat.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentBook, IncidentMirrorBook, OutboxItem } from "../ports/incident-book.ts";
import { currentHeader } from "./header.ts";
import type { MirrorDelivery } from "./mirrors.ts";
import { MAX_ATTEMPTS, settleFailedTry } from "./outbox-timing.ts";
import { appendTimeline } from "./record.ts";

/**
 * A mirror delivery due (the outbox's drain; mirrors.ts says what mirrors are). A reply or an
 * edit on a mirror whose root is not posted yet posts the root first (the root's own item then
 * finds it posted and is done), so a mirror thread always starts with its header. Each try
 * renders from the record as it is then. A try that fails is retried with backoff; one the chat
 * refuses for good (no such channel, no access), or the last try, gives the mirror up: said once
 * on the incident's timeline, and every delivery still queued for it is dropped without another word.
 */
export async function deliverMirror(
  deps: CoreDeps,
  book: IncidentBook,
  item: OutboxItem,
): Promise<"sent" | "retrying" | "failed"> {
  const now = deps.clock.now();
  const d = parseDelivery(item.body);
  const mirrors = deps.store;
  const incident = item.incidentId ? await book.getIncident(item.incidentId) : null;
  if (!d || !incident) {
    const why = !d ? "not a mirror delivery this clawops can read" : "no such incident";
    await book.settleOutbox(item.id, { state: "failed", doneAt: now, lastError: why });
    return "failed";
  }
  const mirror = (await mirrors.incidentMirrors(incident.id)).find((m) => m.channel === d.channel) ?? null;
  if (mirror?.givenUpAt != null) {
    await book.settleOutbox(item.id, { state: "failed", doneAt: now, lastError: "its mirror was given up" });
    return "failed";
  }
  try {
    const ts = mirror?.ts ?? (await postRoot(deps, mirrors, incident, d.channel));
    if (d.op === "header" && mirror?.ts) {
      await deps.chat.updateMessage({ channel: d.channel, ts, ...(await mirrorHeader(deps, incident)) });
    } else if (d.op === "post") {
      await deps.chat.postMessage({
        channel: d.channel,
        threadTs: ts,
        ...(await mirrorMessage(deps, incident, d.message)),
      });
    }
  } catch (err) {
    const reason = errorMessage(err);
    const { attempts, retry } = await settleFailedTry(book, item, now, {
      error: reason,
      retryable: !refusedForGood(err),
      told: true,
    });
    deps.logger.warn("incident mirror not delivered", {
      incident: incident.id,
      channel: d.channel,
      op: d.op,
      attempts,
      retry,
      err: reason,
    });
    if (!retry) await giveUp(deps, book, mirrors, incident, d.channel, attempts, reason);
    return retry ? "retrying" : "failed";
  }
  await book.settleOutbox(item.id, { state: "sent", attempts: item.attempts + 1, doneAt: now, lastError: null });
  return "sent";
}

/** The mirror thread's root: the header as the record says now, recorded; the first recorded is kept. */
async function postRoot(
  deps: CoreDeps,
  mirrors: IncidentMirrorBook,
  incident: Incident,
  channel: string,
): Promise<string> {
  const posted = await deps.chat.postMessage({ channel, ...(await mirrorHeader(deps, incident)) });
  const stored = await mirrors.recordMirrorThread(incident.id, channel, posted.ts, deps.clock.now());
  return stored.ts ?? posted.ts;
}

/** Gives the mirror up, said once on the timeline (the first delivery of it to fail for good). */
async function giveUp(
  deps: CoreDeps,
  book: IncidentBook,
  mirrors: IncidentMirrorBook,
  incident: Incident,
  channel: string,
  attempts: number,
  reason: string,
): Promise<void> {
  const now = deps.clock.now();
  if (!(await mirrors.giveUpMirror(incident.id, channel, reason.slice(0, 500), now))) return;
  await appendTimeline(deps, book, incident, {
    actor: "clawops",
    kind: "note",
    text: `⚠️ The mirror in ${chatOf(deps, channel)} (${channel}) was given up ${
      attempts < MAX_ATTEMPTS ? `at try ${attempts}: the chat refused it` : `after ${attempts} tries`
    }: ${reason}. Nothing more goes there; the incident goes on here.`,
  });
}

/** The header as a mirror shows it: no buttons, and where they are instead. */
export async function mirrorHeader(deps: CoreDeps, incident: Incident): Promise<Message> {
  return withoutButtons(await currentHeader(deps, incident, deps.clock.now()), await buttonsLine(deps, incident), true);
}

/** A reply as a mirror shows it: any buttons taken out, and where they are said instead. */
async function mirrorMessage(deps: CoreDeps, incident: Incident, message: Message): Promise<Message> {
  if (!message.parts.some((p) => p.kind === "actions")) return message;
  return withoutButtons(message, await buttonsLine(deps, incident), false);
}

function withoutButtons(message: Message, line: string, always: boolean): Message {
  const parts = message.parts.filter((p) => p.kind !== "actions");
  return always || parts.length !== message.parts.length
    ? { ...message, parts: [...parts, context(line)] }
    : { ...message, parts };
}

/**
 * "Buttons and approvals: in Slack, channel `C0…` (the incident's thread)", with the chat's link
 * to the primary thread where it gives one (Slack's chat.getPermalink); without it when it does
 * not, or the link cannot be had now (the line is never held back for it).
 */
export async function buttonsLine(deps: CoreDeps, incident: Incident): Promise<string> {
  const primary = incident.channel ?? "";
  let link: string | null = null;
  if (incident.channel && incident.threadTs && deps.chat.permalink) {
    link = await deps.chat.permalink(incident.channel, incident.threadTs).catch((err: unknown) => {
      deps.logger.warn("mirror line without its link", { incident: incident.id, err: errorMessage(err) });
      return null;
    });
  }
  const where = `in ${chatOf(deps, primary)}, channel \`${primary}\``;
  return `🔘 *Buttons and approvals:* ${where}${link ? ` (<${link}|the incident's thread>)` : ""}. This thread mirrors the incident: act on it there.`;
}

/** The chat a channel is on, for people: the chat port's name for it. */
function chatOf(deps: CoreDeps, channel: string): string {
  return escapeMrkdwn(deps.chat.chatName?.(channel) ?? "the incident's chat");
}

function parseDelivery(body: string): MirrorDelivery | null {
  try {
    const raw = JSON.parse(body) as Partial<MirrorDelivery> & { message?: unknown; what?: unknown; ref?: unknown };
    if (typeof raw.channel !== "string") return null;
    if (raw.op === "root" || raw.op === "header") return { op: raw.op, channel: raw.channel };
    const message = MessageSchema.safeParse(raw.message);
    if (raw.op !== "post" || !message.success) return null;
    return {
      op: "post",
      channel: raw.channel,
      message: message.data,
      what: typeof raw.what === "string" ? raw.what : "a message",
      ...(typeof raw.ref === "string" ? { ref: raw.ref } : {}),
    };
  } catch {
    return null;
  }
}
