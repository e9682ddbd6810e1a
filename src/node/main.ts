import { resolve } from "node:path";
import { normalizeHostName } from "../core/commands.ts";
import { localHostName, startLocalAgent } from "./local-agent.ts";
import { createLogger } from "./logger.ts";
import { parseChannelList } from "./recovery-wiring.ts";
import { startControlPlane } from "./server.ts";

/**
 * `npm start`: the control plane on 127.0.0.1 with state in SQLite under the data folder,
 * plus an agent for this machine. Slack is served when both Slack variables are set;
 * otherwise (or with CLAWOPS_CONSOLE=1) the local console is.
 */
async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger("clawops");
  const dataDir = resolve(env.CLAWOPS_DATA_DIR ?? "data");
  const signingSecret = env.SLACK_SIGNING_SECRET;
  const botToken = env.SLACK_BOT_TOKEN;
  if (!!signingSecret !== !!botToken) {
    throw new Error("Set both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN for Slack, or neither for the local console.");
  }
  const slack = signingSecret && botToken ? { signingSecret, botToken, apiUrl: env.SLACK_API_URL } : undefined;
  const bind = env.CLAWOPS_BIND ?? "127.0.0.1";
  const consoleOn = !slack || env.CLAWOPS_CONSOLE === "1";
  if (consoleOn && !isLoopback(bind)) {
    // The console API issues enrollment codes and runs triages without authentication: it is
    // safe only where nobody but this machine can reach it.
    throw new Error(
      `The local console has no authentication, so it is served on loopback only (CLAWOPS_BIND=${bind}). ` +
        "Keep CLAWOPS_BIND=127.0.0.1, or configure Slack (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN) without CLAWOPS_CONSOLE=1.",
    );
  }
  const cp = await startControlPlane({
    port: Number(env.CLAWOPS_PORT ?? 8787),
    bind,
    dataDir,
    slack,
    console: consoleOn,
    logger,
    recovery: {
      authzFile: env.CLAWOPS_AUTHZ_FILE || undefined,
      announceChannels: parseChannelList(env.CLAWOPS_ANNOUNCE_CHANNELS),
    },
  });
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
    slack ? `  Slack slash commands: POST ${cp.url}/slack/commands` : null,
    cp.consoleChat ? `  Local console:        ${cp.url}/console` : null,
    `  Agents connect to:    ${cp.url.replace(/^http/, "ws")}/agent/connect`,
    agent ? `  Local agent host:     ${agent.host}   (try: npm run clawops -- triage ${agent.host})` : null,
    `  Data:                 ${dataDir}`,
    "",
  ].filter((l) => l !== null);
  process.stdout.write(`${lines.join("\n")}\n`);

  const shutdown = async (signal: string) => {
    logger.info("shutting down", { signal });
    await agent?.stop();
    await cp.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

main().catch((err: unknown) => {
  process.stderr.write(`clawops: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
