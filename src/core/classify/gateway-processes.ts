import type { PortListenersData } from "../../contract/catalog.ts";

/**
 * Gateways serving this host's config; an intentional second gateway is not a duplicate, one
 * that has exited (a zombie) serves nobody, and neither does a process titled `openclaw-gateway`
 * that holds no gateway lock and no port (the operator's `openclaw gateway probe`, a gateway
 * still loading: issue 30).
 */
export function ownGatewayProcesses(pl: PortListenersData): PortListenersData["gatewayProcesses"] {
  return pl.gatewayProcesses.filter((p) => p.servesThisConfig !== false && !hasExited(p.state) && p.serving !== false);
}

/** This config's `openclaw-gateway`-titled processes that serve nothing yet: CLI commands or a gateway loading. */
export function notServingGatewayProcesses(pl: PortListenersData): PortListenersData["gatewayProcesses"] {
  return pl.gatewayProcesses.filter((p) => p.servesThisConfig !== false && !hasExited(p.state) && p.serving === false);
}

/** Kernel state Z (zombie) or X (dead): the process has exited. */
export function hasExited(state: string | undefined): boolean {
  return state === "Z" || state === "X" || state === "x";
}

/** Kernel state T/t: stopped by SIGSTOP, job control or a tracer. */
export function isStopped(state: string | undefined): boolean {
  return state === "T" || state === "t";
}

export function isGatewayCommand(command: string | null | undefined): boolean {
  // The kernel cuts process titles to 15 chars: `openclaw-gatewa` (GATEWAY-FACTS §2).
  return !!command && command.startsWith("openclaw-gatewa");
}
