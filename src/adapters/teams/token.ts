import { importPKCS8, SignJWT } from "jose";
import { toBase64Url } from "../../contract/encoding.ts";
import { ClawopsError } from "../../core/errors.ts";
import { fetchErrorText, jsonObject } from "../chat/retry.ts";
import type { TeamsCertificate } from "./settings.ts";

/**
 * The bot's own token for Bot Connector calls: OAuth 2.0 client credentials from the Microsoft
 * identity platform (`POST {login}/{tenant}/oauth2/v2.0/token`, scope
 * `https://api.botframework.com/.default`), kept until five minutes before it expires and asked
 * once however many calls wait for it. The app proves itself with its password (`client_secret`)
 * or with its certificate: a client assertion (RFC 7523 `private_key_jwt`) signed RS256 with the
 * certificate's private key, naming the certificate by its thumbprint in `x5t` (SHA-1) or
 * `x5t#S256` (SHA-256), `iss` = `sub` = the app id, `aud` = the token endpoint, a fresh `jti`
 * and a 10-minute life.
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication#bot-to-connector
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 */
export const BOT_CONNECTOR_SCOPE = "https://api.botframework.com/.default";
/** A token this close to its end is asked again: a long retry must not outlive it. */
const RENEW_BEFORE_MS = 5 * 60_000;

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** How long a client assertion is good for: one token request. */
const ASSERTION_LIFE_S = 600;

export interface AppTokenOptions {
  appId: string;
  /** Exactly one of the password and the certificate. */
  appPassword?: string | undefined;
  certificate?: TeamsCertificate | undefined;
  tenantId: string;
  /** The identity platform's address (TEAMS_LOGIN_URL), without the tenant. */
  loginUrl: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Plain data kept across sources (Workers builds one per request): the token and until when it serves. */
  cache?: AppTokenCache;
}

export interface AppTokenCache {
  current?: { token: string; until: number };
}

export class AppTokenSource {
  private readonly opts: AppTokenOptions;
  private readonly cache: AppTokenCache;
  private inFlight: Promise<string> | null = null;
  private signingKey: Promise<CryptoKey> | null = null;

  constructor(opts: AppTokenOptions) {
    this.opts = opts;
    this.cache = opts.cache ?? {};
  }

  async token(): Promise<string> {
    const now = (this.opts.now ?? Date.now)();
    const cached = this.cache.current;
    if (cached && now < cached.until) return cached.token;
    this.inFlight ??= this.ask().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Forgets the token (Bot Connector answered 401 with it). */
  forget(): void {
    this.cache.current = undefined;
  }

  private async ask(): Promise<string> {
    const doFetch = this.opts.fetch ?? fetch;
    const url = `${this.opts.loginUrl}/${encodeURIComponent(this.opts.tenantId)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: this.opts.appId,
      ...(await this.credential(url)),
      scope: BOT_CONNECTOR_SCOPE,
    });
    let res: Response;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new ClawopsError("teams_api", `The Microsoft identity platform did not answer: ${fetchErrorText(err)}.`, {
        status: 502,
        cause: err,
      });
    }
    const json = jsonObject(await res.text().catch(() => ""));
    if (!res.ok || typeof json.access_token !== "string") {
      // AADSTS codes say what is wrong (7000215: a wrong secret; 700027: an assertion the app's
      // certificates do not verify; 700024: one out of its time; 700016: no such app in the
      // tenant); the secret and the key are never echoed.
      const said =
        typeof json.error_description === "string" ? json.error_description.split("\n")[0]?.slice(0, 200) : "";
      throw new ClawopsError(
        "teams_api",
        `The bot's token was refused (HTTP ${res.status}${typeof json.error === "string" ? ` ${json.error}` : ""}): ${said || "no reason given"}. Check MICROSOFT_APP_ID, ${this.opts.certificate ? "the certificate (MICROSOFT_APP_CERTIFICATE_THUMBPRINT, MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: uploaded to the app registration, unexpired)" : "MICROSOFT_APP_PASSWORD"} and MICROSOFT_APP_TENANT_ID (docs/teams.md).`,
        { status: 502 },
      );
    }
    const expiresInS = typeof json.expires_in === "number" ? json.expires_in : Number(json.expires_in ?? 3599);
    const now = (this.opts.now ?? Date.now)();
    this.cache.current = { token: json.access_token, until: now + Math.max(0, expiresInS * 1000 - RENEW_BEFORE_MS) };
    return json.access_token;
  }

  /** The form fields that prove the app: its password, or a client assertion its certificate signs for `tokenUrl`. */
  private async credential(tokenUrl: string): Promise<Record<string, string>> {
    const cert = this.opts.certificate;
    if (!cert) {
      if (!this.opts.appPassword)
        throw new ClawopsError("bad_config", "Microsoft Teams has neither MICROSOFT_APP_PASSWORD nor a certificate.");
      return { client_secret: this.opts.appPassword };
    }
    this.signingKey ??= importPKCS8(cert.privateKey, "RS256").catch(() => {
      this.signingKey = null;
      // No cause kept: nothing about the key goes to a log.
      throw new ClawopsError(
        "bad_config",
        "MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY is not an RSA private key that can sign RS256 (PKCS#8 PEM).",
      );
    });
    const key = await this.signingKey;
    const now = Math.floor((this.opts.now ?? Date.now)() / 1000);
    const thumbprint = toBase64Url(Uint8Array.from(cert.thumbprint.match(/../g) ?? [], (h) => Number.parseInt(h, 16)));
    const assertion = await new SignJWT({})
      .setProtectedHeader({
        alg: "RS256",
        typ: "JWT",
        ...(cert.thumbprint.length === 40 ? { x5t: thumbprint } : { "x5t#S256": thumbprint }),
      })
      .setIssuer(this.opts.appId)
      .setSubject(this.opts.appId)
      .setAudience(tokenUrl)
      .setJti(crypto.randomUUID())
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ASSERTION_LIFE_S)
      .sign(key);
    return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
  }
}
