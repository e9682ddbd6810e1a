import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// The agent files the Worker serves (wrangler.toml's [build] and [assets]): `wrangler deploy` and
// `wrangler dev` write them first; this pool reads wrangler.toml without running the build.
if (!existsSync("dist/worker-assets/agent-files/release.json")) {
  execFileSync(process.execPath, ["scripts/worker-assets.ts", "dist/worker-assets"], { stdio: "inherit" });
}

// Hermetic runs: no `Request.cf` download (Miniflare fetches it unless told not to), no
// wrangler metrics, no banner. Set here so `npm run test:workers` needs no shell setup.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";
process.env.WRANGLER_HIDE_BANNER = "true";

/** Where the Worker under test sends Slack Web API calls. `.test` never resolves (RFC 6761). */
const SLACK_STANDIN_ORIGIN = "http://slack-standin.test";
/** Where it pages (PagerDuty's Events API v2, issue 40), and the routing key it must send. */
const PAGERDUTY_STANDIN_ORIGIN = "http://pagerduty-standin.test";
const PAGERDUTY_ROUTING_KEY = "workerstestroutingkey0123456789a";
const SLACK_STANDIN_CALLS_PATH = "/__standin/calls";
/** Where it sends Discord REST v10 calls (test/workers/discord-interactions.test.ts). */
const DISCORD_STANDIN_ORIGIN = "http://discord-standin.test";
/** Where it sends Mattermost REST v4 calls and command responses (test/workers/mattermost-commands.test.ts). */
const MATTERMOST_STANDIN_ORIGIN = "http://mattermost-standin.test";
/** A Mattermost id: 26 characters of [a-z0-9]. */
const mattermostId = (n: number) => `post${String(n).padStart(22, "0")}`;
/** Where it writes a resolve back to Jira Cloud REST v3 (test/workers/ticket-write-back.test.ts, issue 41). */
const JIRA_STANDIN_ORIGIN = "http://jira-standin.test";
const JIRA_STANDIN_AUTH = `Basic ${btoa("oncall@example.com:workers-test-jira-token")}`;
/**
 * The Discord application's key pair, made for this run: the Worker gets the public key (hex, as
 * the Developer Portal shows it), the test the private key (PKCS#8, hex) to sign interactions with.
 */
const DISCORD_KEYS = generateKeyPairSync("ed25519");
const DISCORD_PUBLIC_KEY = DISCORD_KEYS.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
const DISCORD_TEST_PRIVATE_KEY = DISCORD_KEYS.privateKey.export({ format: "der", type: "pkcs8" }).toString("hex");

/** Where it reads the Bot Framework's keys, asks its token and calls Bot Connector v3 (test/workers/teams-messages.test.ts). */
const TEAMS_STANDIN_ORIGIN = "http://teams-standin.test";
const TEAMS_BOT_TOKEN = "teams-bot-token-workers-test";
/**
 * The Bot Framework's signing key pair (RS256), made for this run: the stand-in publishes the
 * public key (with its endorsements), the test signs connector tokens with the private key (PKCS#8 PEM).
 */
const TEAMS_KEYS = generateKeyPairSync("rsa", { modulusLength: 2048 });
const TEAMS_PUBLIC_JWK = TEAMS_KEYS.publicKey.export({ format: "jwk" });
const TEAMS_TEST_PRIVATE_KEY = TEAMS_KEYS.privateKey.export({ format: "pem", type: "pkcs8" }).toString();

interface RecordedRequest {
  method: string;
  url: string;
  body: string;
}

/**
 * Every fetch the test isolate makes to the outside lands here (Miniflare's
 * `outboundService`), so nothing leaves the machine. Slack Web API calls get a Slack-shaped
 * answer; anything else a 502. Tests read the record back with
 * `GET ${SLACK_STANDIN_ORIGIN}${SLACK_STANDIN_CALLS_PATH}` and clear it with DELETE.
 */
