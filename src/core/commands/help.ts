import type { Message } from "../messages/model.ts";
import { helpMessage } from "./help-message.ts";
import { COMMAND_HELP } from "./registry.ts";

/** `/openclaw help`: every registered command's lines (registry.ts), in registry order. */
export function renderHelp(): Message {
  return helpMessage(COMMAND_HELP);
}
