import { timingSafeEqual, toHex } from "../../contract/encoding.ts";
import { ClawopsError } from "../../core/errors.ts";

/**
 * Slack request signing (v0): HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the app's
 * signing secret, hex, prefixed `v0=`. Requests older than five minutes are refused to
 * stop replays. WebCrypto only, so the same code runs on Node and in workerd.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
export const SLACK_MAX_AGE_SECONDS = 300;

export interface SlackRequestParts {
  signingSecret: string;
  body: string;
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  /** Seconds since epoch; injectable for tests. */
  nowSeconds: number;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

export async function slackSignature(signingSecret: string, timestamp: string, body: string): Promise<string> {
  const key = await hmacKey(signingSecret);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${timestamp}:${body}`));
  return `v0=${toHex(new Uint8Array(mac))}`;
}

/**
 * The checks that need no body: both headers present, the timestamp an integer within five
 * minutes. Run before the body is read, so a forged request costs no more than its headers.
 */
export function checkSlackHeaders(parts: Omit<SlackRequestParts, "body" | "signingSecret">): {
  signature: string;
  timestamp: string;
} {
  const { signature, timestamp } = parts;
  if (!signature || !timestamp) {
    throw new ClawopsError("bad_signature", "Missing X-Slack-Signature or X-Slack-Request-Timestamp header.", {
      status: 401,
    });
  }
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) {
    throw new ClawopsError("bad_signature", "X-Slack-Request-Timestamp is not an integer.", { status: 401 });
  }
  if (Math.abs(parts.nowSeconds - ts) > SLACK_MAX_AGE_SECONDS) {
    throw new ClawopsError(
      "stale_request",
      `Request timestamp is more than ${SLACK_MAX_AGE_SECONDS} s from now; refusing a possible replay (check the server clock).`,
      { status: 401 },
    );
  }
  return { signature, timestamp };
}

/** Throws ClawopsError(bad_signature | stale_request) unless the request is Slack's. */
export async function verifySlackRequest(parts: SlackRequestParts): Promise<void> {
  const { signature, timestamp } = checkSlackHeaders(parts);
  const expected = await slackSignature(parts.signingSecret, timestamp, parts.body);
  if (!timingSafeEqual(expected, signature)) {
    throw new ClawopsError("bad_signature", "Slack signature does not match; check SLACK_SIGNING_SECRET.", {
      status: 401,
    });
  }
}
