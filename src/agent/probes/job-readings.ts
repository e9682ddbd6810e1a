import { join } from "node:path";
import type { ProbeContext } from "./context.ts";
import { findGatewayProcesses, type GatewayProcess, type GatewayProcesses } from "./host/gateway-processes.ts";
import { findPortOwners, type PortOwners } from "./host/port-owners.ts";
import { type ConfigReading, effectivePort, readOpenclawConfig } from "./openclaw-config.ts";
import { readTokenSources, type TokenReading } from "./token-sources.ts";

/**
 * Host facts several steps need (the config, the port's owners, the gateway processes, the
 * token sources), read at most once per job and shared. The token values also seed
 * redaction: every secret the agent read is removed from every result, whichever step it
 * ends up in.
 */
export class JobReadings {
  private readonly ctx: ProbeContext;
  private configP: Promise<ConfigReading> | undefined;
  private processesP: Promise<GatewayProcesses> | undefined;
  private ownersP: Promise<PortOwners> | undefined;
  private tokensP: Promise<TokenReading[]> | undefined;

  constructor(ctx: ProbeContext) {
    this.ctx = ctx;
  }

  config(): Promise<ConfigReading> {
    this.configP ??= readOpenclawConfig(this.ctx.configPath, this.ctx.env);
    return this.configP;
  }

  /** Every gateway process on the host, whichever config it serves. */
  gatewayProcesses(): Promise<GatewayProcesses> {
    this.processesP ??= findGatewayProcesses(this.ctx.procRoot, this.ctx.env);
    return this.processesP;
  }

  /** Who listens on the gateway port this host's config names. */
  portOwners(): Promise<PortOwners> {
    this.ownersP ??= this.config().then((config) =>
      findPortOwners(this.ctx.procRoot, effectivePort(this.ctx, config).port, this.ctx.env),
    );
    return this.ownersP;
  }

  /**
   * The gateway processes that serve this host's config: the one on the configured port, and
   * any started with the same config path or state dir. Other gateways on the host (another
   * profile, a test lab) have their own tokens, which are not drift.
   */
  async ownGateways(): Promise<GatewayProcess[]> {
    const [all, owners] = await Promise.all([
      this.gatewayProcesses(),
      this.portOwners().catch((): PortOwners => ({ method: "procfs", owners: [] })),
    ]);
    const onPort = new Set(owners.owners.map((o) => o.pid));
    return all.processes.filter((g) => onPort.has(g.pid) || this.sharesConfig(g));
  }

  /**
   * Same config path, or (without one) the same state dir, whose default is
   * `$HOME/.openclaw` of the process. An environment we cannot read proves nothing either
   * way, so such a process counts as ours: a stale gateway must not hide behind it.
   */
  private sharesConfig(g: GatewayProcess): boolean {
    if (!g.env) return true;
    const configPath = g.env.OPENCLAW_CONFIG_PATH;
    if (configPath) return configPath === this.ctx.configPath;
    const stateDir = g.env.OPENCLAW_STATE_DIR ?? (g.env.HOME ? join(g.env.HOME, ".openclaw") : undefined);
    return stateDir === undefined || stateDir === this.ctx.stateDir;
  }

  tokenSources(): Promise<TokenReading[]> {
    this.tokensP ??= (async () => {
      const [config, gateways] = await Promise.all([this.config(), this.ownGateways().catch(() => [])]);
      return readTokenSources(this.ctx, config, gateways);
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
