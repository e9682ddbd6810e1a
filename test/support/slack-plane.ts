import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentIdentity, loadOrCreateIdentity } from "../../src/agent/identity.ts";
import { issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { Logger } from "../../src/core/ports/basics.ts";
import type { HostTransport } from "../../src/core/ports/transport.ts";
import { type ControlPlane, type ControlPlaneConfig, startControlPlane } from "../../src/node/server.ts";
import { quietLogger } from "./loggers.ts";
import { postSlashCommand, type SlashCommandFields, signSlack } from "./slack-signing.ts";
import { SlackStandIn } from "./slack-standin.ts";

/**
 * A real Node control plane answering really signed Slack requests, posting to the Slack
 * stand-in, with state in a temporary folder: the set-up every Slack-facing unit test shares.
 */
export interface SlackPlane {
  cp: ControlPlane;
  slack: SlackStandIn;
  dir: string;
  secret: string;
  /** The one agent identity every enrolled host shares (tests that open agent sockets sign with it). */
  identity: AgentIdentity;
  /** The approval key the hosts pinned at enrollment (the `/api/enroll` answer). */
  pinned: string;
  /** A signed slash command from `user` (in `channel`, default the plane's). */
  slash(
    user: string,
    text: string,
    channel?: string,
    fields?: Partial<SlashCommandFields>,
  ): ReturnType<typeof postSlashCommand>;
  /** POSTs a (signed, unless `headers` say otherwise) interactivity payload. */
  press(body: string, headers?: Record<string, string>): Promise<{ status: number; body: InteractionAnswer }>;
  close(): Promise<void>;
}

export interface InteractionAnswer {
  ok?: boolean;
  error?: { code: string; message?: string };
}

export interface SlackPlaneOptions {
  /** Names the temp folder and, unless given, the secrets (they differ per file). */
  name: string;
  secret?: string;
  botToken?: string;
  /** The channel commands come from unless a call says otherwise. */
  channel?: string;
  /** The authorization file, as an operator writes it; absent: recovery runs with the default (read-only) rules. */
  authz?: Record<string, unknown>;
  announceChannels?: string[];
  freezeSweepMs?: number;
  /** Hosts enrolled through `POST /api/enroll` (as an agent does), all with one identity. */
  hosts?: string[];
  /** Host answers from a script instead of agents. */
  transport?: HostTransport;
  logger?: Logger;
  /** Anything else of the control plane's config (console, heartbeatMs, commandName, …). */
  config?: Partial<ControlPlaneConfig>;
}

export { quietLogger };

export async function startSlackPlane(opts: SlackPlaneOptions): Promise<SlackPlane> {
  const secret = opts.secret ?? `test-signing-secret-${opts.name}-0123456789`;
  const botToken = opts.botToken ?? `xoxb-0000-test-bot-token-${opts.name}`;
  const dir = mkdtempSync(join(tmpdir(), `clawops-${opts.name}-`));
  const authzFile = opts.authz ? join(dir, "authz.json") : undefined;
  if (authzFile) writeFileSync(authzFile, JSON.stringify(opts.authz));
  const slack = new SlackStandIn(botToken);
  const apiUrl = await slack.start();
  const { transport } = opts;
  const cp = await startControlPlane({
    port: 0,
    bind: "127.0.0.1",
    dataDir: dir,
    console: false,
    slack: { signingSecret: secret, botToken, apiUrl },
    logger: opts.logger ?? quietLogger,
    recovery: {
      ...(authzFile ? { authzFile } : {}),
      announceChannels: opts.announceChannels ?? [],
      ...(opts.freezeSweepMs ? { freezeSweepMs: opts.freezeSweepMs } : {}),
    },
    ...(transport ? { transport: () => transport } : {}),
    // The agents' watch off unless a test asks for it: its quick probes every 30 s would run on
    // the tests' scripted agents beside the jobs a test counts.
    watch: { intervalMs: 0 },
    ...opts.config,
  });
  const identity = loadOrCreateIdentity(join(dir, "agent"));
  let pinned = "";
  for (const host of opts.hosts ?? []) {
    const { code } = await issueEnrollmentCode(cp.deps, host);
    const res = await fetch(`${cp.url}/api/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json", ...cp.consoleHeaders() },
      body: JSON.stringify({ code, host, publicKey: identity.publicKey }),
    });
    if (!res.ok) throw new Error(`enrolling ${host}: HTTP ${res.status} ${await res.text()}`);
    pinned = ((await res.json()) as { approvalKey: string }).approvalKey;
  }
  const channel = opts.channel ?? "C0INCIDENT";
  return {
    cp,
    slack,
    dir,
    secret,
    identity,
    pinned,
    slash: (user, text, inChannel = channel, fields = {}) =>
      postSlashCommand(cp.url, secret, { text, user_id: user, channel_id: inChannel, ...fields }),
    press: async (body, headers = signSlack(secret, body)) => {
      const res = await fetch(`${cp.url}/slack/interactions`, { method: "POST", headers, body });
      return { status: res.status, body: ((await res.json().catch(() => null)) ?? {}) as InteractionAnswer };
    },
    close: async () => {
      await cp.close();
      await slack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Slack `block_actions` interactivity body: `user` pressed the button `actionId` with `value`. */
export function blockActionsBody(p: {
  user: string;
  channel: string;
  actionId: string;
  value: string;
  blockId?: string;
  label?: string;
  messageTs?: string;
  /** Where the press's replies go (default: an address that goes nowhere). */
  responseUrl?: string;
  /** The press's identity; default a fresh one. */
  triggerId?: string;
}): string {
  const payload = {
    type: "block_actions",
    team: { id: "T0001", domain: "acme" },
    user: { id: p.user, username: "someone", team_id: "T0001" },
    api_app_id: "A0CLAWOPS",
    token: "legacy-verification-token-unused",
    container: { type: "message", message_ts: p.messageTs ?? "1.2", channel_id: p.channel, is_ephemeral: false },
    trigger_id: p.triggerId ?? `${Date.now()}.${randomUUID()}`,
    channel: { id: p.channel, name: "incidents" },
    response_url: p.responseUrl ?? "https://hooks.slack.invalid/actions/T0001/1/abc",
    actions: [
      {
        action_id: p.actionId,
        block_id: p.blockId ?? "clawops_confirm",
        text: { type: "plain_text", text: p.label ?? "Approve" },
        value: p.value,
        type: "button",
        action_ts: "1790000000.000100",
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
