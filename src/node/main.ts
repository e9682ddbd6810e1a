import { resolve } from "node:path";
import { errorMessage } from "../contract/errors.ts";
import { parseLogLevel } from "../contract/log-level.ts";
import { parseHostLabels } from "../core/alerts/host-map.ts";
import { parseTriageEveryMs } from "../core/alerts/receive.ts";
import { watchSettingsFromEnv } from "../core/hosts/watch-state.ts";
import { parseIncidentRouting } from "../core/incidents/routing.ts";
import { parseCommandName } from "../core/messages/command-name.ts";
import { normalizeHostName } from "../core/vocabulary/hosts.ts";
import { localHostName, startLocalAgent } from "./local-agent.ts";
import { createLogger } from "./logger.ts";
import { parseChannelList, parseWarnMinutes } from "./recovery-wiring.ts";
import { resolveSecrets } from "./secrets.ts";
import { startControlPlane } from "./server.ts";

/**
 * `npm start`: the control plane on 127.0.0.1 with state in SQLite under the data folder,
 * plus an agent for this machine. Slack is served when both Slack variables are set;
 * otherwise (or with CLAWOPS_CONSOLE=1) the local console is.
 */
// Kept whole (issue 13): `npm start`'s wiring, read top to bottom in start-up order.
async function main(): Promise<void> {
  const env = process.env;
  const level = parseLogLevel(env.LOG_LEVEL);
  if (!level.ok) throw new Error(level.message);
  const logger = createLogger("clawops", { level: level.level });
  const dataDir = resolve(env.CLAWOPS_DATA_DIR ?? "data");
  // Secrets from the environment, or from SSM Parameter Store (CLAWOPS_SSM_PARAMETER_PATH).
  // The AWS SDK (and Bolt, below) load only when configured, so a plain install starts as fast as before.
  const awsWanted =
    [env.CLAWOPS_SSM_PARAMETER_PATH, env.CLAWOPS_SSM_INVENTORY, env.CLAWOPS_SSM_INVENTORY_JSON].some(Boolean) ||
    env.CLAWOPS_TRANSPORT === "ssm";
  const awsKit = awsWanted ? await import("./ssm-wiring.ts") : null;
  const aws = awsKit?.ssmClients(env);
  const { secrets, sources } = await resolveSecrets(env, () => {
    if (!aws) throw new Error("AWS is not configured");
    return aws();
  });
  if (Object.values(sources).includes("ssm")) logger.info("secrets read from Parameter Store", sources);
  const signingSecret = secrets.SLACK_SIGNING_SECRET;
  const botToken = secrets.SLACK_BOT_TOKEN;
  const ssm = awsKit && aws ? awsKit.ssmFromEnv(env, aws, logger) : null;
  const appToken = secrets.SLACK_APP_TOKEN;
  const metricsToken = secrets.CLAWOPS_METRICS_TOKEN;
  if (metricsToken !== undefined && metricsToken.length < MIN_METRICS_TOKEN_LENGTH) {
    throw new Error(
      `CLAWOPS_METRICS_TOKEN is ${metricsToken.length} characters; use at least ${MIN_METRICS_TOKEN_LENGTH} random ones (e.g. \`openssl rand -hex 32\`).`,
    );
  }
  if (appToken && !botToken) throw new Error("SLACK_APP_TOKEN (Socket Mode) needs SLACK_BOT_TOKEN too.");
  if (!appToken && !!signingSecret !== !!botToken) {
    throw new Error(
      "Set both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN for Slack (or SLACK_APP_TOKEN and SLACK_BOT_TOKEN for Socket Mode), or none for the local console.",
    );
  }
  const slack =
    botToken && (signingSecret || appToken) ? { signingSecret, botToken, apiUrl: env.SLACK_API_URL } : undefined;
  const bind = env.CLAWOPS_BIND ?? "127.0.0.1";
  const consoleOn = !slack || env.CLAWOPS_CONSOLE === "1";
  if (consoleOn && !isLoopback(bind)) {
    // The console is one operator's, on this machine: it answers only to loopback host names,
    // so on another address it would refuse everyone anyway.
    throw new Error(
      `The local console is served on loopback only (CLAWOPS_BIND=${bind}). ` +
        "Keep CLAWOPS_BIND=127.0.0.1, or configure Slack (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN) without CLAWOPS_CONSOLE=1.",
    );
  }
  const cp = await startControlPlane({
    port: Number(env.CLAWOPS_PORT ?? 8787),
    bind,
    dataDir,
    slack,
    metricsToken,
    console: consoleOn,
    logger,
    // OpenClaw's own Slack app registers /openclaw too: a workspace with both names ours apart.
    commandName: parseCommandName(env.CLAWOPS_COMMAND),
    // Where watch transitions, alerts and automatic freezes open their threads.
    incidents: parseIncidentRouting(env.CLAWOPS_INCIDENT_CHANNEL, env.CLAWOPS_HOST_CHANNELS),
    // Agents probe their gateway every 30 s and report changes (docs/watch.md).
    watch: watchSettingsFromEnv(env),
    // Alert webhooks (docs/alerts.md): each route answers 503 while its secret is unset.
    alerts: {
      token: secrets.CLAWOPS_ALERT_TOKEN,
      pagerdutySecret: secrets.PAGERDUTY_WEBHOOK_SECRET,
      policy: {
        hostLabels: parseHostLabels(env.CLAWOPS_ALERT_HOST_LABELS),
        triageEveryMs: parseTriageEveryMs(env.CLAWOPS_ALERT_TRIAGE_MINUTES),
      },
    },
    // The bundle link key and ticket tokens, wherever they came from.
    bundleEnv: { ...env, ...secrets },
    ...(ssm ? { transport: ssm.transport } : {}),
    recovery: {
      authzFile: env.CLAWOPS_AUTHZ_FILE || undefined,
      announceChannels: parseChannelList(env.CLAWOPS_ANNOUNCE_CHANNELS),
      freezePolicyFile: env.CLAWOPS_FREEZE_POLICY || undefined,
      freezeWarnMin: parseWarnMinutes(env.CLAWOPS_FREEZE_WARN_MIN),
    },
  });
  const ssmHosts = ssm ? await ssm.registerHosts(cp.store, Date.now()) : [];
  // Socket Mode: Slack without a public URL (SLACK_APP_TOKEN, an xapp- app-level token).
  const socket =
    appToken && botToken
      ? await (await import("./slack-socket-mode.ts")).startSocketMode({
          appToken,
          botToken,
          apiUrl: env.SLACK_API_URL,
          deps: cp.deps,
          logger,
        })
      : null;
  const agent =
    env.CLAWOPS_LOCAL_AGENT === "0"
      ? null
      : await startLocalAgent(cp, {
          dataDir,
          host: normalizeHostName(env.CLAWOPS_LOCAL_HOST ?? localHostName()),
          logger,
        });
  const lines = [
    "",
    `clawops is running at ${cp.url}`,
    slack?.signingSecret ? `  Slack slash commands: POST ${cp.url}/slack/commands` : null,
    secrets.CLAWOPS_ALERT_TOKEN ? `  Alert webhooks:       POST ${cp.url}/alerts/alertmanager, /alerts/grafana` : null,
    secrets.PAGERDUTY_WEBHOOK_SECRET ? `  PagerDuty webhooks:   POST ${cp.url}/alerts/pagerduty` : null,
    socket ? "  Slack Socket Mode:    connected" : null,
    cp.consoleChat ? `  Local console:        ${cp.consoleLoginUrl()}` : null,
    cp.consoleChat
      ? "                        (a one-time login link; `npm run clawops -- login` prints another)"
      : null,
    `  Agents connect to:    ${cp.url.replace(/^http/, "ws")}/agent/connect`,
    `  Probes:               ${cp.url}/livez, ${cp.url}/readyz; metrics: ${cp.url}/metrics ${metricsToken ? "(bearer CLAWOPS_METRICS_TOKEN)" : "(off: set CLAWOPS_METRICS_TOKEN)"}`,
    agent ? `  Local agent host:     ${agent.host}   (try: npm run clawops -- triage ${agent.host})` : null,
    ssmHosts.length > 0 ? `  Hosts added from the SSM inventory: ${ssmHosts.join(", ")}` : null,
    `  Data:                 ${dataDir}`,
    "",
  ].filter((l) => l !== null);
  process.stdout.write(`${lines.join("\n")}\n`);

  const shutdown = async (signal: string) => {
    logger.info("shutting down", { signal });
    await socket?.stop();
    await agent?.stop();
    await cp.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

/** The shortest /metrics token accepted: a guessable one would let anyone read the fleet's shape. */
const MIN_METRICS_TOKEN_LENGTH = 16;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

main().catch((err: unknown) => {
  process.stderr.write(`clawops: ${errorMessage(err)}\n`);
  process.exit(1);
});
