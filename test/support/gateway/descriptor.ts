import type { GatewayEnv } from "./gateway.ts";

/** What the gateway project's globalSetup hands to test files (`inject('gateway')`). */
export type GatewayDescriptor = {
  /** `ws://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>` */
  httpUrl: string;
  port: number;
  /** The token in the lab config (`gateway.auth.token`); the healthy gateway accepts it. */
  token: string;
  /** Exactly the env a co-located agent or `openclaw` CLI call needs. */
  env: GatewayEnv;
  labDir: string;
  configPath: string;
  /** The gateway's stdout/stderr, appended across restarts. */
  logPath: string;
  openclawBin: string;
  nodeBinDir: string;
  /** `openclaw --version`, parsed. */
  version: string;
};

/** Address of the loopback control server that stops/starts the shared gateway. */
export type GatewayControlAddress = { url: string; token: string };

declare module "vitest" {
  export interface ProvidedContext {
    gateway: GatewayDescriptor;
    gatewayControl: GatewayControlAddress;
  }
}
