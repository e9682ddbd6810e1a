import { randomBytes, X509Certificate } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CryptoKey,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from "jose";
import { freePort } from "./ports.ts";

/**
 * A stand-in for the three Microsoft services a Teams bot talks to, on one loopback server:
 *  - the Bot Framework's OpenID metadata (`/botframework/v1/.well-known/openidconfiguration`) and
 *    its keys (`…/keys`): real RS256 key pairs (jose's generateKeyPair), each key with its
 *    `endorsements` as the Bot Framework publishes them; `token(...)` signs a connector token
 *    with one of them (or with a key it does not publish);
 *  - the Microsoft identity platform's token endpoint (`POST /login/{tenant}/oauth2/v2.0/token`):
 *    client credentials as a form, the tenant, app id, secret and the Bot Connector scope checked;
 *    a wrong secret is answered as Entra does (401 invalid_client, AADSTS7000215). An app given a
 *    `certificate` (PEM) proves itself with a client assertion instead (RFC 7523): the assertion's
 *    `x5t` / `x5t#S256` must name that certificate, its RS256 signature verify with the
 *    certificate's public key, `iss` = `sub` = the app id, `aud` = this token endpoint, and it
 *    must be within its time (each refused as invalid_client with the AADSTS code Entra uses);
 *    `assertions` keeps each one's header and claims;
 *  - Bot Connector v3 (`/connector/v3/conversations/…`): `Authorization: Bearer` a token it issued;
 *    Send to Conversation (`POST …/{conversation}/activities`, a channel's new post), Reply to
 *    Activity (`POST …/{conversation}/activities/{id}`: in a channel the conversation must be the
 *    chain's `{channel};messageid={root}` and the activity one in that chain), Update Activity
 *    (`PUT …/activities/{id}`, an activity the bot posted); every activity a `message` with markdown
 *    text or one Adaptive Card attachment; 201/200 with `{id}`.
 *  - `failNext(...)`: the next connector calls answer 429 (with `Retry-After`) or a 5xx, optionally
 *    after acting (a 500 can).
 */
export interface PostedActivity {
  id: string;
  /** The channel or chat's conversation id (without `;messageid=`). */
  conversation: string;
  /** The root post of the reply chain it is in; "" for a channel's new post (itself a root). */
  root: string;
  activity: Record<string, unknown>;
  edits: Record<string, unknown>[];
  byBot: boolean;
}

export interface ConnectorCall {
  method: string;
  path: string;
  status: number;
  body: Record<string, unknown> | null;
}

export type TeamsFault = { status: 429; retryAfter?: number } | { status: 500 | 502 | 503; acted?: boolean };

export const BOT_FRAMEWORK_ISSUER = "https://api.botframework.com";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: Record<string, unknown>;
}

export class TeamsStandIn {
  readonly calls: ConnectorCall[] = [];
  readonly activities = new Map<string, PostedActivity>();
  readonly tokenRequests: Record<string, string>[] = [];
  /** Each verified client assertion's header and claims. */
  readonly assertions: { header: Record<string, unknown>; claims: JWTPayload }[] = [];
  private readonly issued = new Set<string>();
  private readonly faults: TeamsFault[] = [];
  private keys: { teams: SigningKey; other: SigningKey; unpublished: SigningKey } | null = null;
  /** How many times the keys were fetched. */
  keyFetches = 0;
  private server: Server | null = null;
  private seq = 1_764_000_000_000;
  url = "";

  private readonly appId: string;
  private readonly appPassword: string | undefined;
  private readonly certificate: X509Certificate | undefined;
  private readonly tenantId: string;

  /** The app's credential as its registration holds it: a client secret, or a certificate (PEM). */
  constructor(app: { appId: string; appPassword?: string; certificate?: string; tenantId: string }) {
    this.appId = app.appId;
    this.appPassword = app.appPassword;
    this.certificate = app.certificate ? new X509Certificate(app.certificate) : undefined;
    this.tenantId = app.tenantId;
  }

