import { SSMClient } from "@aws-sdk/client-ssm";
import type { Logger } from "../core/ports/basics.ts";
import type { Store } from "../core/ports/store.ts";
import type { HostTransport } from "../core/ports/transport.ts";
import type { SsmInventory } from "./ssm-inventory.ts";
import { RoutingTransport, SsmTransport } from "./ssm-transport.ts";

/** One SSM client per region, made only when something needs AWS. Credentials: the SDK's default chain. */
export function ssmClients(env: Readonly<Record<string, string | undefined>>): (region?: string) => SSMClient {
  const clients = new Map<string, SSMClient>();
  return (region) => {
    const r = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "";
    let client = clients.get(r);
    if (!client) {
      // The endpoint comes from the SDK's own settings (AWS_ENDPOINT_URL_SSM), as for any AWS tool.
      client = new SSMClient(r ? { region: r } : {});
      clients.set(r, client);
    }
    return client;
  };
}

export interface SsmSetup {
  transport(hub: HostTransport): HostTransport;
  /** Makes each inventory host known to the store, so `/openclaw triage <host>` finds it. */
  registerHosts(store: Store, now: number): Promise<string[]>;
}

/**
 * The SSM transport for an inventory (CLAWOPS_SSM_INVENTORY or _JSON, read and checked by the
 * configuration): inventory hosts go through SSM Run Command, others through the agent hub;
 * with CLAWOPS_TRANSPORT=ssm every host goes through SSM (a host missing from the inventory is
 * then reported as such).
 */
export function ssmSetup(
  inventory: SsmInventory,
  mode: "hub" | "ssm",
  client: (region?: string) => SSMClient,
  logger: Logger,
): SsmSetup {
  let store: Store | null = null;
  const ssm = new SsmTransport({
    client: client(inventory.region),
    inventory,
    logger,
    onSeen: (host, seen) => void store?.recordHostSeen(host, { at: Date.now(), ...seen }),
  });
  logger.info("ssm transport on", { hosts: inventory.hosts.length, document: inventory.documentName });
  return {
    transport: (hub) => new RoutingTransport(ssm, mode === "ssm" ? null : hub),
    async registerHosts(s, now) {
      store = s;
      const added: string[] = [];
      for (const h of inventory.hosts) {
        const existing = await s.getHost(h.host);
        if (existing && !existing.revokedAt) continue;
        // No agent key: an SSM host is reached through AWS IAM, and a WebSocket hello claiming
        // this name cannot verify against this marker.
        const ok = await s.insertHost({
          name: h.host,
          publicKey: `ssm:${h.instanceId}`,
          enrolledAt: now,
          revokedAt: null,
          agentVersion: null,
          gatewayVersion: null,
          lastSeenAt: null,
        });
        if (ok) added.push(h.host);
      }
      return added;
    },
  };
}
