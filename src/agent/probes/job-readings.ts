import { type ChannelSecret, readChannelSecrets } from "./channel-secrets.ts";
import type { ProbeContext } from "./context.ts";
import { envConfigIdentity, type GatewayIdentity, gatewayIdentity, lockServesConfig } from "./host/gateway-identity.ts";
import { findGatewayProcesses, type GatewayProcess, type GatewayProcesses } from "./host/gateway-processes.ts";
import { findPortOwners, type PortOwners, readTcpListeners } from "./host/port-owners.ts";
import type { TcpSocket } from "./host/proc-net-tcp.ts";
import { hasExited, isStopped, type OpenFileEntry, openFileEntries } from "./host/proc-processes.ts";
import {
  type ConfigReading,
  type ConfigTextReader,
  effectivePort,
  readConfigText,
  readOpenclawConfig,
} from "./openclaw-config.ts";
import { readGatewayTlsFile, type TlsFileReading } from "./tls-file.ts";
import { readTokenSources, type TokenReading } from "./token-sources.ts";

/** What a full read found, in the form a carried probe uses it, and what the checks compare. */
export type CarriedReadings = {
  processes: GatewayProcesses;
  identities: ReadonlyMap<number, GatewayIdentity>;
  listeners: TcpSocket[];
  owners: PortOwners;
  ownersPort: number;
};

export type KeptReadings = CarriedReadings & {
  /** The probe context it was read for: procfs root, config, state dir. */
  context: string;
  lastPid: string;
  configText: string;
  /** pid → `processKey`: each gateway and worker. */
  keys: ReadonlyMap<number, string>;
  /** The gateways' listening sockets and lock files, by descriptor. */
  links: readonly { pid: number; fd: string; link: string }[];
  at: number;
};

export function carryContext(ctx: Pick<ProbeContext, "procRoot" | "configPath" | "stateDir">): string {
  return `${ctx.procRoot}\0${ctx.configPath}\0${ctx.stateDir}`;
}

/**
 * What a job's readings start from: the watch's carry (readings-carry.ts) gives openclaw.json's
 * text it read already, and either the host readings it carried or the last pid it saw before
 * this full read.
 */
export type ReadingsSeed = { configText?: Promise<string>; carried?: CarriedReadings; lastPid?: string };

/** Whether a gateway-titled process serves this host's config, and whether it serves at all (`undefined`: procfs cannot say). */
export type GatewayFact = { servesThisConfig: boolean; serving: boolean | undefined };

/**
 * Host facts several steps need (the config, the port's owners, the gateway processes, the
 * token sources), read at most once per job and shared. The token values also seed
 * redaction: every secret the agent read is removed from every result, whichever step it
 * ends up in.
 */
export class JobReadings {
  private readonly ctx: ProbeContext;
  private configP: Promise<ConfigReading> | undefined;
  private configTextP: Promise<string> | undefined;
  private processesP: Promise<GatewayProcesses> | undefined;
  private ownersP: Promise<PortOwners> | undefined;
  private tokensP: Promise<TokenReading[]> | undefined;
  private channelSecretsP: Promise<ChannelSecret[]> | undefined;
  private tlsFileP: Promise<TlsFileReading> | undefined;
  private identitiesP: Promise<Map<number, GatewayIdentity>> | undefined;
  private factsP: Promise<Map<number, GatewayFact>> | undefined;
  private ownersPort: number | undefined;
  private readonly fdEntries = new Map<number, Promise<OpenFileEntry[]>>();
  private readonly fdLinks = new Map<number, Promise<string[]>>();
  private tcpListenersRead = false;
  private tcpListenersValue: TcpSocket[] | undefined;
  private readonly seed: ReadingsSeed;

  constructor(ctx: ProbeContext, seed: ReadingsSeed = {}) {
    this.ctx = ctx;
    this.seed = seed;
    if (seed.configText) this.configTextP = seed.configText;
    const carried = seed.carried;
    if (carried) {
      this.processesP = Promise.resolve(carried.processes);
      this.identitiesP = Promise.resolve(new Map(carried.identities));
      this.tcpListenersRead = true;
      this.tcpListenersValue = carried.listeners;
    }
  }

  /** Whether this job's host readings were carried from an earlier probe (readings-carry.ts). */
  get carried(): boolean {
    return this.seed.carried !== undefined;
  }

