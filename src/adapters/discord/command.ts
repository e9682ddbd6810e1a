import { DEFAULT_COMMAND } from "../../core/messages/command-name.ts";

/**
 * The application command clawops answers on Discord: `/openclaw` (or CLAWOPS_COMMAND), one
 * string option `text` holding what follows the command on Slack (`triage node-3`).
 * This is the body of the registration call docs/discord.md shows
 * (`PUT /applications/{application id}/commands`).
 * https://discord.com/developers/docs/interactions/application-commands#registering-a-command
 */
export function discordCommandName(commandName: string | undefined): string {
  return (commandName ?? DEFAULT_COMMAND).replace(/^\//, "");
}

export function discordCommandDefinition(commandName?: string) {
  return {
    name: discordCommandName(commandName),
    type: 1,
    description: "OpenClaw gateway operations: triage, status, freeze, recover…",
    options: [
      {
        type: 3,
        name: "text",
        description: "What to do, as on Slack: `triage node-3`, `status`, `help`",
        required: false,
        max_length: 1000,
        // Host names offered as the person types (autocomplete.ts).
        autocomplete: true,
      },
    ],
  };
}
