import { parsedBy, textOf, type VarSpec } from "../env/vars.ts";

/**
 * Microsoft Teams' settings (a Bot Framework bot: docs/teams.md), one table both runtimes spread
 * into theirs (src/node/config/schema.ts, src/worker/env-vars.ts), so they read and check them
 * the same way. Teams is on when the app id and tenant are set with one credential: the app
 * password, or a certificate (its thumbprint and private key, as the Bot Framework SDK's
 * certificate credentials take them); some but not all, or both credentials, is a problem listed
 * with the rest. The three URLs are Microsoft's public cloud by default and are
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
    doc: "The app registration's client secret (Certificates & secrets → New client secret), a secret: clawops asks the Microsoft identity platform for its Bot Connector token with it. Or, instead, a certificate: MICROSOFT_APP_CERTIFICATE_THUMBPRINT and MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY (exactly one of the two credentials).",
    secret: true,
    schema: parsedBy((t) => t?.trim() || undefined),
  },
  MICROSOFT_APP_CERTIFICATE_THUMBPRINT: {
    group: TEAMS,
    doc: "Instead of MICROSOFT_APP_PASSWORD: the thumbprint of the certificate uploaded to the app registration (Certificates & secrets → Certificates), hex as the portal shows it: 40 characters (SHA-1, sent as the assertion's `x5t`) or 64 (SHA-256, sent as `x5t#S256`). With MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY.",
    schema: parsedBy((t) => {
      if (t === undefined) return undefined;
      const hex = t.trim().replace(/[:\s]/g, "").toLowerCase();
      if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(hex))
        throw new Error(
          "MICROSOFT_APP_CERTIFICATE_THUMBPRINT is not a certificate thumbprint: 40 hex characters (SHA-1) or 64 (SHA-256), as the app registration's Certificates list shows it.",
        );
      return hex;
    }),
  },
  MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: {
    group: TEAMS,
    doc: "Instead of MICROSOFT_APP_PASSWORD: the certificate's RSA private key, PEM (PKCS#8, `-----BEGIN PRIVATE KEY-----`), a secret; its line breaks may be written `\\n` (one line in an env file). clawops signs a client assertion (RS256, RFC 7523) with it for each token; no file is read, so it works on Workers (`wrangler secret put … < key.pem`).",
    secret: true,
    schema: parsedBy((t) => {
      if (t === undefined) return undefined;
      const pem = t.trim().replace(/\\n/g, "\n").replace(/\r\n/g, "\n");
      // Never the value in the message: it is a private key.
      if (/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(pem) && !pem.startsWith("-----BEGIN PRIVATE KEY-----"))
        throw new Error(
          "MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY is not an unencrypted PKCS#8 key: convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem` (docs/teams.md).",
        );
      if (!/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\s]+\n-----END PRIVATE KEY-----$/.test(pem))
        throw new Error(
          "MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY is not a PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----).",
        );
      return pem;
    }),
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

/** The app's certificate credential: what signs its client assertions. */
export interface TeamsCertificate {
  /** Hex, lower case: 40 characters (SHA-1) or 64 (SHA-256). */
  thumbprint: string;
  /** PKCS#8 PEM. */
  privateKey: string;
}

export interface TeamsSettings {
  appId: string;
  /** Exactly one of the app password and the certificate. */
  appPassword?: string;
  certificate?: TeamsCertificate;
  tenantId: string;
  openIdMetadataUrl: string;
  loginUrl: string;
  serviceUrl: string;
}

const NAMES = ["MICROSOFT_APP_ID", "MICROSOFT_APP_TENANT_ID"] as const;
const CERTIFICATE = ["MICROSOFT_APP_CERTIFICATE_THUMBPRINT", "MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY"] as const;

/** Some but not all set, or both credentials: what to set. Names only, never a value. */
export function teamsSettingsProblem(raw: Readonly<Record<string, string | undefined>>): string | undefined {
  const isSet = (n: string) => textOf(raw, n) !== undefined;
  const password = isSet("MICROSOFT_APP_PASSWORD");
  const cert = CERTIFICATE.filter(isSet);
  const ids = NAMES.filter(isSet);
  if (ids.length === 0 && !password && cert.length === 0) return undefined;
  const wanted =
    "MICROSOFT_APP_ID, MICROSOFT_APP_TENANT_ID and one credential: MICROSOFT_APP_PASSWORD, or MICROSOFT_APP_CERTIFICATE_THUMBPRINT with MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY";
  if (password && cert.length > 0)
    return `Microsoft Teams takes one credential: MICROSOFT_APP_PASSWORD or the certificate (${cert.join(", ")}), not both; unset one (docs/teams.md).`;
  const missing: string[] = NAMES.filter((n) => !isSet(n));
  if (cert.length > 0) missing.push(...CERTIFICATE.filter((n) => !isSet(n)));
  else if (!password) missing.push("MICROSOFT_APP_PASSWORD (or the certificate)");
  if (missing.length === 0) return undefined;
  return `Microsoft Teams needs ${wanted}; ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set (docs/teams.md).`;
}

/** The parsed values as settings; undefined while Teams is off. */
export function teamsSettingsOf(v: {
  MICROSOFT_APP_ID?: string | undefined;
  MICROSOFT_APP_PASSWORD?: string | undefined;
  MICROSOFT_APP_CERTIFICATE_THUMBPRINT?: string | undefined;
  MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY?: string | undefined;
  MICROSOFT_APP_TENANT_ID?: string | undefined;
  TEAMS_OPENID_METADATA_URL?: string | undefined;
  TEAMS_LOGIN_URL?: string | undefined;
  TEAMS_SERVICE_URL?: string | undefined;
}): TeamsSettings | undefined {
  if (!v.MICROSOFT_APP_ID || !v.MICROSOFT_APP_TENANT_ID) return undefined;
  const certificate =
    v.MICROSOFT_APP_CERTIFICATE_THUMBPRINT && v.MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY
      ? { thumbprint: v.MICROSOFT_APP_CERTIFICATE_THUMBPRINT, privateKey: v.MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY }
      : undefined;
  // Exactly one credential (teamsSettingsProblem says what is wrong otherwise).
  if (!v.MICROSOFT_APP_PASSWORD === !certificate) return undefined;
  return {
    appId: v.MICROSOFT_APP_ID,
    ...(v.MICROSOFT_APP_PASSWORD ? { appPassword: v.MICROSOFT_APP_PASSWORD } : { certificate }),
    tenantId: v.MICROSOFT_APP_TENANT_ID,
    openIdMetadataUrl: v.TEAMS_OPENID_METADATA_URL ?? DEFAULT_TEAMS_OPENID_METADATA_URL,
    loginUrl: (v.TEAMS_LOGIN_URL ?? DEFAULT_TEAMS_LOGIN_URL).replace(/\/+$/, ""),
    serviceUrl: v.TEAMS_SERVICE_URL ?? DEFAULT_TEAMS_SERVICE_URL,
  };
}