  config(): Promise<ConfigReading> {
    this.configP ??= (async () => {
      const config = await readOpenclawConfig(this.ctx.configPath, this.ctx.env, this.configText);
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
   * openclaw.json's text, read once per job: the config reading and the channel credentials
   * (for redaction) both read it, and see the same version of it. The config's own path only.
   */
  private readonly configText: ConfigTextReader = (path) => {
    if (path !== this.ctx.configPath) return readConfigText(path);
    this.configTextP ??= readConfigText(path);
    return this.configTextP;
  };

  /**
   * The port this config's running gateway holds, for when the file cannot be read: the gateway
   * keeps serving its last good config on its real port (measured on 2026.9.6). Only a process
   * shown to be ours by its lock or environment counts.
   */
  private async runningPort(): Promise<{ port: number; pid: number; ports: number[] } | undefined> {
    const [{ processes }, identities] = await Promise.all([this.gatewayProcesses(), this.gatewayIdentities()]);
    for (const g of processes) {
      if (hasExited(g.state) || (await this.sharesConfig(g, identities.get(g.pid))) !== true) continue;
      const ports = identities.get(g.pid)?.ports ?? [];
      const port = ports[0];
      if (port !== undefined) return { port, pid: g.pid, ports: [...ports] };
    }
    return undefined;
  }

  /** What each gateway-titled process holds (its lock, its ports): procfs only, else empty. */
  gatewayIdentities(): Promise<Map<number, GatewayIdentity>> {
    this.identitiesP ??= (async () => {
      const { method, processes } = await this.gatewayProcesses();
      if (method !== "procfs") return new Map<number, GatewayIdentity>();
      const pairs = await Promise.all(
        processes.map(
          async (g) =>
            [
              g.pid,
              await gatewayIdentity(this.ctx.procRoot, g.pid, this.tcpListeners(), (p) => this.openFileEntriesOf(p)),
            ] as const,
        ),
      );
      return new Map(pairs);
    })();
    return this.identitiesP;
  }

  /** Every gateway process on the host, whichever config it serves. */
  gatewayProcesses(): Promise<GatewayProcesses> {
    this.processesP ??= findGatewayProcesses(this.ctx.procRoot, this.ctx.env);
    return this.processesP;
  }

  /** The host's LISTEN sockets (/proc/net/tcp, tcp6), read once per job: see `readTcpListeners`. */
  private tcpListeners(): TcpSocket[] | undefined {
    if (!this.tcpListenersRead) {
      this.tcpListenersRead = true;
      this.tcpListenersValue = readTcpListeners(this.ctx.procRoot);
    }
    return this.tcpListenersValue;
  }

  /**
   * A process's descriptor links, read once per job: the gateway's identity (its lock, its
   * ports) and the port's owners each read the gateway's hundred-odd links otherwise.
   */
  readonly openFilesOf = (pid: number): Promise<string[]> => {
    let links = this.fdLinks.get(pid);
    if (!links) {
      links = this.openFileEntriesOf(pid).then((entries) => entries.map((e) => e.link));
      this.fdLinks.set(pid, links);
    }
    return links;
  };

  private openFileEntriesOf(pid: number): Promise<OpenFileEntry[]> {
    let entries = this.fdEntries.get(pid);
    if (!entries) {
      entries = openFileEntries(this.ctx.procRoot, pid);
      this.fdEntries.set(pid, entries);
    }
    return entries;
  }

  /** Who listens on the gateway port this host's config names. */
  portOwners(): Promise<PortOwners> {
    this.ownersP ??= this.config().then((config) => {
      const { port } = effectivePort(this.ctx, config);
      this.ownersPort = port;
      const carried = this.seed.carried;
      if (carried?.ownersPort === port) return carried.owners;
      return findPortOwners(this.ctx.procRoot, port, this.ctx.env, {
        // The carried listeners were checked for the carried port only: another is read fresh.
        listeners: carried ? readTcpListeners(this.ctx.procRoot) : this.tcpListeners(),
        openFilesOf: this.openFilesOf,
      });
    });
    return this.ownersP;
  }

  /**
   * This job's host readings as the watch may carry them into its next probes (readings-carry.ts),
   * or `undefined`: they were carried already, not all read, not read from procfs, or the host was
   * not healthy (a gateway-titled process not serving, stopped or exited; the port free or held by
   * something else than a gateway). Each gateway's listening sockets and lock files are kept by
   * descriptor, for the checks.
   */
  async carryable(): Promise<Omit<KeptReadings, "at"> | undefined> {
    const { lastPid } = this.seed;
    if (
      this.carried ||
      lastPid === undefined ||
      !this.processesP ||
      !this.identitiesP ||
      !this.ownersP ||
      !this.configTextP ||
      this.tcpListenersValue === undefined
    )
      return undefined;
    const listeners = this.tcpListenersValue;
    try {
      const [processes, identities, owners, configText] = await Promise.all([
        this.processesP,
        this.identitiesP,
        this.ownersP,
        this.configTextP,
      ]);
      const ownersPort = this.ownersPort;
      const keys = processes.keys;
      if (processes.method !== "procfs" || owners.method !== "procfs" || !keys || ownersPort === undefined) return;
      const gateways = new Set(processes.processes.map((g) => g.pid));
      if (gateways.size === 0 || owners.owners.length === 0) return;
      if (owners.owners.some((o) => o.pid === null || !gateways.has(o.pid))) return;
      const listening = new Set(listeners.map((l) => l.inode));
      const links: KeptReadings["links"][number][] = [];
      for (const g of processes.processes) {
        if (hasExited(g.state) || isStopped(g.state) || identities.get(g.pid)?.serving !== true) return;
        const entries = await this.fdEntries.get(g.pid);
        if (!entries) return;
        for (const { fd, link } of entries) {
          const socket = /^socket:\[(\d+)\]$/.exec(link)?.[1];
          if (
            (socket !== undefined && listening.has(Number(socket))) ||
            (link.startsWith("/") && link.endsWith(".lock"))
          )
            links.push({ pid: g.pid, fd, link });
        }
      }
      return {
        context: carryContext(this.ctx),
        lastPid,
        configText,
        keys,
        links,
        processes,
        identities,
        listeners,
        owners,
        ownersPort,
      };
    } catch {
      return undefined;
    }
  }

  /**
   * The gateway processes that serve this host's config, each on evidence: the gateway lock it
   * holds, else the config path or state dir its runtime environment names, else (when neither
   * says) holding the port this config names. A process that has exited (zombie) serves
   * nothing, and one that holds no lock and no port (an `openclaw gateway …` CLI command, a
   * gateway still loading) serves nobody yet. Other gateways on the host (another profile, a
   * test lab) are context: their tokens are not drift and their count is not a duplicate.
   */
  async ownGateways(): Promise<GatewayProcess[]> {
    const facts = await this.gatewayFacts();
    const { processes } = await this.gatewayProcesses();
    return processes.filter((g) => {
      const f = facts.get(g.pid);
      return !hasExited(g.state) && f?.servesThisConfig === true && f.serving !== false;
    });
  }

  /**
   * For every gateway-titled process: does it serve this config (on the evidence above), and
   * is it serving at all (`undefined` where procfs cannot say).
   */
  gatewayFacts(): Promise<Map<number, GatewayFact>> {
    // Asked for by most steps of a quick probe (ownGateways): decided once per job.
    this.factsP ??= this.readGatewayFacts();
    return this.factsP;
  }

  private async readGatewayFacts(): Promise<Map<number, GatewayFact>> {
    const [all, owners, config, identities] = await Promise.all([
      this.gatewayProcesses(),
      this.portOwners().catch((): PortOwners => ({ method: "procfs", owners: [] })),
      this.config(),
      this.gatewayIdentities(),
    ]);
    // 18789 as a fallback for a config we cannot read is a guess, not evidence.
    const guessedPort =
      effectivePort(this.ctx, config).source === "default" && !!(config.parseError || config.readError);
    const onPort = new Set(guessedPort ? [] : owners.owners.map((o) => o.pid));
    const facts = new Map<number, GatewayFact>();
    for (const g of all.processes) {
      const identity = identities.get(g.pid);
      const serves = (await this.sharesConfig(g, identity)) ?? onPort.has(g.pid);
      facts.set(g.pid, { servesThisConfig: serves, serving: identity?.serving });
    }
    return facts;
  }

  /**
   * The config lock it holds decides; else the config path or state dir its runtime env names
   * (its workers' env first: `--profile` sets them there). `undefined` when nothing can be read
   * (another user's process, one exiting): that proves nothing, and the port it holds must decide.
   */
  private async sharesConfig(g: GatewayProcess, identity: GatewayIdentity | undefined): Promise<boolean | undefined> {
    if (identity?.lockPath) return lockServesConfig(identity.lockPath, this.ctx);
    const named = envConfigIdentity(g);
    if (!named) return undefined;
    if (named.configPath) return named.configPath === this.ctx.configPath;
    return named.stateDir === this.ctx.stateDir;
  }

  /**
   * The certificate file a TLS gateway serves from, read once per job: `gateway.tls` reports its
   * facts, and every probe of the gateway pins its fingerprint (resolveGatewayTarget), as
   * OpenClaw's local clients do. Asked only when the config enables TLS.
   */
  tlsFile(): Promise<TlsFileReading> {
    this.tlsFileP ??= this.config().then((config) =>
      readGatewayTlsFile(this.ctx, config.tls ?? { enabled: true, certPath: null, remoteFingerprint: null }),
    );
    return this.tlsFileP;
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
    // Chat bot tokens too (issue 30 reads them for fingerprints): a log line may quote one.
    for (const c of await this.channelSecrets()) values.add(c.value);
    return [...values];
  }

  /** The chat credentials the config names (values: for redaction and fingerprints only), read once per job. */
  channelSecrets(): Promise<ChannelSecret[]> {
    this.channelSecretsP ??= readChannelSecrets(this.ctx.configPath, this.ctx.env, this.configText).catch(() => []);
    return this.channelSecretsP;
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