  get metadataUrl(): string {
    return `${this.url}/botframework/v1/.well-known/openidconfiguration`;
  }
  get loginUrl(): string {
    return `${this.url}/login`;
  }
  get serviceUrl(): string {
    return `${this.url}/connector/`;
  }

  async start(): Promise<void> {
    const make = async (kid: string, endorsements: string[]): Promise<SigningKey> => {
      const { publicKey, privateKey } = await generateKeyPair("RS256");
      return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: "sig", endorsements } };
    };
    this.keys = {
      teams: await make("teams-key", ["msteams", "webchat"]),
      other: await make("skype-key", ["skype"]),
      unpublished: await make("teams-key", ["msteams"]),
    };
    this.server = createServer((req, res) => void this.serve(req, res));
    const port = await freePort();
    await new Promise<void>((r) => this.server?.listen(port, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** The Bot Framework rotates its Teams key: a new kid is published, the old one dropped. */
  async rotate(): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const kid = `teams-key-${this.seq++}`;
    if (!this.keys) throw new Error("start() the stand-in first");
    this.keys.teams = {
      kid,
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid, use: "sig", endorsements: ["msteams", "webchat"] },
    };
  }

  /** A connector token as the Bot Framework signs one; each part can be made wrong. */
  async token(
    opts: {
      aud?: string;
      iss?: string;
      expiresInS?: number;
      serviceUrl?: string;
      key?: "teams" | "other" | "unpublished";
    } = {},
  ): Promise<string> {
    const key = this.keys?.[opts.key ?? "teams"];
    if (!key) throw new Error("start() the stand-in first");
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = { serviceUrl: opts.serviceUrl ?? this.serviceUrl };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
      .setIssuer(opts.iss ?? BOT_FRAMEWORK_ISSUER)
      .setAudience(opts.aud ?? this.appId)
      .setIssuedAt(now - 60)
      .setNotBefore(now - 60)
      .setExpirationTime(now + (opts.expiresInS ?? 3600))
      .sign(key.privateKey);
  }

  /** A person's new post in a channel (what their command is): its id, and the chain it roots. */
  userPost(channel: string): { id: string; conversation: string } {
    const id = String(this.seq++);
    this.activities.set(id, { id, conversation: channel, root: "", activity: {}, edits: [], byBot: false });
    return { id, conversation: `${channel};messageid=${id}` };
  }

  /**
   * A person's new post in a channel (userPost) as the Bot Framework delivers it to the bot's
   * messaging endpoint: a `message` activity from a Teams user (Entra object id
   * 11111111-2222-4333-8444-555555555555) in this tenant, with `text` as Teams sends it
   * (`<at>clawops</at> hosts`). The post, and the activity to POST to `/teams/messages`.
   */
  userMessage(
    channel: string,
    text: string,
  ): { post: { id: string; conversation: string }; activity: Record<string, unknown> } {
    const post = this.userPost(channel);
    return {
      post,
      activity: {
        type: "message",
        id: post.id,
        serviceUrl: this.serviceUrl,
        channelId: "msteams",
        from: { id: "29:1user", aadObjectId: "11111111-2222-4333-8444-555555555555" },
        conversation: { id: post.conversation, conversationType: "channel", tenantId: this.tenantId },
        text,
        channelData: { channel: { id: channel }, tenant: { id: this.tenantId } },
      },
    };
  }

  /** A person's action in an existing chain (a card press): its id. */
  userAction(conversation: string): string {
    const id = String(this.seq++);
    const [channel, root] = conversation.split(";messageid=");
    this.activities.set(id, {
      id,
      conversation: channel ?? conversation,
      root: root ?? "",
      activity: {},
      edits: [],
      byBot: false,
    });
    return id;
  }

  failNext(...faults: TeamsFault[]): void {
    this.faults.push(...faults);
  }

  /** The bot's posts in a channel, oldest first. */
  botPosts(channel: string): PostedActivity[] {
    return [...this.activities.values()].filter((a) => a.byBot && a.conversation === channel);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
      return true;
    };
    if (req.method === "GET" && url.pathname === "/botframework/v1/.well-known/openidconfiguration") {
      return send(200, {
        issuer: BOT_FRAMEWORK_ISSUER,
        authorization_endpoint: "https://invalid.example/",
        jwks_uri: `${this.url}/botframework/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: ["private_key_jwt"],
      });
    }
    if (req.method === "GET" && url.pathname === "/botframework/v1/.well-known/keys") {
      this.keyFetches += 1;
      return send(200, { keys: [this.keys?.teams.jwk, this.keys?.other.jwk] });
    }
    const login = /^\/login\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (login && req.method === "POST") return this.issue(login[1] ?? "", req, raw, send);
    if (url.pathname.startsWith("/connector/v3/conversations/")) return this.connector(req, url, raw, send);
    return send(404, { error: { code: "NotFound", message: `no route ${req.method} ${url.pathname}` } });
  }

  private async issue(
    tenant: string,
    req: IncomingMessage,
    raw: string,
    send: (status: number, body: unknown) => boolean,
  ): Promise<boolean> {
    const form = Object.fromEntries(new URLSearchParams(raw));
    this.tokenRequests.push(form);
    if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded"))
      return send(400, { error: "invalid_request", error_description: "AADSTS900144: form body expected" });
    if (tenant !== this.tenantId)
      return send(400, { error: "invalid_tenant", error_description: `AADSTS90002: Tenant '${tenant}' not found.` });
    if (form.grant_type !== "client_credentials" || form.scope !== "https://api.botframework.com/.default")
      return send(400, { error: "invalid_request", error_description: "AADSTS70011: bad grant or scope" });
    if (form.client_id !== this.appId)
      return send(400, { error: "unauthorized_client", error_description: "AADSTS700016: Application not found." });
    if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
      const refused = await this.assertionProblem(tenant, form);
      if (refused) return send(401, { error: "invalid_client", error_description: `${refused}\nTrace ID: x` });
    } else if (!this.appPassword || form.client_secret !== this.appPassword) {
      return send(401, {
        error: "invalid_client",
        error_description: "AADSTS7000215: Invalid client secret provided.\nTrace ID: x",
      });
    }
    const token = `bot-token-${randomBytes(8).toString("hex")}`;
    this.issued.add(token);
    return send(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }

  /** Why the identity platform would refuse this client assertion (its AADSTS line), or null. */
  private async assertionProblem(tenant: string, form: Record<string, string>): Promise<string | null> {
    if (form.client_assertion_type !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return "AADSTS700025: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.";
    if (form.client_secret !== undefined) return "AADSTS700025: both client_secret and client_assertion were sent.";
    const cert = this.certificate;
    if (!cert)
      return "AADSTS700027: The certificate used to sign the client assertion is not registered on application.";
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(form.client_assertion ?? "") as Record<string, unknown>;
    } catch {
      return "AADSTS50027: JWT token is invalid or malformed.";
    }
    const sha1 = Buffer.from(cert.fingerprint.replace(/:/g, ""), "hex").toString("base64url");
    const sha256 = Buffer.from(cert.fingerprint256.replace(/:/g, ""), "hex").toString("base64url");
    const used = header["x5t#S256"] ?? header.x5t;
    if (
      (header.x5t !== undefined && header.x5t !== sha1) ||
      (header["x5t#S256"] !== undefined && header["x5t#S256"] !== sha256) ||
      used === undefined
    )
      return `AADSTS700027: Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${String(used)}']`;
    try {
      const { payload } = await jwtVerify(form.client_assertion ?? "", cert.publicKey, {
        algorithms: ["RS256"],
        issuer: this.appId,
        subject: this.appId,
        audience: `${this.url}/login/${tenant}/oauth2/v2.0/token`,
        maxTokenAge: "1h",
        clockTolerance: 0,
      });
      if (typeof payload.jti !== "string" || !payload.jti) return "AADSTS700023: The client assertion has no jti.";
      this.assertions.push({ header, claims: payload });
      return null;
    } catch (err) {
      if (err instanceof joseErrors.JWSSignatureVerificationFailed)
        return "AADSTS700027: Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]";
      if (err instanceof joseErrors.JWTExpired)
        return "AADSTS700024: Client assertion is not within its valid time range.";
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === "aud")
        return "AADSTS50013: Assertion audience does not match the token endpoint.";
      if (err instanceof joseErrors.JWTClaimValidationFailed && (err.claim === "iss" || err.claim === "sub"))
        return "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter.";
      return `AADSTS50027: JWT token is invalid or malformed (${(err as Error).message}).`;
    }
  }

  private connector(
    req: IncomingMessage,
    url: URL,
    raw: string,
    send: (status: number, body: unknown, headers?: Record<string, string>) => boolean,
  ): boolean {
    let body: Record<string, unknown> | null = null;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
    const call: ConnectorCall = { method: req.method ?? "", path: url.pathname, status: 0, body };
    this.calls.push(call);
    const answer = (status: number, b: unknown, headers?: Record<string, string>) => {
      call.status = status;
      return send(status, b, headers);
    };
    const bad = (status: number, code: string, message: string) => answer(status, { error: { code, message } });

    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (!auth || !this.issued.has(auth)) return bad(401, "Unauthorized", "Authorization has been denied");
    const m = /^\/connector\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m?.[1]) return bad(404, "NotFound", "no such route");
    const conversation = decodeURIComponent(m[1]);
    const activityId = m[2] ? decodeURIComponent(m[2]) : undefined;
    const [channel = conversation, chainRoot = ""] = conversation.split(";messageid=");
    const fault = this.faults.shift();
    const shapeProblem = body ? activityProblem(body) : "no JSON body";
    if (shapeProblem) return bad(400, "BadArgument", shapeProblem);
    const act = () => {
      if (req.method === "PUT") {
        const existing = activityId ? this.activities.get(activityId) : undefined;
        if (!existing?.byBot || existing.conversation !== channel) return null;
        existing.edits.push(body ?? {});
        existing.activity = body ?? {};
        return { id: existing.id, status: 200 };
      }
      let root = "";
      if (activityId) {
        const to = this.activities.get(activityId);
        if (!to || to.conversation !== channel) return null;
        // A reply in a channel goes into the chain the conversation names, to an activity in it.
        if (!chainRoot || (to.root || to.id) !== chainRoot) return null;
        root = chainRoot;
      } else if (chainRoot) {
        root = chainRoot;
      }
      const id = String(this.seq++);
      this.activities.set(id, { id, conversation: channel, root, activity: body ?? {}, edits: [], byBot: true });
      return { id, status: 201 };
    };
    if (fault) {
      if (fault.status === 429)
        return answer(
          429,
          { error: { code: "Throttled", message: "Too many requests" } },
          {
            "retry-after": String(fault.retryAfter ?? 1),
          },
        );
      if (fault.acted) act();
      return bad(fault.status, "ServiceError", "The service is unavailable");
    }
    if (req.method !== "POST" && req.method !== "PUT") return bad(405, "MethodNotAllowed", "method");
    const done = act();
    if (!done) return bad(404, "ActivityNotFound", "The activity or its conversation was not found");
    return answer(done.status, { id: done.id });
  }
}

/** What Bot Connector (and Teams behind it) refuses in an activity clawops sends. */
function activityProblem(b: Record<string, unknown>): string | null {
  if (b.type !== "message") return "type must be message";
  const attachments = b.attachments as
    | { contentType?: unknown; content?: { type?: unknown; body?: unknown } }[]
    | undefined;
  if (attachments !== undefined) {
    if (!Array.isArray(attachments) || attachments.length !== 1) return "one attachment expected";
    const [a] = attachments;
    if (a?.contentType !== "application/vnd.microsoft.card.adaptive") return "not an Adaptive Card";
    if (a.content?.type !== "AdaptiveCard" || !Array.isArray(a.content.body)) return "not an Adaptive Card's content";
  } else if (typeof b.text !== "string" || !b.text) {
    return "a message needs text or an attachment";
  }
  if (JSON.stringify(b).length > 28_000) return "MessageSizeTooBig";
  return null;
}
