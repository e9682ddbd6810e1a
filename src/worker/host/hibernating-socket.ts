import type { ConnectionState, FrameSocket } from "../../core/hub/frame-socket.ts";

/** The tag the host object accepts agent sockets with (`ctx.getWebSockets(AGENT_TAG)`). */
export const AGENT_TAG = "agent";

/**
 * A hibernatable WebSocket as the hub session's FrameSocket. Its connection state rides in
 * the socket's attachment, so the object can leave memory between frames and rebuild the
 * session from `getWebSockets()` when it wakes.
 */
export function hibernatingSocket(ws: WebSocket): FrameSocket {
  return {
    send: (frame) => {
      try {
        ws.send(JSON.stringify(frame));
      } catch {
        // The socket closed meanwhile; its close event fails what was pending.
      }
    },
    close: (code, reason) => {
      try {
        ws.close(code, reason);
      } catch {
        // Already closed.
      }
    },
    save: (state) => {
      try {
        ws.serializeAttachment(state);
      } catch {
        // A socket already closed by the runtime keeps no attachment; nothing reads it again.
      }
    },
  };
}

/** The connection state saved in a socket's attachment, if any. */
export function savedState(ws: WebSocket): ConnectionState | null {
  return (ws.deserializeAttachment() as ConnectionState | null) ?? null;
}
