import { verifyKey } from "discord-interactions";
import { ClawopsError } from "../../core/errors.ts";

/**
 * Discord interaction signing: Ed25519 over `{X-Signature-Timestamp}{raw body}` with the
 * application's public key (Developer Portal → General Information), checked with Discord's own
 * `discord-interactions` library (WebCrypto, so the same code runs on Node and in workerd).
 * https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
 * Discord signs the timestamp but does not say how old a request may be; clawops refuses one
 * more than five minutes from now, as it does Slack's, so a captured request cannot be replayed.
 */
export const DISCORD_MAX_AGE_SECONDS = 300;

/** An Ed25519 signature: 64 bytes, hex. */
const SIGNATURE = /^[0-9a-f]{128}$/i;
/** An Ed25519 public key as the Developer Portal shows it: 32 bytes, hex. */
export const DISCORD_PUBLIC_KEY_SHAPE = /^[0-9a-f]{64}$/i;

export interface DiscordHeaders {
  signature: string | null | undefined;
  timestamp: string | null | undefined;
  /** Seconds since epoch; injectable for tests. */
  nowSeconds: number;
}

/**
 * The checks that need no body: both headers present and well formed, the timestamp within five
 * minutes. Run before the body is read, so a forged request costs no more than its headers.
 */
export function checkDiscordHeaders(parts: DiscordHeaders): { signature: string; timestamp: string } {
  const { signature, timestamp } = parts;
  if (!signature || !timestamp) {
    throw new ClawopsError("bad_signature", "Missing X-Signature-Ed25519 or X-Signature-Timestamp header.", {
      status: 401,
    });
  }
  if (!SIGNATURE.test(signature)) {
    throw new ClawopsError("bad_signature", "X-Signature-Ed25519 is not a 64-byte hex signature.", { status: 401 });
  }
  const ts = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || !Number.isInteger(ts)) {
    throw new ClawopsError("bad_signature", "X-Signature-Timestamp is not a whole number of seconds.", { status: 401 });
  }
  if (Math.abs(parts.nowSeconds - ts) > DISCORD_MAX_AGE_SECONDS) {
    throw new ClawopsError(
      "stale_request",
      `Request timestamp is more than ${DISCORD_MAX_AGE_SECONDS} s from now; refusing a possible replay (check the server clock).`,
      { status: 401 },
    );
  }
  return { signature, timestamp };
}

/** Throws ClawopsError(bad_signature | stale_request) unless the exact bytes are Discord's. */
export async function verifyDiscordRequest(
  parts: DiscordHeaders & { publicKey: string; body: Uint8Array },
): Promise<void> {
  const { signature, timestamp } = checkDiscordHeaders(parts);
  let valid = false;
  try {
    valid = await verifyKey(parts.body, signature, timestamp, parts.publicKey);
  } catch {
    // verifyKey answers false for a bad signature; a throw is a key WebCrypto would not import.
    valid = false;
  }
  if (!valid) {
    throw new ClawopsError("bad_signature", "Discord signature does not match; check DISCORD_PUBLIC_KEY.", {
      status: 401,
    });
  }
}
