import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppTokenSource } from "../../src/adapters/teams/token.ts";
import { controlPlaneSettings, loadNodeConfig } from "../../src/node/config/load.ts";
import { configText } from "../../src/node/config/show.ts";
import { type AppCertificate, makeAppCertificate } from "../support/app-certificate.ts";
import { quietLogger } from "../support/harness.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";
import { freePort } from "../support/ports.ts";
import { TeamsStandIn } from "../support/teams-standin.ts";

/**
 * Teams with a certificate instead of an app password (issue 43: "MICROSOFT_APP_PASSWORD (or a
 * certificate)"): the settings (exactly one credential, the key checked and never echoed), the
 * client-credentials token asked with a client assertion signed RS256 by the certificate's key
 * (RFC 7523), and the identity platform's stand-in verifying it with the public key of a real
 * self-signed certificate `openssl` made at test time, refusing a wrong key, a wrong audience and
 * an expired assertion as invalid_client with Entra's AADSTS codes. The same credential on
 * Workers, where no file is read: test/workerd/chat-flows-on-workers.test.ts.
 */
const APP_ID = "5d6e7f80-0000-4000-8000-00000000ce47";
const TENANT = "6e7f8091-0000-4000-8000-0000000000bb";

let cert: AppCertificate;
let ms: TeamsStandIn;
/** The key's base64 body: what must never appear in a message. */
let keyBody: string;

beforeAll(async () => {
  cert = await makeAppCertificate();
  keyBody = cert.privateKey.split("\n")[1] ?? "";
  ms = new TeamsStandIn({ appId: APP_ID, certificate: cert.certificate, tenantId: TENANT });
  await ms.start();
}, 60_000);

afterAll(() => ms?.stop());

const hex = (fingerprint: string) => fingerprint.replace(/:/g, "").toLowerCase();
const b64url = (fingerprint: string) => Buffer.from(hex(fingerprint), "hex").toString("base64url");

const source = (over: Partial<ConstructorParameters<typeof AppTokenSource>[0]> = {}) =>
  new AppTokenSource({
    appId: APP_ID,
    tenantId: TENANT,
    certificate: { thumbprint: hex(cert.sha1), privateKey: cert.privateKey },
    loginUrl: ms.loginUrl,
    ...over,
  });

describe("the certificate settings", () => {
  it("app id, tenant, thumbprint and key (one env line, `\\n` for its line breaks): Teams on with the certificate, the key masked", async () => {
    const loaded = await loadNodeConfig({
      MICROSOFT_APP_ID: APP_ID,
      MICROSOFT_APP_TENANT_ID: TENANT,
      // As copied from `openssl x509 -fingerprint`: colons and upper case.
      MICROSOFT_APP_CERTIFICATE_THUMBPRINT: cert.sha1,
      MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: cert.privateKey.trim().replace(/\n/g, "\\n"),
    });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    const teams = controlPlaneSettings(loaded.config, quietLogger).teams;
    expect(teams?.certificate).toEqual({ thumbprint: hex(cert.sha1), privateKey: cert.privateKey.trim() });
    expect(teams?.appPassword).toBeUndefined();
    const text = configText(loaded);
    expect(text).toContain("Chats on: Microsoft Teams.");
    expect(text).toContain("MICROSOFT_APP_CERTIFICATE_THUMBPRINT");
    expect(text).not.toContain(keyBody);
  });

  it("both credentials, half a certificate, a PKCS#1 or a malformed key: a problem naming the variable, never the key", async () => {
    const base = { MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_TENANT_ID: TENANT };
    const problems = async (raw: Record<string, string>) => {
      const loaded = await loadNodeConfig({ ...base, ...raw });
      return loaded.ok ? "" : loaded.problems.join("\n");
    };
    const both = await problems({
      MICROSOFT_APP_PASSWORD: "teams-app-password-value",
      MICROSOFT_APP_CERTIFICATE_THUMBPRINT: cert.sha1,
      MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: cert.privateKey,
    });
    expect(both).toContain("one credential: MICROSOFT_APP_PASSWORD or the certificate");
    expect(both).not.toContain("teams-app-password-value");
    expect(await problems({ MICROSOFT_APP_CERTIFICATE_THUMBPRINT: cert.sha1 })).toContain(
      "MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY is not set",
    );
    expect(await problems({})).toContain("MICROSOFT_APP_PASSWORD (or the certificate) is not set");
    const pkcs1 = await problems({
      MICROSOFT_APP_CERTIFICATE_THUMBPRINT: cert.sha1,
      MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: cert.pkcs1Key,
    });
    expect(pkcs1).toContain("not an unencrypted PKCS#8 key: convert it with `openssl pkcs8 -topk8 -nocrypt");
    expect(pkcs1).not.toContain(cert.pkcs1Key.split("\n")[1]);
    const garbage = await problems({
      MICROSOFT_APP_CERTIFICATE_THUMBPRINT: "not-a-thumbprint",
      MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: keyBody,
    });
    expect(garbage).toContain("MICROSOFT_APP_CERTIFICATE_THUMBPRINT is not a certificate thumbprint");
    expect(garbage).toContain("MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY is not a PEM private key");
    expect(garbage).not.toContain(keyBody);
  });
});

