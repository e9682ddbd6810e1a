import { App, type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import {
  commandFromSlash,
  commandPressFromInteraction,
  ephemeral,
  pressFromInteraction,
} from "../adapters/slack/envelope.ts";
import { errorMessage } from "../contract/errors.ts";
import { handleCommand } from "../core/commands/handle.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { CoreDeps } from "../core/ports/deps.ts";
import { requireRecovery } from "../core/ports/deps.ts";
import { handleButtonPress } from "../core/recover/press.ts";
import { ackThroughResponseUrl, handleCommandPress } from "../core/router/press.ts";

export interface SocketModeOptions {
  /** App-level token (xapp-…) with the connections:write scope. */
  appToken: string;
  /** Bot token (xoxb-…); replies go through the core's ChatPort, which holds the same token. */
  botToken: string;
  /** Slack Web API base (SLACK_API_URL), for apps.connections.open; default Slack's. */
  apiUrl?: string;
  deps: CoreDeps;
  logger: Logger;
}

export interface SocketModeHandle {
  stop(): Promise<void>;
}

/**
 * Slack over Socket Mode for installs with no public URL: Bolt opens the WebSocket
 * (apps.connections.open with the app token), and each slash-command envelope goes to the same
 * `handleCommand` the HTTP endpoint (POST /slack/commands) calls, with the same idempotency key,
 * so a command behaves the same whichever way it arrived. The ack carries the ephemeral reply;
 * the slow half (triage) runs after it, as on HTTP.
 */
export async function startSocketMode(opts: SocketModeOptions): Promise<SocketModeHandle> {
  const { deps, logger } = opts;
  const clientOptions = opts.apiUrl ? { slackApiUrl: `${opts.apiUrl.replace(/\/+$/, "")}/` } : undefined;
  const app = new App({
    appToken: opts.appToken,
    socketMode: true,
    // Single workspace: every envelope is ours. No auth.test round trip per event; the bot
    // token is used by the core's ChatPort and checked by its first chat.postMessage.
    authorize: async () => ({ botToken: opts.botToken }),
    logger: boltLogger(logger),
    logLevel: LogLevel.INFO,
    ...(clientOptions ? { clientOptions, installerOptions: { clientOptions } } : {}),
  });
  const inFlight = new Set<Promise<void>>();

  app.command(/.*/, async ({ command, ack }) => {
    const reply = await handleCommand(deps, commandFromSlash(command));
    await ack(ephemeral(reply.ack) as never);
    if (reply.background) {
      const task = reply
        .background()
        .catch((err) => logger.error("background task failed", { err: String(err) }))
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  });

  // Interactivity: command buttons on answers, and the recovery runbook's confirmation buttons. The same parse and handler as
  // POST /slack/interactions (the socket is authenticated by the app token instead of a
  // signature); anything else is acked so Slack does not retry it.
  app.action(/.*/, async ({ ack, body }) => {
    await ack();
    const commandPress = commandPressFromInteraction(body);
    if (commandPress) {
      const reply = ackThroughResponseUrl(deps, commandPress, await handleCommandPress(deps, commandPress));
      if (reply.background) {
        const task = reply
          .background()
          .catch((err) => logger.error("background task failed", { err: String(err) }))
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
      return;
    }
    const press = pressFromInteraction(body);
    if (!press || !deps.recovery) {
      logger.info("socket mode: interactive payload acked; not a clawops button", { type: body.type });
      return;
    }
    const outcome = await handleButtonPress(requireRecovery(deps), press);
    if (!outcome.ok) logger.warn("button press refused", { code: outcome.code, user: press.actor.user });
  });

  app.error(async (err) => {
    logger.error("socket mode handler failed", { err: err.message });
  });

  await app.start();
  logger.info("slack socket mode connected");
  return {
    async stop() {
      await app.stop();
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 2_000))]);
    },
  };
}

/**
 * Bolt's and the Socket Mode client's logs into ours. Debug lines are dropped: at debug level
 * the client prints whole envelopes and acks.
 */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  let name = "bolt";
  const text = (msgs: unknown[]) => msgs.map((m) => errorMessage(m)).join(" ");
  return {
    debug: () => {},
    info: (...msgs) => logger.info(text(msgs), { component: name }),
    warn: (...msgs) => logger.warn(text(msgs), { component: name }),
    error: (...msgs) => logger.error(text(msgs), { component: name }),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n) => {
      name = n;
    },
  };
}
