import type { Message } from "../messages/model.ts";

export interface CommandRequest {
  text: string;
  user: string;
  channel: string;
  /** Slack's trigger_id (unique per invocation), or a console-generated id. */
  requestKey: string;
  source: "slack" | "console" | "discord" | "mattermost" | "teams";
  /** Slack workspace (team id) the command came from; selects per-workspace settings (tickets). */
  workspace?: string;
  /**
   * Slack's `response_url` for this command (30 min, 5 replies): where the asker is told,
   * only to them, when the bot cannot post in the channel. The console has none.
   */
  responseUrl?: string;
  /** Set when the command came from pressing a button on an answer (commands/buttons.ts). */
  via?: "button";
}

export interface CommandReply {
  /** Shown at once, to the invoking user only (Slack: ephemeral response). */
  ack: Message;
  /** Slow work to run after the ack: `waitUntil` on Workers, a detached promise on Node. */
  later?: () => Promise<void>;
  /** The job this command started, if any. */
  jobId?: string;
  /** Set when the command was refused; the ack says the same in words. */
  error?: { code: string; message: string };
}
