import { App, type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import { handleForSlack } from "../adapters/slack/answer.ts";
import { commandFromSlash, ephemeral, interactionFromPayload } from "../adapters/slack/envelope.ts";
import { slackEventsBody } from "../adapters/slack/events.ts";
import { errorMessage } from "../contract/errors.ts";
import { recordThreadEvent } from "../core/incidents/team-messages.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { CoreDeps } from "../core/ports/deps.ts";
import type { Handled } from "../core/router/handle.ts";

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
 * router (core/router/handle.ts) the HTTP endpoint (POST /slack/commands) calls, with the same idempotency key,
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
    // token was checked once at start (slack-check.ts) and is used by the core's ChatPort.
    authorize: async () => ({ botToken: opts.botToken }),
    logger: boltLogger(logger),
    logLevel: LogLevel.INFO,
    ...(clientOptions ? { clientOptions, installerOptions: { clientOptions } } : {}),
  });
  const inFlight = new Set<Promise<void>>();
  const runLater = (handled: Handled) => {
    if (!handled.later) return;
    const task = handled
      .later()
      .catch((err) => logger.error("work after the ack failed", { err: String(err) }))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  app.command(/.*/, async ({ command, ack }) => {
    const handled = await handleForSlack(deps, { kind: "command", request: commandFromSlash(command) });
    await ack(ephemeral(handled.ack) as never);
    runLater(handled);
  });

  // Interactivity: command buttons on answers, and the recovery runbook's confirmation buttons,
  // through the same router as POST /slack/interactions (the socket is authenticated by the app
  // token instead of a signature); anything else is acked so Slack does not retry it.
  app.action(/.*/, async ({ ack, body }) => {
    await ack();
    const interaction = interactionFromPayload(body);
    if (!interaction) {
      logger.info("socket mode: interactive payload acked; not a clawops button", { type: body.type });
      return;
    }
    const handled = await handleForSlack(deps, interaction);
    if (handled.error) logger.warn("button press refused", { code: handled.error.code, action: interaction.kind });
    runLater(handled);
  });

  // The Events API over the socket (docs/slack.md#the-teams-words-events-api): the team's
  // messages, edits, deletions and pushpins in incident threads, through the same converter and
  // core function as POST /slack/events (Bolt acks the envelope; a retry keeps its event_id).
  app.event(/.*/, async ({ body }) => {
    try {
      const parsed = slackEventsBody(body);
      if (parsed.kind !== "event") return;
      const outcome = await recordThreadEvent(deps, parsed.identity, parsed.event);
      if (outcome.status === "recorded") {
        logger.info("slack event", { kind: parsed.event.kind, outcome: outcome.status, incident: outcome.incidentId });
      }
    } catch (err) {
      logger.error("socket mode: event not recorded", { err: errorMessage(err) });
    }
  });

  app.error(async (err) => {
    logger.error("socket mode handler failed", { err: err.message });
  });

  try {
    await app.start();
  } catch (err) {
    throw new Error(
      `Slack Socket Mode did not connect (apps.connections.open, then the WebSocket it names: ${errorMessage(err)}). Check ${socketModeCall("apps.connections.open")?.check}.`,
      { cause: err },
    );
  }
  logger.info("slack socket mode connected");
  return {
    async stop() {
      await app.stop();
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 2_000))]);
    },
  };
}

/**
 * Which Slack call a line of Bolt's or the Socket Mode client's is about, and what to check: their
 * own words ("http request failed fetch failed") name neither (issue 33, item 6).
 */
export function socketModeCall(text: string): { call: string; check: string } | null {
  if (/http request failed|Failed to retrieve a new WSS URL|apps\.connections\.open/i.test(text)) {
    return {
      call: "apps.connections.open",
      check:
        "SLACK_APP_TOKEN (an app-level xapp- token with connections:write, Socket Mode on), and that this machine reaches Slack's Web API (network, DNS, proxy)",
    };
  }
  if (/WebSocket|ping|pong|close handshake/i.test(text)) {
    return {
      call: "the Socket Mode WebSocket",
      check: "this machine's connection to Slack (wss://wss-primary.slack.com); it reconnects by itself",
    };
  }
  return null;
}

/**
 * Bolt's and the Socket Mode client's logs into ours, each line with its own component and, for
 * a failed call, the call and what to check. Debug lines are dropped: at debug level the client
 * prints whole envelopes and acks.
 */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  let name = "bolt";
  const text = (msgs: unknown[]) => msgs.map((m) => errorMessage(m)).join(" ");
  const fields = (line: string) => ({ component: `slack-${name}`, ...(socketModeCall(line) ?? {}) });
  return {
    debug: () => {},
    info: (...msgs) => logger.info(text(msgs), fields(text(msgs))),
    warn: (...msgs) => logger.warn(text(msgs), fields(text(msgs))),
    error: (...msgs) => logger.error(text(msgs), fields(text(msgs))),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n) => {
      name = n;
    },
  };
}