function createOutboundRecorder() {
  let recorded: RecordedRequest[] = [];
  let seq = 0;
  /** `POST …/calls?fail=not_in_channel&times=N`: the next N chat.postMessage calls fail with that Slack error. */
  let failPosts = { error: "", times: 0 };
  const channelNames = new Set<string>();
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.origin === SLACK_STANDIN_ORIGIN && url.pathname === SLACK_STANDIN_CALLS_PATH) {
      if (request.method === "DELETE") recorded = [];
      if (request.method === "POST") {
        failPosts = { error: url.searchParams.get("fail") ?? "", times: Number(url.searchParams.get("times") ?? 0) };
      }
      return Response.json(recorded);
    }
    recorded.push({ method: request.method, url: request.url, body: await request.text() });
    if (url.origin === SLACK_STANDIN_ORIGIN && url.pathname === "/api/chat.postMessage" && failPosts.times > 0) {
      failPosts.times -= 1;
      // Slack's answer to a bot removed from the channel: HTTP 200, ok false, its error code.
      return Response.json({ ok: false, error: failPosts.error });
    }
    // Incident channels (test/workers/incident-channel.test.ts): conversations.create, .invite and
    // .archive with their documented JSON bodies; a name made before is taken, as on Slack.
    const conversation = /^\/api\/conversations\.(create|invite|archive)$/.exec(url.pathname);
    if (url.origin === SLACK_STANDIN_ORIGIN && conversation) {
      const args = JSON.parse(recorded.at(-1)?.body ?? "{}") as Record<string, unknown>;
      if (conversation[1] === "create") {
        const name = String(args.name ?? "");
        if (!/^[a-z0-9_-]{1,80}$/.test(name) || typeof args.is_private !== "boolean")
          return Response.json({ ok: false, error: "invalid_arguments" });
        if (channelNames.has(name)) return Response.json({ ok: false, error: "name_taken" });
        channelNames.add(name);
        seq += 1;
        return Response.json({ ok: true, channel: { id: `C0CHAN${seq}`, name, is_private: args.is_private } });
      }
      if (typeof args.channel !== "string" || !/^C0CHAN\d+$/.test(args.channel))
        return Response.json({ ok: false, error: "channel_not_found" });
      if (conversation[1] === "invite" && !/^[UW][A-Z0-9]+(,[UW][A-Z0-9]+)*$/.test(String(args.users)))
        return Response.json({ ok: false, error: "invalid_users" });
      return Response.json({ ok: true });
    }
    // chat.getPermalink (a page's link to its thread): form-encoded channel and message_ts, as Slack takes it.
    if (url.origin === SLACK_STANDIN_ORIGIN && url.pathname === "/api/chat.getPermalink") {
      const form = new URLSearchParams(recorded.at(-1)?.body ?? "");
      const [channel, ts] = [form.get("channel"), form.get("message_ts")];
      if (!channel || !ts) return Response.json({ ok: false, error: "invalid_arguments" });
      return Response.json({
        ok: true,
        channel,
        permalink: `https://clawops-test.slack.com/archives/${channel}/p${ts.replace(".", "")}`,
      });
    }
    if (url.origin === SLACK_STANDIN_ORIGIN && /^\/api\/chat\.(postMessage|update)$/.test(url.pathname)) {
      seq += 1;
      return Response.json({ ok: true, channel: "C0INCIDENT", ts: `1790000000.${String(seq).padStart(6, "0")}` });
    }
    // PagerDuty's Events API v2: 202 for an event with the routing key, its 400 otherwise.
    if (url.origin === PAGERDUTY_STANDIN_ORIGIN && url.pathname === "/v2/enqueue") {
      const event = JSON.parse(recorded.at(-1)?.body ?? "{}") as { routing_key?: string; dedup_key?: string };
      if (event.routing_key !== PAGERDUTY_ROUTING_KEY) {
        return Response.json(
          { status: "invalid event", message: "Event object is invalid", errors: ["Invalid routing key"] },
          { status: 400 },
        );
      }
      return Response.json(
        { status: "success", message: "Event processed", dedup_key: event.dedup_key },
        { status: 202 },
      );
    }
    // Discord REST v10: a created message gets an id; a thread takes its parent's; webhooks answer the message.
    if (url.origin === DISCORD_STANDIN_ORIGIN) {
      seq += 1;
      const thread = /^\/api\/v10\/channels\/\d+\/messages\/(\d+)\/threads$/.exec(url.pathname);
      if (thread) return Response.json({ id: thread[1], type: 11 }, { status: 201 });
      return Response.json({ id: String(1_300_000_000_000_000_000n + BigInt(seq)), channel_id: "1200000000000000100" });
    }
    // Mattermost REST v4: a created post gets a 26-character id (201), a patch answers the post; a response URL 200.
    if (url.origin === MATTERMOST_STANDIN_ORIGIN) {
      seq += 1;
      if (url.pathname === "/api/v4/posts" && request.method === "POST") {
        const post = JSON.parse(recorded.at(-1)?.body ?? "{}") as Record<string, unknown>;
        return Response.json({ ...post, id: mattermostId(seq) }, { status: 201 });
      }
      if (/^\/api\/v4\/posts\/[a-z0-9]{26}\/patch$/.test(url.pathname))
        return Response.json({ id: url.pathname.split("/")[4] });
      if (url.pathname.startsWith("/hooks/commands/")) return new Response("");
      return Response.json(
        { id: "api.context.404.app_error", message: "not found", status_code: 404 },
        { status: 404 },
      );
    }
    // Microsoft Teams: the Bot Framework's OpenID metadata and keys, the identity platform's token, Bot Connector v3.
    if (url.origin === TEAMS_STANDIN_ORIGIN) {
      seq += 1;
      if (url.pathname === "/botframework/openid")
        return Response.json({
          issuer: "https://api.botframework.com",
          jwks_uri: `${TEAMS_STANDIN_ORIGIN}/botframework/keys`,
          id_token_signing_alg_values_supported: ["RS256"],
        });
      if (url.pathname === "/botframework/keys")
        return Response.json({
          keys: [{ ...TEAMS_PUBLIC_JWK, kid: "workers-teams-key", use: "sig", endorsements: ["msteams"] }],
        });
      if (/^\/login\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname) && request.method === "POST")
        return Response.json({ token_type: "Bearer", expires_in: 3599, access_token: TEAMS_BOT_TOKEN });
      if (url.pathname.startsWith("/connector/v3/conversations/")) {
        if (request.headers.get("authorization") !== `Bearer ${TEAMS_BOT_TOKEN}`)
          return Response.json(
            { error: { code: "Unauthorized", message: "Authorization has been denied" } },
            { status: 401 },
          );
        return Response.json(
          { id: String(1_764_000_000_000 + seq) },
          { status: request.method === "POST" ? 201 : 200 },
        );
      }
    }
    // Jira Cloud REST v3 (issue 41): a comment in ADF, the transitions open from "In Progress", a transition by id.
    if (url.origin === JIRA_STANDIN_ORIGIN)
      return jiraStandIn(request.method, url.pathname, recorded.at(-1)?.body ?? "", request);
    // A response_url (the ack of a button press): Slack answers 200 `ok`.
    if (url.origin === SLACK_STANDIN_ORIGIN && url.pathname.startsWith("/hooks/")) return new Response("ok");
    return new Response(`clawops workers tests: outbound fetch to ${url.origin} is disabled`, { status: 502 });
  };
}

