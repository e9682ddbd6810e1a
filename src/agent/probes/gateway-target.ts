import type { ProbeContext } from "./context.ts";
import type { JobReadings } from "./job-readings.ts";
import { type ConfigReading, effectivePort } from "./openclaw-config.ts";
import { normalizeFingerprint, type TlsPin } from "./tls-pin.ts";

/** Where the co-located gateway answers, and which token the agent presents to it. */
export type GatewayTarget = {
  host: string;
  port: number;
  /** `wss://` and `https://` when the config enables `gateway.tls` (the gateway then serves nothing in plain text). */
  wsUrl: string;
  httpUrl: string;
  token: string | undefined;
  tokenSource: "config" | "shell-env" | null;
  /** With TLS on: the pin the agent's probes check, as the gateway's own clients do (tls-pin.ts). */
  tls?: TlsPin;
};

/**
 * The target as the gateway's own local clients reach it: with `gateway.tls.enabled`, over TLS,
 * pinned to the certificate file's fingerprint (the local CLI's pin), or to
 * `gateway.remote.tlsFingerprint` where the config is a remote client's (`gateway.mode=remote`).
 * Without a pin (the file unreadable) the connection is CA-verified, as OpenClaw's would be.
 */
export async function resolveGatewayTarget(ctx: ProbeContext, readings: JobReadings): Promise<GatewayTarget> {
  const config = await readings.config();
  if (!config.tls?.enabled) return gatewayTarget(ctx, config);
  const remote = config.mode === "remote" ? normalizeFingerprint(config.tls.remoteFingerprint) : null;
  if (remote) return gatewayTarget(ctx, config, { sha256: remote, source: "gateway.remote.tlsFingerprint" });
  const file = await readings.tlsFile();
  const pin = normalizeFingerprint(file.facts?.fingerprint256);
  return gatewayTarget(ctx, config, pin ? { sha256: pin, source: "certificate file" } : { sha256: null, source: null });
}

/** Plain text unless `tls` is given (resolveGatewayTarget decides, from the config and the certificate file). */
export function gatewayTarget(ctx: ProbeContext, config: ConfigReading, tls?: TlsPin): GatewayTarget {
  const { port } = effectivePort(ctx, config);
  const host = ctx.gatewayHost.includes(":") ? `[${ctx.gatewayHost}]` : ctx.gatewayHost;
  // The local CLI uses the config token even when OPENCLAW_GATEWAY_TOKEN disagrees
  // (GATEWAY-FACTS §6a, variants): so does the agent, falling back to the env only if unset.
  const envToken = ctx.env.OPENCLAW_GATEWAY_TOKEN || undefined;
  const token = config.token ?? envToken;
  const secure = tls !== undefined;
  return {
    host: ctx.gatewayHost,
    port,
    wsUrl: `${secure ? "wss" : "ws"}://${host}:${port}`,
    httpUrl: `${secure ? "https" : "http"}://${host}:${port}`,
    token,
    tokenSource: config.token ? "config" : envToken ? "shell-env" : null,
    ...(tls ? { tls } : {}),
  };
}

/** The connect options a target's TLS pin adds (none in plain text or without a pin). */
export function pinOf(target: GatewayTarget): { tlsPinSha256?: string } {
  return target.tls?.sha256 ? { tlsPinSha256: target.tls.sha256 } : {};
}
