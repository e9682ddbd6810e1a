import { handleCommand } from "../commands/handle.ts";
import { renderError, renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import { type ButtonPress, handleButtonPress } from "../recover/press.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { ackThroughResponseUrl, type CommandPress, handleCommandPress } from "./press.ts";

/**
 * Everything a person can do to clawops from a chat or the console, as the core sees it once
 * the transport has proved who sent it:
 * - `command`: a typed command (`/openclaw triage node-3`, the console's command line);
 * - `command-press`: a button on an answer that runs a command as the presser's (Run again, Triage…);
 * - `approval`: a recovery confirmation's Approve / Approve drained / Cancel.
 */
export type Interaction =
  | { kind: "command"; request: CommandRequest }
  | { kind: "command-press"; press: CommandPress }
  | { kind: "approval"; press: ButtonPress };

/**
 * What the transport does with an interaction: `ack` at once to the person who acted (Slack:
 * the ephemeral answer; the console: the response body), then `later` — the slow half (triage,
 * notices, the ack of a press through its response_url) — once the ack is on its way: a detached
 * promise on Node, `waitUntil` on Workers. `later` never throws into the transport's hands
 * unlogged: the transport logs its failure (adapters/http/later.ts, node/slack-socket-mode.ts).
 */
export type Handled = CommandReply;

/**
 * The one router: Slack's HTTP routes, Socket Mode and the console all call this, so a command
 * or a press does the same whichever way it arrived. It never throws for a refusal: a command
 * refused says so in its ack (and `error`); an approval refused is audited and told in the thread.
 */
export async function handle(deps: CoreDeps, interaction: Interaction): Promise<Handled> {
  switch (interaction.kind) {
    case "command":
      return handleCommand(deps, interaction.request);
    case "command-press": {
      const reply = await handleCommandPress(deps, interaction.press);
      // Slack shows nothing for a press's HTTP answer: its ack goes through the response_url.
      return interaction.press.responseUrl ? ackThroughResponseUrl(deps, interaction.press, reply) : reply;
    }
    case "approval": {
      const outcome = await handleButtonPress(deps, interaction.press);
      if (outcome.ok) return { ack: renderNotice(`Recorded: ${outcome.decision.decision}.`) };
      return {
        ack: renderError(`Nothing was done: ${outcome.reason}.`, outcome.code),
        error: { code: outcome.code, message: outcome.reason },
      };
    }
  }
}
