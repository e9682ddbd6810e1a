import type { HostTransport, JobOutcome } from "../core/ports.ts";

/**
 * The Workers transport until agent sockets land there: an agent's WebSocket needs a
 * Durable Object to terminate on (a plain Worker invocation cannot hold it between
 * requests), so no host is ever connected and every host reads as offline.
 */
export class OfflineHostTransport implements HostTransport {
  async isOnline(_host: string): Promise<boolean> {
    return false;
  }

  async dispatch(host: string): Promise<JobOutcome> {
    return {
      status: "rejected",
      error: {
        code: "host_offline",
        message: `Host ${host} cannot be reached: agents cannot connect to the Cloudflare Workers runtime yet. Run the control plane with \`npm start\` for now.`,
      },
    };
  }
}
