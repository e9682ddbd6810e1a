import { errorMessage } from "../../contract/errors.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident } from "../ports/incident-book.ts";
import type { TeamMessage, TeamMessageBook } from "../ports/team-messages.ts";
import { scrubText } from "../secret-scrub.ts";

/**
 * The team's words on the record (issue 41, item 3; docs/incidents.md#the-teams-words): what
 * people write in an incident's thread goes on its timeline with who and when, scrubbed of
 * secrets like every text clawops keeps, cut to the timeline's length; an edit rewrites that
 * entry, a deletion erases its words; a 📌 on it marks a key moment (the postmortem lists them).
 * The chat adapter (adapters/slack/events.ts) turns Slack's Events API into these events and
 * drops what is no person's words (bots, clawops' own posts, joins) before they get here.
 */

export type ThreadEvent =
  /** A person's message: a reply in a thread (`threadTs` its parent), or top-level talk (null) in an incident's own channel. */
  | { kind: "message"; channel: string; ts: string; threadTs: string | null; user: string; text: string }
  | { kind: "edited"; channel: string; ts: string; text: string }
  | { kind: "deleted"; channel: string; ts: string }
  /** A 📌 added (`added`) or taken off a message by `user`. */
  | { kind: "pin"; channel: string; ts: string; user: string; added: boolean };

/** The event's delivery identity (Slack: workspace and event_id): a retry carries the same. */
export interface EventIdentity {
  key: string;
}

/** What became of an event: `recorded` (on the record now) or why not. */
export type ThreadEventOutcome =
  | { status: "recorded"; incidentId: string; message: TeamMessage }
  | {
      status: "ignored";
      why: "not an incident thread or channel" | "unknown message" | "unchanged" | "no incident records";
    }
  | { status: "duplicate" };

/** How long an event's identity is remembered: Slack retries three times within about 5 minutes. */
const EVENT_MEMORY_MS = 60 * 60_000;
/** The most of one message the record keeps: the timeline's 500, less room for " (edited)". */
export const MESSAGE_MAX_CHARS = 480;

type Deps = Pick<CoreDeps, "store" | "clock" | "logger">;

/**
 * Puts one event on the record. Events for threads clawops opened no incident in, and for
 * messages it never recorded, change nothing; a retried event (same identity) changes nothing
 * twice. A store failure throws (the transport answers 500 and Slack retries), and the event's
 * identity is released so that retry is not taken for a duplicate.
 */
export async function recordThreadEvent(
  deps: Deps,
  identity: EventIdentity,
  event: ThreadEvent,
): Promise<ThreadEventOutcome> {
  // Whose it is first (a read): a busy channel's other talk costs no write.
  const owner =
    event.kind === "message"
      ? // An incident's thread, else anything said in an incident's own channel (issue 41, items 2 and 3).
        ((event.threadTs ? await deps.store.incidentByThread(event.channel, event.threadTs) : null) ??
        (await deps.store.incidentByOwnChannel(event.channel)))
      : await deps.store.teamMessage(event.channel, event.ts);
  if (!owner)
    return {
      status: "ignored",
      why: event.kind === "message" ? "not an incident thread or channel" : "unknown message",
    };
  const now = deps.clock.now();
  const claim = `slack-event:${identity.key}`;
  if (!(await deps.store.claim(claim, now, now + EVENT_MEMORY_MS))) return { status: "duplicate" };
  try {
    return await apply(deps, deps.store, event, owner, now);
  } catch (err) {
    await deps.store.release(claim, now + EVENT_MEMORY_MS).catch(() => {});
    deps.logger.error("team message not recorded", {
      kind: event.kind,
      channel: event.channel,
      err: errorMessage(err),
    });
    throw err;
  }
}

async function apply(
  deps: Deps,
  book: TeamMessageBook,
  event: ThreadEvent,
  owner: Incident | TeamMessage,
  now: number,
): Promise<ThreadEventOutcome> {
  switch (event.kind) {
    case "message": {
      const incident = owner as Incident;
      const { created, message } = await book.recordTeamMessage({
        incidentId: incident.id,
        channel: event.channel,
        ts: event.ts,
        user: event.user,
        at: tsToMs(event.ts) ?? now,
        // A file shared without a comment has no words; the entry still says who and when.
        text: (await recordedText(event.text)) || "(no text: a file or an attachment)",
      });
      if (!created) return { status: "duplicate" };
      await deps.store.updateIncident(incident.id, ["open", "acknowledged"], { updatedAt: now });
      return { status: "recorded", incidentId: incident.id, message };
    }
    case "edited": {
      const before = owner as TeamMessage;
      const text = await recordedText(event.text);
      if (before.deletedAt !== null || before.text === text || before.text === `${text} (edited)`) {
        // An unfurl or a reply count changes the message's event, not its words.
        return { status: "ignored", why: "unchanged" };
      }
      const after = await book.editTeamMessage(event.channel, event.ts, `${text} (edited)`, now);
      return after ? { status: "recorded", incidentId: after.incidentId, message: after } : unknown();
    }
    case "deleted": {
      const after = await book.deleteTeamMessage(event.channel, event.ts, now);
      return after ? { status: "recorded", incidentId: after.incidentId, message: after } : unknown();
    }
    case "pin": {
      const before = owner as TeamMessage;
      if (before.deletedAt !== null) return { status: "ignored", why: "unchanged" };
      const after = await book.pinTeamMessage(event.channel, event.ts, event.added ? 1 : -1, event.user, now);
      if (!after) return unknown();
      const marked = before.pins === 0 && after.pins > 0;
      const unmarked = before.pins > 0 && after.pins === 0;
      if (marked || unmarked) {
        await deps.store.appendIncidentEvent({
          incidentId: after.incidentId,
          at: now,
          actor: event.user,
          kind: "key-moment",
          // Its words are not copied: they live once, in the message's entry, so a deletion erases them.
          text: `${marked ? "marked" : "unmarked"} a key moment: <@${after.user}>'s message at ${clock(after.at)} UTC (entry ${after.seq})`,
          ref: `slack:${after.channel}:${after.ts}`,
        });
      }
      return { status: "recorded", incidentId: after.incidentId, message: after };
    }
  }
}

const unknown = (): ThreadEventOutcome => ({ status: "ignored", why: "unknown message" });

/** What the record keeps of a message's words: scrubbed of secrets, on one line, cut. */
export async function recordedText(text: string): Promise<string> {
  const line = (await scrubText(text)).replace(/\s+/g, " ").trim();
  return line.length > MESSAGE_MAX_CHARS ? `${line.slice(0, MESSAGE_MAX_CHARS - 1)}…` : line;
}

/** Slack's ts (`1764063281.000100`, seconds) in ms; null when it is not one. */
export function tsToMs(ts: string): number | null {
  return /^\d{1,12}\.\d{1,9}$/.test(ts) ? Math.round(Number(ts) * 1000) : null;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);
