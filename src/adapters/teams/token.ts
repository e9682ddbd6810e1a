import { ClawopsError } from "../../core/errors.ts";
import { fetchErrorText, jsonObject } from "../chat/retry.ts";

/**
 * The bot's own token for Bot Connector calls: OAuth 2.0 client credentials from the Microsoft
 * identity platform (`POST {login}/{tenant}/oauth2/v2.0/token`, scope
 * `https://api.botframework.com/.default`), kept until five minutes before it expires and asked
 * once however many calls wait for it.
 * https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication#bot-to-connector
 */
export const BOT_CONNECTOR_SCOPE = "https://api.botframework.com/.default";
/** A token this close to its end is asked again: a long retry must not outlive it. */
const RENEW_BEFORE_MS = 5 * 60_000;

export interface AppTokenOptions {
  appId: string;
  appPassword: string;
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
      client_secret: this.opts.appPassword,
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
      // AADSTS codes say what is wrong (7000215: a wrong secret; 700016: no such app in the tenant); the secret is never echoed.
      const said =
        typeof json.error_description === "string" ? json.error_description.split("\n")[0]?.slice(0, 200) : "";
      throw new ClawopsError(
        "teams_api",
        `The bot's token was refused (HTTP ${res.status}${typeof json.error === "string" ? ` ${json.error}` : ""}): ${said || "no reason given"}. Check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID (docs/teams.md).`,
        { status: 502 },
      );
    }
    const expiresInS = typeof json.expires_in === "number" ? json.expires_in : Number(json.expires_in ?? 3599);
    const now = (this.opts.now ?? Date.now)();
    this.cache.current = { token: json.access_token, until: now + Math.max(0, expiresInS * 1000 - RENEW_BEFORE_MS) };
    return json.access_token;
  }
}
