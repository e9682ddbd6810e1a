import { join } from "node:path";
import type { ProbeContext } from "./context.ts";
import { findGatewayProcesses, type GatewayProcess, type GatewayProcesses } from "./host/gateway-processes.ts";
import { findPortOwners, listeningPorts, type PortOwners } from "./host/port-owners.ts";
import { hasExited } from "./host/proc-processes.ts";
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
    this.configP ??= (async () => {
      const config = await readOpenclawConfig(this.ctx.configPath, this.ctx.env);
      if (!config.exists) return config;
      const running = await this.runningPort().catch(() => undefined);
      if (!config.parseError && !config.readError) {
        // A valid file whose port this config's gateway does not serve: a change waiting for a
        // restart (gateway.reload.mode=off, a deferred restart). Judge the gateway on what it runs.
        const filePort = effectivePort(this.ctx, config);
        return running &&
          filePort.source !== "agent" &&
          filePort.source !== "env" &&
          !running.ports.includes(filePort.port)
          ? { ...config, runningPort: { port: running.port, pid: running.pid } }
          : config;
      }
      return running ? { ...config, runningPort: { port: running.port, pid: running.pid } } : config;
    })();
    return this.configP;
  }

  /**
   * The port this config's running gateway holds, for when the file cannot be read: the gateway
   * keeps serving its last good config on its real port (measured on 2026.9.6). Only a process
   * shown to be ours by its environment counts. A 2026.9.6 gateway listens on one port (127.0.0.1
   * and ::1); its lock files are SQLite, not the JSON GATEWAY-FACTS describes, so the socket decides.
   */
  private async runningPort(): Promise<{ port: number; pid: number; ports: number[] } | undefined> {
    const { processes } = await this.gatewayProcesses();
    for (const g of processes) {
      if (hasExited(g.state) || this.sharesConfig(g) !== true) continue;
      const ports = await listeningPorts(this.ctx.procRoot, g.pid);
      const port = ports[0];
      if (port !== undefined) return { port, pid: g.pid, ports };
    }
    return undefined;
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
   * The gateway processes that serve this host's config, each on evidence: started with the
   * same config path or state dir, or (when its environment says neither) holding the port this
   * config names. A process that has exited (zombie) serves nothing and never counts. Other
   * gateways on the host (another profile, a test lab, one starting or stopping) are context:
   * their tokens are not drift and their count is not a duplicate of this one.
   */
  async ownGateways(): Promise<GatewayProcess[]> {
    const [all, owners, config] = await Promise.all([
      this.gatewayProcesses(),
      this.portOwners().catch((): PortOwners => ({ method: "procfs", owners: [] })),
      this.config(),
    ]);
    // 18789 as a fallback for a config we cannot read is a guess, not evidence.
    const guessedPort =
      effectivePort(this.ctx, config).source === "default" && !!(config.parseError || config.readError);
    const onPort = new Set(guessedPort ? [] : owners.owners.map((o) => o.pid));
    return all.processes.filter((g) => !hasExited(g.state) && (this.sharesConfig(g) ?? onPort.has(g.pid)));
  }

  /**
   * Same config path, or (without one) the same state dir, whose default is `$HOME/.openclaw`
   * of the process. `undefined` when its environment cannot be read (another user's process,
   * one exiting) or names neither: that proves nothing, and the port it holds must decide.
   */
  private sharesConfig(g: GatewayProcess): boolean | undefined {
    if (!g.env) return undefined;
    const configPath = g.env.OPENCLAW_CONFIG_PATH;
    if (configPath) return configPath === this.ctx.configPath;
    const stateDir = g.env.OPENCLAW_STATE_DIR ?? (g.env.HOME ? join(g.env.HOME, ".openclaw") : undefined);
    return stateDir === undefined ? undefined : stateDir === this.ctx.stateDir;
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
