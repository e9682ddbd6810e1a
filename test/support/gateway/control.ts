import { inject } from "vitest";
import "./descriptor.ts";
import type { GatewayDescriptor } from "./descriptor.ts";
import { DEFAULT_READY_CEILING_MS } from "./readiness.ts";

/**
 * Test-side handle on the shared gateway that globalSetup started. Tests that stop it or
 * restart it with other arguments must call `restoreHealthy()` in afterAll.
 */
export type GatewayState = { running: boolean; pid: number | null };

export type SharedGateway = GatewayDescriptor & {
  state(): Promise<GatewayState>;
  stop(): Promise<GatewayState>;
  start(options?: { extraArgs?: string[] }): Promise<GatewayState>;
  restart(options?: { extraArgs?: string[] }): Promise<GatewayState>;
  /** Back to the lab config (original token, no extra args), running and ready. Restarts only
   *  when the gateway is stopped or was started with extra arguments. */
  restoreHealthy(): Promise<GatewayState>;
  /** A hung gateway: its process group stopped with SIGSTOP, its port held, nothing answering.
   *  `resume()` (SIGCONT) has it answer again at once, with no start to wait for; `restoreHealthy()`
   *  resumes it too. */
  pause(): Promise<GatewayState>;
  resume(): Promise<GatewayState>;
};

/** Starting takes 12–18 s on a quiet box (GATEWAY-FACTS §2) and much longer on a loaded one; the
 *  harness waits while the gateway makes progress, up to its ceiling, plus a stop's grace. */
const CONTROL_TIMEOUT_MS = DEFAULT_READY_CEILING_MS + 60_000;

export function sharedGateway(): SharedGateway {
  const descriptor = inject("gateway");
  const control = inject("gatewayControl");
  const call = async (method: "GET" | "POST", path: string, body?: unknown): Promise<GatewayState> => {
    const res = await fetch(`${control.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${control.token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
    const json = (await res.json()) as GatewayState & { error?: string };
    if (!res.ok) throw new Error(`gateway control ${path} failed (${res.status}): ${json.error ?? "unknown"}`);
    return json;
  };
  return {
    ...descriptor,
    state: () => call("GET", "/state"),
    stop: () => call("POST", "/stop"),
    start: (options = {}) => call("POST", "/start", options),
    restart: (options = {}) => call("POST", "/restart", options),
    restoreHealthy: () => call("POST", "/restore", {}),
    pause: () => call("POST", "/pause"),
    resume: () => call("POST", "/resume"),
  };
}
