import { inject } from "vitest";
import "./descriptor.ts";
import type { GatewayDescriptor } from "./descriptor.ts";
import { DEFAULT_READY_CEILING_MS } from "./readiness.ts";

/**
 * Test-side handle on the shared gateway that globalSetup started. The files on it run one after
 * another, and each starts from the state it declares (`gatewayAtFileStart`, healthy unless it
 * says otherwise), made by the gateway project's setup file (file-start-setup.ts) before the file's
 * own hooks, with a start only when the gateway is not in it already. So a file leaves the gateway
 * as its last test left it, stopped or drifted (its config file put back, and restarted when a
 * change needs a start to undo), and the next file that wants that state has it for nothing: the
 * files that leave a state and those that start in it run one after the other (sequencer.ts).
 */
export type GatewayState = { running: boolean; pid: number | null };

export type SharedGateway = GatewayDescriptor & {
  state(): Promise<GatewayState>;
  stop(): Promise<GatewayState>;
  /** A crash (SIGKILL): gone at once, with no graceful shutdown in which it still runs. */
  kill(): Promise<GatewayState>;
  start(options?: { extraArgs?: string[] }): Promise<GatewayState>;
  restart(options?: { extraArgs?: string[] }): Promise<GatewayState>;
  /** Back to the lab config (original token, no extra args), running and ready. Restarts only
   *  when the gateway is stopped or was started with extra arguments. */
  restoreHealthy(): Promise<GatewayState>;
  /** Token drift (GATEWAY-FACTS §6a): running with `--token LAB_DRIFT_TOKEN` while the config
   *  keeps the lab's token. A start only when it is not running so already. */
  drift(): Promise<GatewayState>;
  /** A hung gateway: its process group stopped with SIGSTOP, its port held, nothing answering.
   *  `resume()` (SIGCONT) has it answer again at once, with no start to wait for; `restoreHealthy()`
   *  resumes it too. */
  pause(): Promise<GatewayState>;
  resume(): Promise<GatewayState>;
};

/** The token every file's drifted gateway runs with, so one file's drift is the next one's. */
export const LAB_DRIFT_TOKEN = "lab-token-SERVER-drifted";

/** What the shared gateway is when a file's tests start. */
export type FileStartState = "healthy" | "stopped" | "drifted";
let fileStart: FileStartState = "healthy";

/**
 * Declared at a file's top level, for a file whose first test wants the gateway stopped or
 * drifted: the file's start makes that state instead of a healthy gateway, so when the file
 * before it left the gateway so, nothing starts in between.
 */
export function gatewayAtFileStart(state: FileStartState): void {
  fileStart = state;
}

/** The state this file declared (file-start-setup.ts reads it before the file's own hooks). */
export function fileStartState(): FileStartState {
  return fileStart;
}

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
    kill: () => call("POST", "/kill"),
    start: (options = {}) => call("POST", "/start", options),
    restart: (options = {}) => call("POST", "/restart", options),
    restoreHealthy: () => call("POST", "/restore", {}),
    drift: () => call("POST", "/restore", { extraArgs: ["--token", LAB_DRIFT_TOKEN] }),
    pause: () => call("POST", "/pause"),
    resume: () => call("POST", "/resume"),
  };
}