/** Jira's answers to what a resolve sends, each request checked against its documented shape (400 otherwise). */
function jiraStandIn(method: string, path: string, body: string, request: Request): Response {
  const refuse = (why: string) => Response.json({ errorMessages: [why], errors: {} }, { status: 400 });
  if (request.headers.get("authorization") !== JIRA_STANDIN_AUTH) {
    return Response.json({ errorMessages: ["Unauthorized"] }, { status: 401 });
  }
  const m = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/(comment|transitions)$/.exec(path);
  if (!m) return refuse(`unexpected ${method} ${path}`);
  if (m[2] === "comment" && method === "POST") {
    const doc = (JSON.parse(body) as { body?: { type?: string; version?: number } }).body;
    if (doc?.type !== "doc" || doc.version !== 1) return refuse("body is not an ADF doc of version 1");
    return Response.json({ id: "10001" }, { status: 201 });
  }
  if (m[2] === "transitions" && method === "GET") {
    return Response.json({
      transitions: [
        { id: "11", name: "To Do", to: { name: "To Do", statusCategory: { key: "new" } } },
        { id: "31", name: "Done", to: { name: "Done", statusCategory: { key: "done" } } },
      ],
    });
  }
  if (m[2] === "transitions" && method === "POST") {
    const id = (JSON.parse(body) as { transition?: { id?: unknown } }).transition?.id;
    if (id !== "11" && id !== "31") return refuse(`Transition id '${String(id)}' is not valid for this issue.`);
    return new Response(null, { status: 204 });
  }
  return refuse(`unexpected ${method} ${path}`);
}

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // The Worker binds nothing remote; never open a session to Cloudflare's API.
      remoteBindings: false,
      miniflare: {
        bindings: {
          SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
          SLACK_BOT_TOKEN: "xoxb-clawops-workers-test",
          SLACK_API_URL: `${SLACK_STANDIN_ORIGIN}/api`,
          SLACK_STANDIN_CALLS_URL: `${SLACK_STANDIN_ORIGIN}${SLACK_STANDIN_CALLS_PATH}`,
          // Who may freeze and unfreeze (the JSON of CLAWOPS_AUTHZ_FILE on Node).
          CLAWOPS_AUTHZ: JSON.stringify({
            actions: {
              freeze: { users: ["U0OPERATOR"] },
              unfreeze: { users: ["U0OPERATOR"] },
              resolve: { users: ["U0OPERATOR"] },
            },
          }),
          // Automatic freezes (the JSON of CLAWOPS_FREEZE_POLICY's file on Node) and where they go.
          CLAWOPS_FREEZE_POLICY: JSON.stringify({
            rules: [{ name: "gateway down", findings: ["gateway-down", "gateway-stopped"], liftAfterHealthyMin: 5 }],
          }),
          CLAWOPS_INCIDENT_CHANNEL: "C0INCIDENT",
          // Incident channels by the header's button and `incident <id> channel`, archived on resolve.
          CLAWOPS_INCIDENT_CHANNEL_POLICY: "manual",
          CLAWOPS_INCIDENT_CHANNEL_ARCHIVE: "1",
          // A scheduled freeze's warning 3 s (not 15 min) before its start, so the tests see every moment.
          CLAWOPS_FREEZE_WARN_MIN: "0.05",
          // The watch (test/workers/watch.test.ts): agents told a 1 s interval and a 2 s digest
          // period (silent after 2 s + 2 intervals), flap windows of 10 s, so each moment is seconds away.
          CLAWOPS_WATCH_INTERVAL_S: "1",
          CLAWOPS_WATCH_DIGEST_S: "2",
          CLAWOPS_WATCH_FLAP_WINDOW_S: "10",
          // Paging (test/workers/paging.test.ts): PagerDuty's Events API v2, answered by the recorder.
          CLAWOPS_PAGERDUTY_ROUTING_KEY: PAGERDUTY_ROUTING_KEY,
          PAGERDUTY_EVENTS_URL: `${PAGERDUTY_STANDIN_ORIGIN}/v2/enqueue`,
          // Discord beside Slack (test/workers/discord-interactions.test.ts), answered by the recorder.
          DISCORD_PUBLIC_KEY,
          DISCORD_APPLICATION_ID: "1200000000000000001",
          DISCORD_BOT_TOKEN: "discord-bot-token-workers-test",
          DISCORD_API_URL: `${DISCORD_STANDIN_ORIGIN}/api/v10`,
          DISCORD_TEST_PRIVATE_KEY,
          // Mattermost beside Slack and Discord (test/workers/mattermost-commands.test.ts), answered by the recorder.
          MATTERMOST_URL: MATTERMOST_STANDIN_ORIGIN,
          MATTERMOST_BOT_TOKEN: "mattermost-bot-token-workers-test",
          MATTERMOST_COMMAND_TOKEN: "mattermost-command-token-workers-test",
          // Microsoft Teams beside the others (test/workers/teams-messages.test.ts), answered by the recorder.
          MICROSOFT_APP_ID: "0a1b2c3d-0000-4000-8000-00000000b07a",
          MICROSOFT_APP_PASSWORD: "teams-app-password-workers-test",
          MICROSOFT_APP_TENANT_ID: "7e7e7e7e-0000-4000-8000-0000000000aa",
          TEAMS_OPENID_METADATA_URL: `${TEAMS_STANDIN_ORIGIN}/botframework/openid`,
          TEAMS_LOGIN_URL: `${TEAMS_STANDIN_ORIGIN}/login`,
          TEAMS_SERVICE_URL: `${TEAMS_STANDIN_ORIGIN}/connector/`,
          TEAMS_TEST_PRIVATE_KEY,
          // Jira's issue webhook (test/workers/jira-webhook.test.ts): the secret it is signed with.
          JIRA_WEBHOOK_SECRET: "workers-test-jira-webhook-secret-7d2e",
          // A resolve written back to Jira (test/workers/ticket-write-back.test.ts): the stand-in above.
          JIRA_BASE_URL: JIRA_STANDIN_ORIGIN,
          JIRA_EMAIL: "oncall@example.com",
          JIRA_API_TOKEN: "workers-test-jira-token",
          JIRA_RESOLVE_TRANSITION: "Done",
        },
        outboundService: createOutboundRecorder(),
      },
    }),
  ],
  test: {
    name: "workers",
    include: ["test/workers/**/*.test.ts"],
    // A hang bound, not a speed claim: a test waits up to `HANG_MS` (test/support/until.ts, 60 s)
    // for each thing it expects, and a few in a row fit. Speed is measured by the benchmarks.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
