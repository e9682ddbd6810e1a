import type {
  ConfigData,
  DoctorLintData,
  GatewayEnvData,
  GatewayHttpData,
  GatewayInventoryData,
  GatewayStatusData,
  GatewayTlsData,
  GatewayVitalsData,
  GatewayWsData,
  LogSignaturesData,
  ModelsStatusData,
  PortListenersData,
  ServiceDefinitionData,
  ServiceStateData,
  StateFilesData,
  StateLocksData,
  StepResult,
  TokensData,
  VersionsData,
} from "../../src/contract/catalog.ts";
import { TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";

/**
 * Step results shaped like a real gateway's, field values taken from the captures in
 * shared/openclaw (GATEWAY-FACTS §3–§6). `healthyResults()` is a healthy loopback gateway
 * on port 19001; each fault helper changes only what that fault changes.
 */
const URL_ = "ws://127.0.0.1:19001";

export function healthyData() {
  const versions: VersionsData = {
    agent: "0.1.0",
    openclaw: "2026.9.6",
    openclawRaw: "OpenClaw 2026.9.6 (eb377ac)",
    os: "Debian GNU/Linux 12 (bookworm)",
    node: "v24.21.0",
  };
  const ws: GatewayWsData = {
    url: URL_,
    outcome: "hello-ok",
    challenged: true,
    handshakeMs: 24,
    tokenSource: "config",
    server: { version: "2026.9.6", protocol: 4, uptimeMs: 274971, appliedConfigHash: "hmac-sha256:v1:r9_jaIB" },
    auth: { method: "token", role: "operator", scopes: ["operator.read"] },
    statusRpc: { ok: true },
    healthRpc: {
      ok: true,
      hotReloadStatus: "active",
      channels: {},
      heartbeatSeconds: 1800,
      modelRuntimeDegraded: false,
    },
    cronRpc: { ok: true, enabled: true, jobs: 0, nextWakeAtMs: null, failing: [] },
    // A gateway in service holds its provider's key (static: an API key from env or config).
    modelsRpc: { ok: true, providers: [{ provider: "openai", status: "static" }] },
  };
  const http: GatewayHttpData = {
    baseUrl: "http://127.0.0.1:19001",
    healthz: { status: 200, body: { ok: true, status: "live" } },
    readyz: { status: 200, body: { ready: true, failing: [] } },
  };
  const listeners: PortListenersData = {
    port: 19001,
    method: "procfs",
    listeners: [
      { pid: 8088, command: "openclaw-gatewa", address: "127.0.0.1:19001" },
      { pid: 8088, command: "openclaw-gatewa", address: "[::1]:19001" },
    ],
    gatewayProcesses: [{ pid: 8088, command: "openclaw-gatewa", commandLine: "openclaw-gateway" }],
  };
  const config: ConfigData = {
    path: "/home/op/.openclaw/openclaw.json",
    exists: true,
    mode: "local",
    bind: "loopback",
    port: 19001,
    portSource: "config",
    authMode: "token",
    tokenConfigured: true,
    workspace: { path: "/home/op/workspace", exists: true, isDirectory: true },
    modelRefs: [{ ref: "openai/gpt-6-astra", source: "agents.defaults.model" }],
  };
  const tokens: TokensData = {
    sources: [
      {
        source: "config",
        where: "/home/op/.openclaw/openclaw.json",
        present: true,
        fingerprint: "sha256:1a2b3c4d5e6f",
      },
    ],
    distinct: 1,
  };
  const status: GatewayStatusData = {
    exitCode: 0,
    timedOut: false,
    json: {
      serviceLabel: "no supported service manager detected",
      serviceLoaded: false,
      runtimeStatus: "unknown",
      portStatus: "busy",
      rpcOk: true,
      rpcCapability: "connected_no_operator_scope",
      gatewayVersion: "2026.9.6",
      extraServices: 0,
    },
  };
  // The two warnings every healthy gateway has (captures/up/doctor-lint-json.out).
  const lint: DoctorLintData = {
    exitCode: 1,
    timedOut: false,
    schemaVersion: 1,
    ok: false,
    checksRun: 35,
    findings: [
      {
        checkId: "core/doctor/node-hosting-preconditions",
        severity: "warning",
        message: "Gateway is only bound to loopback. Set gateway.bind=lan, enable tailscale serve, or configure …",
        path: "gateway.bind",
      },
      {
        checkId: "core/doctor/security",
        severity: "warning",
        message: "WARNING: openclaw.json contains plaintext secret-bearing config fields.",
      },
    ],
  };
  // captures/up/models-status-json.out, with the provider's credentials in place: a gateway in
  // service has them (freshGatewayModels() is the just-set-up state).
  const models: ModelsStatusData = {
    exitCode: 0,
    timedOut: false,
    json: {
      defaultModel: "openai/gpt-6-astra",
      resolvedDefault: "openai/gpt-6-astra",
      fallbacks: [],
      missingProvidersInUse: [],
      modelRouteIssues: [],
      runtimeAuthRoutes: [{ provider: "openai", runtime: "codex", status: "ok" }],
    },
    configModelRefs: [],
    cliOnlyRoutes: [],
  };
  const logs: LogSignaturesData = {
    found: true,
    path: "/tmp/openclaw/openclaw-2026-11-22.log",
    tried: ["/tmp/openclaw/openclaw-2026-11-22.log", "/tmp/openclaw/openclaw-2026-11-21.log"],
    bytesRead: 129_851,
    linesScanned: 412,
    linesSkipped: 0,
    newestAt: "2026-11-22T06:25:10.004+00:00",
    signatures: [
      {
        kind: "gateway-ready",
        count: 1,
        lastAt: "2026-11-22T06:16:31.912+00:00",
        examples: ["2026-11-22T06:16:31.912+00:00 [gateway] gateway ready"],
      },
    ],
  };
  // A gateway run by hand (the lab's): no supervisor to ask.
  const service: ServiceStateData = {
    supervisor: "manual",
    source: "detected",
    listenerPid: 8088,
    state: null,
    journal: null,
  };
  // Issue 30's field probes on the same host: a roomy disk, SQLite headers intact, no unit
  // (run by hand), the config reads no variable, the 14 plugins of a fresh install loaded.
  const files: StateFilesData = {
    stateDir: "/home/op/.openclaw",
    quick: false,
    volumes: [
      {
        holds: ["state", "logs"],
        path: "/home/op/.openclaw",
        totalBytes: 107_374_182_400,
        freeBytes: 64_424_509_440,
        level: "ok",
      },
    ],
    databases: [
      {
        path: "/home/op/.openclaw/state/openclaw.sqlite",
        role: "state",
        sizeBytes: 1_212_416,
        header: "sqlite",
        walBytes: 4_152_992,
      },
    ],
    mappedDeleted: [],
    logs: {
      dir: "/tmp/openclaw",
      files: 1,
      totalBytes: 129_851,
      largest: { path: "/tmp/openclaw/openclaw-2026-11-22.log", sizeBytes: 129_851 },
    },
    transcripts: {
      files: 1,
      totalBytes: 65_536,
      largest: { path: "/home/op/.openclaw/agents/main/agent/openclaw-agent.sqlite", sizeBytes: 65_536 },
      truncated: false,
    },
    clobbered: [],
  };
  const definition: ServiceDefinitionData = { supervisor: "manual", path: null };
  const env: GatewayEnvData = { pid: 8088, references: [], shellImport: false, proxies: { process: [], agent: [] } };
  const inventory: GatewayInventoryData = {
    reachable: true,
    plugins: {
      loaded: [
        "anthropic",
        "browser",
        "canvas",
        "cua-computer",
        "device-pair",
        "file-transfer",
        "geolocation",
        "github",
        "linux-node",
        "memory-core",
        "ollama",
        "openai",
        "talk-voice",
        "xai",
      ],
      errors: [],
      unavailable: [],
    },
    nodes: [],
    configWarnings: [],
  };
  // Issue 30: one sample so far (no slope, no baseline), no limit set; the gateway's own lock, held by it.
  const vitals: GatewayVitalsData = {
    pid: 8088,
    memory: {
      rssBytes: 870_000_000,
      limitBytes: null,
      limitSource: null,
      maxOldSpaceMb: null,
      heapUsedBytes: 252_000_000,
      samples: 1,
      spanMs: 0,
      slopeBytesPerHour: null,
      heapSlopeBytesPerHour: null,
      hoursLeft: null,
      hoursLeftTo: null,
      outlook: "unknown",
    },
    responsiveness: {
      lastMs: 4,
      baselineMs: null,
      samples: 1,
      slowStreak: 0,
      gatewayDegraded: false,
      gatewayReasons: [],
    },
    channelCredentials: [],
  };
  const locks: StateLocksData = {
    stateDir: "/home/op/.openclaw",
    lockDir: "/home/op/.openclaw/tmp/openclaw-1000",
    gatewayLocks: [
      {
        path: "/home/op/.openclaw/tmp/openclaw-1000/gateway.cc1a5b86.lock",
        kind: "config",
        pid: 8088,
        createdAt: "2026-11-22T06:16:24.102Z",
        port: 19001,
        role: null,
        owner: "alive",
        ownerCommand: "openclaw-gatewa",
        heldOpen: true,
      },
    ],
    writeLocks: [],
    scanned: 1,
    truncated: false,
  };
  return {
    versions,
    ws,
    http,
    listeners,
    config,
    tokens,
    status,
    lint,
    models,
    logs,
    service,
    files,
    definition,
    env,
    inventory,
    vitals,
    locks,
    tls: { enabled: false, certPath: null } as GatewayTlsData,
  };
}

/** `models status --json` of a just-set-up gateway: no provider credentials (captures/up). */
export function freshGatewayModels(): ModelsStatusData {
  return {
    exitCode: 0,
    timedOut: false,
    json: {
      defaultModel: "openai/gpt-6-astra",
      resolvedDefault: "openai/gpt-6-astra",
      fallbacks: [],
      missingProvidersInUse: ["openai"],
      modelRouteIssues: [],
      runtimeAuthRoutes: [
        { provider: "openai", runtime: "codex", status: "unavailable", runtimeReason: "owner-plugin-not-activatable" },
      ],
    },
    configModelRefs: [],
    cliOnlyRoutes: [],
  };
}

export type Data = ReturnType<typeof healthyData>;

export function toResults(d: Data): StepResult[] {
  return [
    { step: "versions", status: "ok", durationMs: 90, data: d.versions },
    { step: "gateway.ws", status: "ok", durationMs: 40, data: d.ws },
    { step: "gateway.http", status: "ok", durationMs: 6, data: d.http },
    { step: "port.listeners", status: "ok", durationMs: 12, data: d.listeners },
    { step: "config", status: "ok", durationMs: 3, data: d.config },
    { step: "tokens", status: "ok", durationMs: 4, data: d.tokens },
    { step: "gateway.status", status: "ok", durationMs: 2800, data: d.status },
    { step: "models.status", status: "ok", durationMs: 2200, data: d.models },
    { step: "logs.signatures", status: "ok", durationMs: 15, data: d.logs },
    { step: "service.state", status: "ok", durationMs: 9, data: d.service },
    { step: "state.files", status: "ok", durationMs: 6, data: d.files },
    { step: "service.definition", status: "ok", durationMs: 3, data: d.definition },
    { step: "gateway.env", status: "ok", durationMs: 4, data: d.env },
    { step: "gateway.inventory", status: "ok", durationMs: 35, data: d.inventory },
    { step: "gateway.vitals", status: "ok", durationMs: 18, data: d.vitals },
    { step: "state.locks", status: "ok", durationMs: 7, data: d.locks },
    { step: "gateway.tls", status: "ok", durationMs: 2, data: d.tls },
    { step: "doctor.lint", status: "ok", durationMs: 9200, data: d.lint },
  ];
}

export const healthyResults = () => toResults(healthyData());

/**
 * The short answer a scripted agent gives in the Slack and alert tests: versions and a
 * healthy `gateway.ws` handshake only (no finding; enough for a triage to read "healthy").
 * A function, so no test can change another's copy.
 */
export const scriptedHealthyResults = (): StepResult[] => [
  {
    step: "versions",
    status: "ok",
    durationMs: 80,
    data: { agent: "0.1.0", openclaw: "2026.9.6", os: "Debian GNU/Linux 12", node: "v24.21.0" },
  },
  {
    step: "gateway.ws",
    status: "ok",
    durationMs: 40,
    data: {
      url: "ws://127.0.0.1:19001",
      outcome: "hello-ok",
      challenged: true,
      handshakeMs: 31,
      tokenSource: "config",
      server: { version: "2026.9.6", protocol: 4 },
      auth: { method: "token", role: "operator", scopes: ["operator.read"] },
      statusRpc: { ok: true },
      healthRpc: { ok: true, channels: {}, heartbeatSeconds: 1800 },
    },
  },
];

/** What a triage gets from an agent since issue 17: its plan's steps only (no `gateway status`, no `models status`). */
export const triageResults = (d: Data): StepResult[] =>
  toResults(d).filter((r) => (TRIAGE_STEP_NAMES as readonly string[]).includes(r.step));

/** Fault (a): started with `--token X` while the config has Y (GATEWAY-FACTS §6a, §4.3). */
export function tokenDriftData(): Data {
  const d = healthyData();
  d.ws = {
    url: URL_,
    outcome: "rejected",
    challenged: true,
    tokenSource: "config",
    error: {
      code: "INVALID_REQUEST",
      message: "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)",
      detailCode: "AUTH_TOKEN_MISMATCH",
    },
    close: {
      code: 1008,
      reason: "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)",
    },
  };
  d.tokens = {
    sources: [
      {
        source: "config",
        where: "/home/op/.openclaw/openclaw.json",
        present: true,
        fingerprint: "sha256:1a2b3c4d5e6f",
      },
      { source: "process-argv", where: "pid 28461", present: true, fingerprint: "sha256:99aa88bb77cc" },
    ],
    distinct: 2,
    accepted: {
      tested: [{ fingerprint: "sha256:99aa88bb77cc", result: "accepted" }],
      fingerprint: "sha256:99aa88bb77cc",
    },
  };
  d.status.json = {
    ...d.status.json,
    rpcOk: false,
    rpcCapability: "unknown",
    connectFailureKind: "auth-rejected",
    connectFailureDetailCode: "AUTH_TOKEN_MISMATCH",
  };
  d.inventory = {
    reachable: false,
    error: "rejected: unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)",
  };
  return d;
}

/** Fault (b): gateway stopped, port free (GATEWAY-FACTS §6b). */
export function gatewayDownData(): Data {
  const d = healthyData();
  d.ws = {
    url: URL_,
    outcome: "refused",
    challenged: false,
    tokenSource: "config",
    error: { message: "connect ECONNREFUSED 127.0.0.1:19001" },
  };
  d.http = {
    baseUrl: "http://127.0.0.1:19001",
    healthz: { status: null, error: "connect ECONNREFUSED 127.0.0.1:19001" },
    readyz: { status: null, error: "connect ECONNREFUSED 127.0.0.1:19001" },
  };
  d.listeners = { port: 19001, method: "procfs", listeners: [], gatewayProcesses: [] };
  // A stopped gateway reads nothing and answers nothing; a clean stop removed its lock.
  d.vitals = {
    pid: null,
    memory: null,
    responsiveness: {
      lastMs: null,
      baselineMs: null,
      samples: 0,
      slowStreak: 0,
      gatewayDegraded: null,
      gatewayReasons: [],
    },
    channelCredentials: [],
  };
  d.locks = { ...d.locks, gatewayLocks: [] };
  d.status = {
    exitCode: 0,
    timedOut: false,
    json: {
      ...d.status.json,
      portStatus: "free",
      rpcOk: false,
      rpcCapability: "unknown",
      connectFailureKind: "unreachable",
      rpcError: "connect ECONNREFUSED 127.0.0.1:19001",
    },
  };
  d.service = {
    supervisor: "unknown",
    source: "none",
    listenerPid: null,
    state: null,
    journal: null,
    error: "no gateway listens and no openclaw service unit was found",
  };
  d.env = { ...d.env, pid: null };
  d.inventory = { reachable: false, error: "refused: connect ECONNREFUSED 127.0.0.1:19001" };
  return d;
}
