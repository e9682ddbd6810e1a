import type { CoreDeps } from "../../ports/deps.ts";
import { incidentChannelFor } from "../routing.ts";

/** The route stage: the channel a signal nobody typed belongs in. */

/** Where an incident nobody typed goes: the host's routing rule, else the default channel. */
export async function routeIncident(deps: CoreDeps, host: string): Promise<string | undefined> {
  const record = await deps.store.getHost(host);
  return incidentChannelFor(deps.incidents, record ?? { name: host });
}
