import type { ProbeContext } from "./context.ts";
import { findGatewayProcesses, type GatewayProcesses } from "./host/gateway-processes.ts";
import { type ConfigReading, readOpenclawConfig } from "./openclaw-config.ts";
import { readTokenSources, type TokenReading } from "./token-sources.ts";

/**
 * Host facts several steps need (the config, the gateway processes, the token sources), read
 * at most once per job and shared. The token values also seed redaction: every secret the
 * agent read is removed from every result, whichever step it ends up in.
 */
export class JobReadings {
  private readonly ctx: ProbeContext;
  private configP: Promise<ConfigReading> | undefined;
  private processesP: Promise<GatewayProcesses> | undefined;
  private tokensP: Promise<TokenReading[]> | undefined;

  constructor(ctx: ProbeContext) {
    this.ctx = ctx;
  }

  config(): Promise<ConfigReading> {
    this.configP ??= readOpenclawConfig(this.ctx.configPath, this.ctx.env);
    return this.configP;
  }

  gatewayProcesses(): Promise<GatewayProcesses> {
    this.processesP ??= findGatewayProcesses(this.ctx.procRoot, this.ctx.env);
    return this.processesP;
  }

  tokenSources(): Promise<TokenReading[]> {
    this.tokensP ??= (async () => {
      const [config, gateways] = await Promise.all([
        this.config(),
        this.gatewayProcesses().catch((): GatewayProcesses => ({ method: "procfs", processes: [] })),
      ]);
      return readTokenSources(this.ctx, config, gateways.processes);
    })();
    return this.tokensP;
  }

  /** Every token value read on the host. Never throws: redaction must always get a list. */
  async knownSecrets(): Promise<string[]> {
    const values = new Set(await this.basicSecrets());
    try {
      for (const r of await this.tokenSources()) if (r.token) values.add(r.token);
    } catch {
      // Processes or service units unreadable: the config and env values are still covered.
    }
    return [...values];
  }

  /** The config's and the agent env's secrets: cheap, and enough when /proc reads hang. */
  async basicSecrets(): Promise<string[]> {
    const values = new Set(this.envSecrets());
    const config = await this.config().catch(() => undefined);
    if (config?.token) values.add(config.token);
    if (config?.password) values.add(config.password);
    return [...values];
  }

  envSecrets(): string[] {
    const { OPENCLAW_GATEWAY_TOKEN: token, OPENCLAW_GATEWAY_PASSWORD: password } = this.ctx.env;
    return [token, password].filter((v): v is string => v !== undefined && v !== "");
  }
}
