import type { ProbeContext } from "./context.ts";
import { type ConfigReading, effectivePort } from "./openclaw-config.ts";

/** Where the co-located gateway answers, and which token the agent presents to it. */
export type GatewayTarget = {
  host: string;
  port: number;
  wsUrl: string;
  httpUrl: string;
  token: string | undefined;
  tokenSource: "config" | "shell-env" | null;
};

export function gatewayTarget(ctx: ProbeContext, config: ConfigReading): GatewayTarget {
  const { port } = effectivePort(ctx, config);
  const host = ctx.gatewayHost.includes(":") ? `[${ctx.gatewayHost}]` : ctx.gatewayHost;
  // The local CLI uses the config token even when OPENCLAW_GATEWAY_TOKEN disagrees
  // (GATEWAY-FACTS §6a, variants): so does the agent, falling back to the env only if unset.
  const envToken = ctx.env.OPENCLAW_GATEWAY_TOKEN || undefined;
  const token = config.token ?? envToken;
  return {
    host: ctx.gatewayHost,
    port,
    wsUrl: `ws://${host}:${port}`,
    httpUrl: `http://${host}:${port}`,
    token,
    tokenSource: config.token ? "config" : envToken ? "shell-env" : null,
  };
}
