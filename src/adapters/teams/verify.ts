import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWKSCacheInput,
  type JWTPayload,
  jwksCache,
  jwtVerify,
  type RemoteJWKSet,
} from "jose";

/**
 * Proof that a request to `POST /teams/messages` comes from the Bot Framework, as its connector
 * authentication documents it (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
 *  1. `Authorization: Bearer <JWT>`, signed RS256 with a key from the JWKS that the OpenID metadata
 *     (`jwks_uri`) names; the keys are cached and fetched again when an unknown `kid` appears
 *     (jose's createRemoteJWKSet), so a rotation is followed without a restart;
 *  2. issuer `https://api.botframework.com`, audience the bot's Microsoft App ID, not expired
 *     (5 minutes of clock skew, as the Bot Framework SDK allows);
 *  3. the signing key's `endorsements` (a property of each key in the JWKS) include the
 *     activity's `channelId` (`msteams`), and the token's `serviceUrl` claim equals the
 *     activity's: the only address clawops then sends its own token to.
 * Steps 1–2 need no body; step 3 reads two fields of it, nothing else.
 */
export const BOT_FRAMEWORK_ISSUER = "https://api.botframework.com";
/** The Bot Framework SDK's allowed clock skew. */
const CLOCK_TOLERANCE_S = 300;
/** The Bot Framework's keys change rarely (its SDK keeps them 5 days); an unknown kid fetches them again at once. */
const KEYS_MAX_AGE_MS = 24 * 3600_000;

export type TokenRefusal = "missing" | "malformed" | "signature" | "issuer" | "audience" | "expired" | "keys";

export type TokenCheck =
  | { ok: true; claims: JWTPayload & { serviceUrl?: unknown }; kid: string }
  | { ok: false; reason: TokenRefusal; detail: string };

export interface BotFrameworkVerifierOptions {
  appId: string;
  /** The OpenID metadata document (TEAMS_OPENID_METADATA_URL). */
  metadataUrl: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; the token's times are judged against it. */
  now?: () => number;
  /**
   * Plain data kept across verifiers (Workers builds one per request, and no I/O object may
   * cross requests): the metadata's jwks_uri and the keys jose fetched (its `jwksCache`).
   */
  cache?: TeamsKeyCache;
  /** How soon after a fetch an unknown kid may fetch the keys again (jose's cooldown; 30 s). */
  cooldownMs?: number;
}

export interface TeamsKeyCache {
  jwksUri?: string;
  jwks: JWKSCacheInput;
}

export class BotFrameworkVerifier {
  private readonly opts: BotFrameworkVerifierOptions;
  private keys: Promise<RemoteJWKSet> | null = null;

  constructor(opts: BotFrameworkVerifierOptions) {
    this.opts = opts;
  }

  /** Steps 1 and 2: the token alone, before any of the body is read. */
  async verify(authorization: string | undefined): Promise<TokenCheck> {
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization?.trim() ?? "");
    if (!authorization) return { ok: false, reason: "missing", detail: "no Authorization header" };
    if (!m?.[1]) return { ok: false, reason: "malformed", detail: "the Authorization header is not a Bearer JWT" };
    let keys: RemoteJWKSet;
    try {
      keys = await this.keySet();
    } catch (err) {
      return { ok: false, reason: "keys", detail: `the OpenID metadata was not read: ${messageOf(err)}` };
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(m[1], keys, {
        algorithms: ["RS256"],
        issuer: BOT_FRAMEWORK_ISSUER,
        audience: this.opts.appId,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ["exp"],
        currentDate: new Date((this.opts.now ?? Date.now)()),
      });
      return { ok: true, claims: payload, kid: protectedHeader.kid ?? "" };
    } catch (err) {
      return { ok: false, ...refusalOf(err) };
    }
  }

  /** Step 3's first half: the key that signed the token is endorsed for this channel id. */
  async endorsed(kid: string, channelId: string): Promise<boolean> {
    const set = (await this.keySet()).jwks();
    const key = set?.keys.find((k) => k.kid === kid) as { endorsements?: unknown } | undefined;
    return Array.isArray(key?.endorsements) && key.endorsements.includes(channelId);
  }

  private keySet(): Promise<RemoteJWKSet> {
    this.keys ??= this.loadKeySet().catch((err: unknown) => {
      // Not remembered: the next request reads the metadata again.
      this.keys = null;
      throw err;
    });
    return this.keys;
  }

  private async loadKeySet(): Promise<RemoteJWKSet> {
    const cache = this.opts.cache;
    const jwksUri = cache?.jwksUri ?? (await this.readMetadata());
    if (cache) cache.jwksUri = jwksUri;
    return createRemoteJWKSet(new URL(jwksUri), {
      cacheMaxAge: KEYS_MAX_AGE_MS,
      cooldownDuration: this.opts.cooldownMs ?? 30_000,
      ...(this.opts.fetch ? { [customFetch]: this.opts.fetch } : {}),
      ...(cache ? { [jwksCache]: cache.jwks } : {}),
    });
  }

  private async readMetadata(): Promise<string> {
    const doFetch = this.opts.fetch ?? fetch;
    const res = await doFetch(this.opts.metadataUrl, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const meta = (await res.json()) as { jwks_uri?: unknown };
    if (typeof meta.jwks_uri !== "string" || !/^https?:\/\//.test(meta.jwks_uri))
      throw new Error("it names no jwks_uri");
    return meta.jwks_uri;
  }
}

function refusalOf(err: unknown): { reason: TokenRefusal; detail: string } {
  if (err instanceof errors.JWTExpired) return { reason: "expired", detail: "the token has expired" };
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return { reason: "issuer", detail: "the token's issuer is not the Bot Framework" };
    if (err.claim === "aud") return { reason: "audience", detail: "the token is not for this bot (its audience)" };
    return { reason: "malformed", detail: `the token's ${err.claim} claim is not acceptable` };
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed)
    return { reason: "signature", detail: "the token is not signed by a Bot Framework key" };
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    return { reason: "keys", detail: `the signing keys were not read: ${messageOf(err)}` };
  // Not jose's verdict on the token: the keys could not be fetched (a network failure).
  if (!(err instanceof errors.JOSEError))
    return { reason: "keys", detail: `the signing keys were not read: ${messageOf(err)}` };
  return { reason: "malformed", detail: `the token does not read: ${messageOf(err)}` };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : String(err);
}
