import { probeGatewayEnv } from "./gateway-env.ts";
import { probeGatewayInventory } from "./gateway-inventory.ts";
import type { ProbeTable } from "./probe.ts";
import { probeServiceDefinition } from "./service-definition.ts";
import { probeStateFiles } from "./state-files.ts";

/** The agent's side of the steps in src/contract/steps/host-state.ts (issue 30, classes 10–18). */
export const HOST_STATE_PROBES: Pick<
  ProbeTable,
  "state.files" | "service.definition" | "gateway.env" | "gateway.inventory"
> = {
  "state.files": probeStateFiles,
  "service.definition": probeServiceDefinition,
  "gateway.env": probeGatewayEnv,
  "gateway.inventory": probeGatewayInventory,
};
