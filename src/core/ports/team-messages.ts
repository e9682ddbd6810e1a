import type { Incident } from "./incident-book.ts";

/**
 * The team's words on the record (issue 41, item 3; docs/incidents.md): what people write in an
 * incident's thread, received through Slack's Events API. Each message has Slack's identity
 * (its channel and `ts`), so an edit or a deletion finds the one entry it changes, and a retry
 * never writes it twice. Its words live once, in its timeline entry (kind `message`): an edit
 * rewrites them there, a deletion erases them there.
 */
export interface TeamMessage {
  incidentId: string;
  channel: string;
  /** Slack's message ts (`1764063281.000100`): with the channel, the message's identity. */
  ts: string;
  /** Who wrote it: a Slack user id. */
  user: string;
  /** When it was written (from its ts). */
  at: number;
  /** Its timeline entry (seq) and that entry's words: scrubbed, capped; `(message deleted)` once deleted. */
  seq: number;
  text: string;
  editedAt: number | null;
  deletedAt: number | null;
  /** 📌 reactions on it now; a key moment while at least one holds. */
  pins: number;
  /** Who first marked it a key moment, and when (null while unmarked). */
  pinnedBy: string | null;
  pinnedAt: number | null;
}

export interface NewTeamMessage {
  incidentId: string;
  channel: string;
  ts: string;
  user: string;
  at: number;
  text: string;
}

/** The store's side (SQLite on Node, the directory Durable Object on Workers). */
export interface TeamMessageBook {
  /**
   * The incident told in the thread `threadTs` of `channel`: the newest one not resolved, else
   * the newest; null when clawops opened no incident there.
   */
  incidentByThread(channel: string, threadTs: string): Promise<Incident | null>;
  /** The incident whose own channel this is (issue 41, item 2): its newest, an open one first. */
  incidentByOwnChannel(channel: string): Promise<Incident | null>;
  /**
   * Stores the message and appends its timeline entry, in one step, once per channel and ts:
   * `created` false (and nothing written) when it is there already (a retried event).
   */
  recordTeamMessage(message: NewTeamMessage): Promise<{ created: boolean; message: TeamMessage }>;
  teamMessage(channel: string, ts: string): Promise<TeamMessage | null>;
  /** Rewrites its words (the timeline entry's too) unless deleted; the message after, or null when unknown. */
  editTeamMessage(channel: string, ts: string, text: string, at: number): Promise<TeamMessage | null>;
  /** Erases its words and marks it deleted; the message after, or null when unknown. */
  deleteTeamMessage(channel: string, ts: string, at: number): Promise<TeamMessage | null>;
  /** Adds (+1) or takes (-1) a 📌; the message after, or null when unknown. */
  pinTeamMessage(channel: string, ts: string, delta: 1 | -1, by: string, at: number): Promise<TeamMessage | null>;
  /** The incident's messages, oldest first. */
  teamMessages(incidentId: string): Promise<TeamMessage[]>;
}

/** The words a deleted message leaves on the timeline. */
export const DELETED_TEXT = "(message deleted)";
