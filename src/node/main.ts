import "./heap-settings.ts";
import { errorMessage } from "../contract/errors.ts";
import { consoleBannerLines } from "./banner.ts";
import { controlPlaneSettings, loadNodeConfig } from "./config/load.ts";
import { acquireInstanceLock } from "./instance-lock.ts";
import { startLocalAgent } from "./local-agent.ts";
import { createLogger } from "./logger.ts";
import { startControlPlane } from "./server.ts";
import { checkSlackAtStart, slackBannerLine } from "./slack-check.ts";

/**
 * `npm start`: the control plane on 127.0.0.1 with state in SQLite under the data folder,
 * plus an agent for this machine. Slack is served when both Slack variables are set;
 * otherwise (or with CLAWOPS_CONSOLE=1) the local console is.
 */
async function main(): Promise<void> {
  // Every variable parsed at once; every problem listed (src/node/config/schema.ts).
  const loaded = await loadNodeConfig(process.env);
  if (!loaded.ok) {
    const n = loaded.problems.length;
    throw new Error(
      `the configuration has ${n} problem${n === 1 ? "" : "s"} (\`clawops config\` shows every setting and where it came from):\n${loaded.problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  const { config } = loaded;
  const v = config.values;
  const logger = createLogger("clawops", { level: v.LOG_LEVEL });
  const fromSsm = Object.entries(config.sources).filter(([, s]) => s === "Parameter Store");
  if (fromSsm.length > 0)
    logger.info("secrets read from Parameter Store", { names: fromSsm.map(([n]) => n).join(", ") });
  const dataDir = v.CLAWOPS_DATA_DIR;
  // One control plane per data folder: a second start stops here, naming the first's pid and URL.
  const instance = acquireInstanceLock(dataDir);
  const settings = controlPlaneSettings(config, logger);
  const { slack, metricsToken } = settings;
  const appToken = v.SLACK_APP_TOKEN;
  const botToken = v.SLACK_BOT_TOKEN;
  // The AWS SDK (and Bolt, below) load only when configured, so a plain install starts as fast as before.
  const inventory = v.CLAWOPS_SSM_INVENTORY ?? v.CLAWOPS_SSM_INVENTORY_JSON;
  const ssm = inventory
    ? await import("./ssm-wiring.ts").then((kit) =>
        kit.ssmSetup(inventory, v.CLAWOPS_TRANSPORT === "ssm" ? "ssm" : "hub", kit.ssmClients(process.env), logger),
      )
    : null;
  // Slack's tokens checked before anything listens: a wrong one refuses the start, saying which.
  const slackIdentity =
    slack && botToken
      ? await checkSlackAtStart({ botToken, ...(appToken ? { appToken } : {}), apiUrl: v.SLACK_API_URL, logger })
      : null;
  const cp = await startControlPlane({ ...settings, ...(ssm ? { transport: ssm.transport } : {}) });
  instance.setUrl(cp.url);
  const ssmHosts = ssm ? await ssm.registerHosts(cp.store, Date.now()) : [];
  // Socket Mode: Slack without a public URL (SLACK_APP_TOKEN, an xapp- app-level token).
  const socket =
    appToken && botToken
      ? await (await import("./slack-socket-mode.ts")).startSocketMode({
          appToken,
          botToken,
          apiUrl: v.SLACK_API_URL,
          deps: cp.deps,
          logger,
        })
      : null;
  const agent = v.CLAWOPS_LOCAL_AGENT
    ? await startLocalAgent(cp, { dataDir, host: v.CLAWOPS_LOCAL_HOST, logger })
    : null;
  const lines = [
    "",
    `clawops is running at ${cp.url}`,
    `  Address:              ${cp.url.replace(/^https?:\/\//, "")} (CLAWOPS_BIND, CLAWOPS_PORT); the CLI run in this folder finds it, elsewhere give it --server ${cp.url} or CLAWOPS_URL`,
    slackIdentity
      ? slackBannerLine(
          slackIdentity,
          [slack?.signingSecret ? "HTTP" : null, socket ? "Socket Mode" : null].filter(Boolean).join(" and "),
        )
      : null,
    slack?.signingSecret ? `  Slack slash commands: POST ${cp.url}/slack/commands` : null,
    slack?.signingSecret
      ? `  Slack events:         POST ${cp.url}/slack/events (thread messages; docs/slack.md)`
      : null,
    v.CLAWOPS_ALERT_TOKEN ? `  Alert webhooks:       POST ${cp.url}/alerts/alertmanager, /alerts/grafana` : null,
    v.PAGERDUTY_WEBHOOK_SECRET ? `  PagerDuty webhooks:   POST ${cp.url}/alerts/pagerduty` : null,
    v.JIRA_WEBHOOK_SECRET ? `  Jira webhook:         POST ${cp.url}/tickets/jira/webhook` : null,
    socket ? "  Slack Socket Mode:    connected" : null,
    // A live login link only to a terminal, never into a log (the journal under systemd).
    ...(cp.consoleChat
      ? consoleBannerLines({ url: cp.url, dataDir, terminal: !!process.stdout.isTTY, loginUrl: cp.consoleLoginUrl })
      : []),
    `  Agents connect to:    ${cp.url.replace(/^http/, "ws")}/agent/connect`,
    `  Probes:               ${cp.url}/livez, ${cp.url}/readyz; metrics: ${cp.url}/metrics ${metricsToken ? "(bearer CLAWOPS_METRICS_TOKEN)" : "(off: set CLAWOPS_METRICS_TOKEN)"}`,
    agent ? `  Local agent host:     ${agent.host}   (try: bin/clawops triage ${agent.host})` : null,
    ssmHosts.length > 0 ? `  Hosts added from the SSM inventory: ${ssmHosts.join(", ")}` : null,
    `  Data:                 ${dataDir}`,
    "",
  ].filter((l) => l !== null);
  process.stdout.write(`${lines.join("\n")}\n`);

  const shutdown = async (signal: string) => {
    logger.info("shutting down", { signal });
    await socket?.stop();
    // Drain first, then stop the local agent (issue 44, item 3: stopped first, its running triage
    // was answered "lost" although its last probe finished within the drain's allowance). The
    // drain lets that work finish with the agents connected, then closes them with 1001.
    await cp.close();
    await agent?.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(`clawops: ${errorMessage(err)}\n`);
  process.exit(1);
});
