import type { ChatPort, Clock, HostTransport, Ids, Logger, Store } from "../ports.ts";

/** Everything the core services need, passed in by each runtime's wiring file. */
export interface CoreDeps {
  store: Store;
  transport: HostTransport;
  chat: ChatPort;
  clock: Clock;
  ids: Ids;
  logger: Logger;
}
