import { parsedBy, textOf, type VarSpec } from "../env/vars.ts";

/**
 * Microsoft Teams' settings (a Bot Framework bot: docs/teams.md), one table both runtimes spread
 * into theirs (src/node/config/schema.ts, src/worker/env-vars.ts), so they read and check them
 * the same way. Teams is on when the app id, password and tenant are all set; some but not all is
 * a problem listed with the rest. The three URLs are Microsoft's public cloud by default and are
 * set only for a stand-in (tests, staging).
 */
const TEAMS = "Microsoft Teams";

export const DEFAULT_TEAMS_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration";
export const DEFAULT_TEAMS_LOGIN_URL = "https://login.microsoftonline.com";
/** Bot Connector's address for the public cloud, when no activity has named a conversation's own. */
export const DEFAULT_TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const guid = (name: string, where: string) =>
  parsedBy((t) => {
    if (t === undefined) return undefined;
    if (!GUID.test(t.trim())) throw new Error(`${name} is not a GUID (${where}).`);
    return t.trim().toLowerCase();
  });

const url = (name: string) =>
  parsedBy((t) => {
    if (t === undefined) return undefined;
    if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(t.trim()))
      throw new Error(`${name} is not an http(s) URL; unset it to use Microsoft's.`);
    return t.trim();
  });

export const TEAMS_VARS = {
  MICROSOFT_APP_ID: {
    group: TEAMS,
    doc: "The Azure Bot's Microsoft App ID (a GUID): with MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID, Teams' messaging endpoint `POST /teams/messages` (docs/teams.md). Every request's Bot Framework token must name it as its audience.",
    schema: guid("MICROSOFT_APP_ID", "the Azure Bot's Configuration → Microsoft App ID"),
  },
  MICROSOFT_APP_PASSWORD: {
    group: TEAMS,
    doc: "The app registration's client secret (Certificates & secrets → New client secret), a secret: clawops asks the Microsoft identity platform for its Bot Connector token with it.",
    secret: true,
    schema: parsedBy((t) => t?.trim() || undefined),
  },
  MICROSOFT_APP_TENANT_ID: {
    group: TEAMS,
    doc: "The Microsoft Entra tenant (directory) id of the single-tenant app registration, a GUID: the token is asked from this tenant, and activities from another tenant are refused.",
    schema: guid("MICROSOFT_APP_TENANT_ID", "the app registration's Overview → Directory (tenant) ID"),
  },
  TEAMS_OPENID_METADATA_URL: {
    group: TEAMS,
    doc: "Only for a stand-in (tests, staging): where the Bot Framework's OpenID metadata (and through it the signing keys) is read. Default: the Bot Framework's public-cloud metadata.",
    schema: url("TEAMS_OPENID_METADATA_URL"),
  },
  TEAMS_LOGIN_URL: {
    group: TEAMS,
    doc: "Only for a stand-in (tests, staging): the Microsoft identity platform's address, where `/{tenant}/oauth2/v2.0/token` is asked. Default: Microsoft's public cloud.",
    schema: url("TEAMS_LOGIN_URL"),
  },
  TEAMS_SERVICE_URL: {
    group: TEAMS,
    doc: "The Bot Connector address for a conversation no activity has named one for yet (a thread the watch or an alert opens in a Teams channel). Default: the public cloud's global one. Each activity's own, proven by its token, is used for its conversation.",
    schema: url("TEAMS_SERVICE_URL"),
  },
} as const satisfies Record<string, VarSpec>;

export interface TeamsSettings {
  appId: string;
  appPassword: string;
  tenantId: string;
  openIdMetadataUrl: string;
  loginUrl: string;
  serviceUrl: string;
}

const NAMES = ["MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"] as const;

/** Some but not all of the three set: what to set. */
export function teamsSettingsProblem(raw: Readonly<Record<string, string | undefined>>): string | undefined {
  const set = NAMES.filter((n) => textOf(raw, n) !== undefined);
  if (set.length === 0 || set.length === NAMES.length) return undefined;
  const missing = NAMES.filter((n) => !set.includes(n));
  return `Microsoft Teams needs ${NAMES.join(", ")} together; ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set (docs/teams.md).`;
}

/** The parsed values as settings; undefined while Teams is off. */
export function teamsSettingsOf(v: {
  MICROSOFT_APP_ID?: string | undefined;
  MICROSOFT_APP_PASSWORD?: string | undefined;
  MICROSOFT_APP_TENANT_ID?: string | undefined;
  TEAMS_OPENID_METADATA_URL?: string | undefined;
  TEAMS_LOGIN_URL?: string | undefined;
  TEAMS_SERVICE_URL?: string | undefined;
}): TeamsSettings | undefined {
  if (!v.MICROSOFT_APP_ID || !v.MICROSOFT_APP_PASSWORD || !v.MICROSOFT_APP_TENANT_ID) return undefined;
  return {
    appId: v.MICROSOFT_APP_ID,
    appPassword: v.MICROSOFT_APP_PASSWORD,
    tenantId: v.MICROSOFT_APP_TENANT_ID,
    openIdMetadataUrl: v.TEAMS_OPENID_METADATA_URL ?? DEFAULT_TEAMS_OPENID_METADATA_URL,
    loginUrl: (v.TEAMS_LOGIN_URL ?? DEFAULT_TEAMS_LOGIN_URL).replace(/\/+$/, ""),
    serviceUrl: v.TEAMS_SERVICE_URL ?? DEFAULT_TEAMS_SERVICE_URL,
  };
}