describe("the bot's token with a client assertion", () => {
  it("is signed RS256 by the certificate's key and names it by x5t; the identity platform's stand-in verifies it and issues the token", async () => {
    const before = ms.assertions.length;
    const token = await source().token();
    expect(token).toMatch(/^bot-token-/);
    const request = ms.tokenRequests.at(-1) ?? {};
    expect(request.client_secret).toBeUndefined();
    expect(request.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    const header = decodeProtectedHeader(request.client_assertion ?? "");
    expect(header).toEqual({ alg: "RS256", typ: "JWT", x5t: b64url(cert.sha1) });
    const claims = decodeJwt(request.client_assertion ?? "");
    expect(claims).toMatchObject({
      iss: APP_ID,
      sub: APP_ID,
      aud: `${ms.loginUrl}/${TENANT}/oauth2/v2.0/token`,
    });
    expect(typeof claims.jti).toBe("string");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect(ms.assertions.length).toBe(before + 1);
  });

  it("a SHA-256 thumbprint is sent as x5t#S256 and accepted", async () => {
    await source({ certificate: { thumbprint: hex(cert.sha256), privateKey: cert.privateKey } }).token();
    expect(decodeProtectedHeader(ms.tokenRequests.at(-1)?.client_assertion ?? "")).toMatchObject({
      "x5t#S256": b64url(cert.sha256),
    });
  });

  it("signed by another key under the certificate's thumbprint: refused as invalid_client (AADSTS700027), said with what to check, no key in it", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    const refused = source({ certificate: { thumbprint: hex(cert.sha1), privateKey: other } }).token();
    await expect(refused).rejects.toThrow(
      /HTTP 401 invalid_client\): AADSTS700027: Client assertion contains an invalid signature/,
    );
    await expect(refused).rejects.toThrow(
      /Check MICROSOFT_APP_ID, the certificate \(MICROSOFT_APP_CERTIFICATE_THUMBPRINT/,
    );
    const message = await refused.catch((e: Error) => e.message);
    expect(message).not.toContain(other.split("\n")[1]);
    expect(message).not.toContain(keyBody);
  });

  it("a certificate the app registration does not hold (another thumbprint) is refused as its key not found", async () => {
    const stranger = await makeAppCertificate("someone-else");
    await expect(
      source({ certificate: { thumbprint: hex(stranger.sha1), privateKey: stranger.privateKey } }).token(),
    ).rejects.toThrow(/AADSTS700027: .*The key was not found/);
  }, 90_000);

  it("an assertion out of its time (a clock two hours behind) is refused (AADSTS700024)", async () => {
    await expect(source({ now: () => Date.now() - 2 * 3_600_000 }).token()).rejects.toThrow(
      /AADSTS700024: Client assertion is not within its valid time range/,
    );
  });

  it("the stand-in refuses an assertion for another audience, as the identity platform does", async () => {
    const key = await importPKCS8(cert.privateKey, "RS256");
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", typ: "JWT", x5t: b64url(cert.sha1) })
      .setIssuer(APP_ID)
      .setSubject(APP_ID)
      .setAudience("https://login.microsoftonline.com/common/oauth2/v2.0/token")
      .setJti("a-jti")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key);
    const res = await fetch(`${ms.loginUrl}/${TENANT}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: APP_ID,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
        scope: "https://api.botframework.com/.default",
      }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: "invalid_client",
      error_description: expect.stringMatching(/^AADSTS50013/),
    });
  });

  it("an app password sent to an app whose registration holds only a certificate is refused (AADSTS7000215)", async () => {
    await expect(
      new AppTokenSource({ appId: APP_ID, tenantId: TENANT, appPassword: "guess", loginUrl: ms.loginUrl }).token(),
    ).rejects.toThrow(/AADSTS7000215/);
  });
});

describe("Teams with a certificate on the Node control plane", () => {
  let plane: NodePlane;

  beforeAll(async () => {
    const loaded = await loadNodeConfig({
      MICROSOFT_APP_ID: APP_ID,
      MICROSOFT_APP_TENANT_ID: TENANT,
      MICROSOFT_APP_CERTIFICATE_THUMBPRINT: cert.sha1,
      MICROSOFT_APP_CERTIFICATE_PRIVATE_KEY: cert.privateKey,
      TEAMS_OPENID_METADATA_URL: ms.metadataUrl,
      TEAMS_LOGIN_URL: ms.loginUrl,
      TEAMS_SERVICE_URL: ms.serviceUrl,
    });
    if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
    const teams = controlPlaneSettings(loaded.config, quietLogger).teams;
    plane = await startNodePlane({
      name: "teams-cert",
      config: { port: await freePort(), console: false, ...(teams ? { teams } : {}), watch: { intervalMs: 0 } },
    });
  });

  afterAll(async () => {
    await plane?.close();
  });

  it("answers `@clawops hosts` in reply, its Bot Connector token got with the certificate's assertion", async () => {
    const channel = "19:certificate0123456789abcdef@thread.tacv2";
    const { post, activity } = ms.userMessage(channel, "<at>clawops</at> hosts");
    const asked = ms.tokenRequests.length;
    const res = await fetch(`${plane.cp.url}/teams/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await ms.token()}` },
      body: JSON.stringify(activity),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => ms.botPosts(channel).filter((p) => p.root === post.id).length).toBe(1);
    expect(JSON.stringify(ms.botPosts(channel)[0]?.activity)).toContain("No hosts");
    const used = ms.tokenRequests.slice(asked);
    expect(used.length).toBe(1);
    expect(used[0]?.client_assertion).toBeTruthy();
    expect(used[0]?.client_secret).toBeUndefined();
  });
});
