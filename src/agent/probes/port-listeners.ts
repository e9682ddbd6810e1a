import type { PortListenersData } from "../../contract/catalog.ts";
import { userNames } from "./host/proc-processes.ts";
import { effectivePort } from "./openclaw-config.ts";
import type { Probe } from "./probe.ts";
import { redactText } from "./redact.ts";

/**
 * The port and process layers: who holds the gateway port (a gateway, something else, nobody)
 * and every gateway process on the host (a second one, an orphan). Command lines are redacted
 * here, before they join any result.
 */
export const probePortListeners: Probe<"port.listeners"> = async (ctx, _args, run) => {
  const config = await run.readings.config();
  const { port } = effectivePort(ctx, config);
  const [owners, gateways, facts, userOf, secrets] = await Promise.all([
    run.readings.portOwners(),
    run.readings.gatewayProcesses(),
    run.readings.gatewayFacts(),
    userNames(),
    run.readings.knownSecrets(),
  ]);
  const clean = (line: string | undefined) => (line === undefined ? {} : { commandLine: redactText(line, secrets) });
  return {
    port,
    method: owners.method,
    listeners: owners.owners.map((o) => ({
      address: o.address,
      pid: o.pid,
      command: o.command,
      ...clean(o.commandLine),
      ...(o.user ? { user: o.user } : o.uid !== undefined ? { user: userOf(o.uid) } : {}),
    })),
    gatewayProcesses: gateways.processes.map((g) => ({
      pid: g.pid,
      command: g.command,
      ...clean(g.commandLine),
      ...(g.user ? { user: g.user } : {}),
      ...(g.state ? { state: g.state } : {}),
      servesThisConfig: facts.get(g.pid)?.servesThisConfig ?? false,
      ...(facts.get(g.pid)?.serving === false ? { serving: false } : {}),
    })),
  } satisfies PortListenersData;
};
