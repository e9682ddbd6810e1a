import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { SlackStandIn } from "./slack-standin.ts";

/**
 * A local stand-in for Slack's Socket Mode (https://api.slack.com/apis/socket-mode):
 *  - `apps.connections.open` (POST with the app-level token, form-encoded) on the Web API
 *    stand-in answers {ok:true, url:"ws://127.0.0.1:…/link/?ticket=…"}; a ticket opens one socket;
 *  - the WebSocket server speaks first with `hello`, sends envelopes
 *    ({envelope_id, type: "slash_commands" | "interactive" | "events_api", payload, accepts_response_payload}),
 *    expects an ack {envelope_id, payload?} for each, and can ask the client to refresh with
 *    `{type:"disconnect", reason:"refresh_requested"}`.
 * Anything off is recorded in `violations`.
 */
export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export class SocketModeStandIn {
  readonly violations: string[] = [];
  readonly opens: { ok: boolean }[] = [];
  readonly acks: Ack[] = [];
  /** Sockets that got `hello`, in order. */
  readonly connections: WebSocket[] = [];
  private readonly appToken: string;
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, (ack: Ack) => void>();
  private connectWaiters: (() => void)[] = [];
  private wss: WebSocketServer | null = null;
  private port = 0;

  constructor(appToken: string) {
    this.appToken = appToken;
  }

  async start(slack: SlackStandIn): Promise<void> {
    this.wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => this.wss?.once("listening", () => resolve()));
    this.port = (this.wss.address() as AddressInfo).port;
    this.wss.on("connection", (ws, req) => this.onConnection(ws, req));
    slack.extraMethods.set("apps.connections.open", (req) => this.open(req));
  }

  async stop(): Promise<void> {
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }

  /** The socket currently serving envelopes (the newest open one). */
  get live(): WebSocket | undefined {
    return [...this.connections].reverse().find((ws) => ws.readyState === ws.OPEN);
  }

  /** Resolves once `count` sockets have been greeted in total. */
  waitConnections(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.connections.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no Socket Mode connection #${count} in ${timeoutMs} ms; opens: ${this.opens.length}`)),
        timeoutMs,
      );
      const check = () => {
        if (this.connections.length < count) return;
        clearTimeout(timer);
        this.connectWaiters = this.connectWaiters.filter((w) => w !== check);
        resolve();
      };
      this.connectWaiters.push(check);
    });
  }

  /** Sends a slash command as Slack does over Socket Mode; resolves with the client's ack. */
  slashCommand(fields: { text: string; channel_id?: string; user_id?: string; trigger_id?: string }): Promise<Ack> {
    return this.envelope("slash_commands", {
      token: "legacy-verification-token-unused",
      team_id: "T0001",
      team_domain: "acme",
      channel_id: fields.channel_id ?? "C0INCIDENT",
      channel_name: "incidents",
      user_id: fields.user_id ?? "U0OPERATOR",
      user_name: "operator",
      command: "/openclaw",
      text: fields.text,
      api_app_id: "A0CLAWOPS",
      is_enterprise_install: "false",
      response_url: "https://hooks.slack.invalid/commands/T0001/1/abc",
      trigger_id: fields.trigger_id ?? `${Date.now()}.${randomUUID()}`,
    });
  }

  /** A block_actions payload (a button press), as an `interactive` envelope. */
  blockAction(actionId: string, opts: { value?: string; responseUrl?: string } = {}): Promise<Ack> {
    return this.envelope("interactive", {
      type: "block_actions",
      team: { id: "T0001", domain: "acme" },
      user: { id: "U0OPERATOR", username: "operator", team_id: "T0001" },
      api_app_id: "A0CLAWOPS",
      token: "legacy-verification-token-unused",
      container: { type: "message", message_ts: "1700000000.000100", channel_id: "C0INCIDENT", is_ephemeral: false },
      trigger_id: `${Date.now()}.${randomUUID()}`,
      channel: { id: "C0INCIDENT", name: "incidents" },
      response_url: opts.responseUrl ?? "https://hooks.slack.invalid/actions/T0001/1/abc",
      actions: [
        {
          type: "button",
          action_id: actionId,
          block_id: "b1",
          text: { type: "plain_text", text: "Go" },
          value: opts.value ?? "v",
          action_ts: String(Date.now() / 1000),
        },
      ],
    });
  }

  /** An Events API `event_callback` (a message, a reaction), as an `events_api` envelope. */
  eventCallback(event: Record<string, unknown>, eventId = `Ev${randomUUID().slice(0, 10)}`): Promise<Ack> {
    return this.envelope("events_api", {
      token: "legacy-verification-token-unused",
      team_id: "T0001",
      api_app_id: "A0CLAWOPS",
      event,
      type: "event_callback",
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
    });
  }

  /** Asks the client to reconnect, as Slack does every few hours. */
  requestRefresh(): void {
    this.live?.send(
      JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "applink-standin" } }),
    );
  }

  private envelope(type: string, payload: Record<string, unknown>, timeoutMs = 10_000): Promise<Ack> {
    const ws = this.live;
    if (!ws) return Promise.reject(new Error("no Socket Mode connection"));
    const envelopeId = randomUUID();
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      ws.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type === "slash_commands",
          retry_attempt: 0,
          retry_reason: "",
        }),
      );
    });
  }

  private open(req: IncomingMessage): Record<string, unknown> {
    if (req.headers.authorization !== `Bearer ${this.appToken}`) {
      this.violations.push("apps.connections.open: Authorization is not the app-level token");
      this.opens.push({ ok: false });
      return { ok: false, error: "invalid_auth" };
    }
    if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      this.violations.push(`apps.connections.open: content-type ${req.headers["content-type"]}`);
    }
    const ticket = randomUUID();
    this.tickets.add(ticket);
    this.opens.push({ ok: true });
    return { ok: true, url: `ws://127.0.0.1:${this.port}/link/?ticket=${ticket}&app_id=A0CLAWOPS` };
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const ticket = new URL(req.url ?? "/", "http://x").searchParams.get("ticket") ?? "";
    if (!this.tickets.delete(ticket)) {
      this.violations.push("socket opened without a fresh ticket from apps.connections.open");
      ws.close(1008, "invalid ticket");
      return;
    }
    ws.on("message", (data) => {
      let msg: Ack;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        this.violations.push("client sent a non-JSON frame");
        return;
      }
      if (typeof msg.envelope_id !== "string") {
        this.violations.push(`client frame without envelope_id: ${data.toString().slice(0, 100)}`);
        return;
      }
      this.acks.push(msg);
      const waiter = this.pending.get(msg.envelope_id);
      if (!waiter) this.violations.push(`ack for an unknown envelope ${msg.envelope_id}`);
      this.pending.delete(msg.envelope_id);
      waiter?.(msg);
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: 1,
        debug_info: { host: "applink-standin", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: "A0CLAWOPS" },
      }),
    );
    this.connections.push(ws);
    for (const w of [...this.connectWaiters]) w();
  }
}
