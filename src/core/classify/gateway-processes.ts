import type { PortListenersData } from "../../contract/catalog.ts";

/**
 * Gateways serving this host's config; an intentional second gateway is not a duplicate, and
 * one that has exited (a zombie) serves nobody.
 */
export function ownGatewayProcesses(pl: PortListenersData): PortListenersData["gatewayProcesses"] {
  return pl.gatewayProcesses.filter((p) => p.servesThisConfig !== false && !hasExited(p.state));
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
