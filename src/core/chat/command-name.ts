import { DEFAULT_COMMAND, renameCommand, renameCommandText } from "../messages/command-name.ts";
import type { Message } from "../messages/model.ts";
import type { ChatFileUpload, ChatMessage, ChatPort } from "../ports/chat.ts";

/** A chat that shows the configured command name in everything core posts or edits. */
export function chatWithCommandName<C extends ChatPort>(chat: C, name: string | undefined): ChatPort {
  if (!name || name === DEFAULT_COMMAND) return chat;
  const upload = chat.uploadFile?.bind(chat);
  const respond = chat.respondEphemeral?.bind(chat);
  const permalink = chat.permalink?.bind(chat);
  // Incident channels carry no command text: passed on as they are.
  const channels = {
    ...(chat.createChannel ? { createChannel: chat.createChannel.bind(chat) } : {}),
    ...(chat.inviteToChannel ? { inviteToChannel: chat.inviteToChannel.bind(chat) } : {}),
    ...(chat.archiveChannel ? { archiveChannel: chat.archiveChannel.bind(chat) } : {}),
  };
  return {
    ...channels,
    // What the chat can do beyond posting is kept (an ephemeral reply is renamed like a post).
    ...(respond
      ? { respondEphemeral: (responseUrl: string, m: Message) => respond(responseUrl, renameCommand(m, name)) }
      : {}),
    ...(permalink ? { permalink } : {}),
    ...(chat.chatName ? { chatName: chat.chatName.bind(chat) } : {}),
    postMessage: (m: ChatMessage) => chat.postMessage(renameCommand(m, name)),
    updateMessage: (m: ChatMessage & { ts: string }) => chat.updateMessage(renameCommand(m, name)),
    ...(upload
      ? {
          uploadFile: (f: ChatFileUpload) =>
            upload({ ...f, initialComment: renameCommandText(f.initialComment, name) }),
        }
      : {}),
  };
}
