import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpsServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGet } from "../../src/agent/probes/gateway-http.ts";
import { normalizeFingerprint } from "../../src/agent/probes/tls-pin.ts";
import { type CertificateFacts, type GatewayTlsData, STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { type Data, healthyData, toResults } from "../support/evidence.ts";
import { freePort } from "../support/ports.ts";

/**
 * The TLS rules of issue 46 (rules-field-tls.ts) on the `gateway.tls` step's facts, and the pin
 * the agent's probes use (tls-pin.ts) against a node:https server with a certificate `openssl`
 * makes now. The same states on the real gateway: test/gateway/faults-tls.test.ts.
 */
const A = "AA:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD";
const B = "BB:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD";
const CHECKED = "2026-11-26T12:00:00.000Z";

const cert = (fingerprint256: string, notAfter: string): CertificateFacts => ({
  fingerprint256,
  notBefore: "2026-01-01T00:00:00.000Z",
  notAfter,
  subjectCN: "openclaw-gateway",
  issuerCN: "openclaw-gateway",
  selfSigned: true,
});

function tlsGateway(tls: Partial<GatewayTlsData>): Data {
  const d = healthyData();
  d.ws = { ...d.ws, url: "wss://127.0.0.1:19001" };
  d.tls = {
    enabled: true,
    certPath: "/etc/openclaw/gateway-cert.pem",
    certSource: "config",
    file: cert(A, "2027-11-26T12:00:00.000Z"),
    served: cert(A, "2027-11-26T12:00:00.000Z"),
    servedMatchesFile: true,
    caVerdict: { trusted: false, error: "DEPTH_ZERO_SELF_SIGNED_CERT" },
    port: 19001,
    checkedAt: CHECKED,
    ...tls,
  };
  return d;
}

const classify = (d: Data) => classifyResults(toResults(d), STEP_NAMES);
const tlsFindings = (d: Data) => classify(d).findings.filter((f) => f.id.startsWith("tls-"));

describe("TLS rules (issue 46)", () => {
  it("a healthy TLS gateway: no TLS finding, a self-signed pair is not one either", () => {
    expect(tlsFindings(tlsGateway({}))).toEqual([]);
    expect(classify(tlsGateway({})).matrix.transport.status).toBe("ok");
  });

  it("TLS off: nothing to say", () => {
    expect(tlsFindings(healthyData())).toEqual([]);
  });

  it("served ≠ file: fail, both fingerprints quoted, the agent's refused pin, openssl commands with the real port and path", () => {
    const d = tlsGateway({ served: cert(B, "2027-11-26T12:00:00.000Z"), servedMatchesFile: false });
    d.ws = { url: "wss://127.0.0.1:19001", outcome: "error", challenged: false, tokenSource: "config" };
    d.ws.error = { message: "gateway tls fingerprint mismatch" };
    const c = classify(d);
    const f = c.findings[0];
    expect(f?.id).toBe("tls-served-not-file");
    expect(f?.severity).toBe("fail");
    expect(f?.layer).toBe("transport");
    expect(f?.evidence).toEqual([
      `served: SHA-256 ${B}, CN=openclaw-gateway, notBefore 2026-01-01T00:00:00.000Z, notAfter 2027-11-26T12:00:00.000Z`,
      `/etc/openclaw/gateway-cert.pem: SHA-256 ${A}, CN=openclaw-gateway, notBefore 2026-01-01T00:00:00.000Z, notAfter 2027-11-26T12:00:00.000Z`,
      "agent's wss://127.0.0.1:19001 probe, pinned as OpenClaw's CLI pins: gateway tls fingerprint mismatch",
    ]);
    expect(f?.nextCommands.slice(0, 2)).toEqual([
      "openssl s_client -connect 127.0.0.1:19001 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 -enddate",
      "openssl x509 -in /etc/openclaw/gateway-cert.pem -noout -fingerprint -sha256 -enddate",
    ]);
    expect(f?.explanation).toContain("not because the gateway is down");
    expect(f?.wouldConfirm).toContain("different SHA-256 fingerprints");
    expect(c.matrix.transport).toEqual({
      status: "fail",
      reason: expect.stringContaining("TLS pin refused"),
    });
  });

  it("expiring: a warning inside 14 days, none at 15", () => {
    const in3 = tlsGateway({ served: cert(A, "2026-11-29T18:00:00.000Z") });
    const f = tlsFindings(in3);
    expect(f.map((x) => `${x.id} ${x.severity}`)).toEqual(["tls-cert-expiring warn"]);
    expect(f[0]?.evidence[0]).toMatch(/notAfter 2026-11-29T18:00:00.000Z: 3 day\(s\) left at this probe/);
    expect(tlsFindings(tlsGateway({ served: cert(A, "2026-12-11T13:00:00.000Z") }))).toEqual([]);
    expect(tlsFindings(tlsGateway({ served: cert(A, "2026-11-27T06:00:00.000Z") }))[0]?.evidence[0]).toContain(
      "less than a day left",
    );
  });

  it("expired: fail, the CA-verifying client's reason quoted, the pinned wss handshake named as the false green", () => {
    const d = tlsGateway({
      served: cert(A, "2026-11-20T12:00:00.000Z"),
      caVerdict: { trusted: false, error: "CERT_HAS_EXPIRED" },
    });
    const c = classify(d);
    const f = c.findings.find((x) => x.id === "tls-cert-expired");
    expect(f?.severity).toBe("fail");
    expect(f?.evidence).toEqual([
      expect.stringContaining("notAfter 2026-11-20T12:00:00.000Z: expired 6 day(s) before this probe"),
      "a CA-verifying TLS client (Node's CAs) refuses it: CERT_HAS_EXPIRED",
    ]);
    expect(f?.falseGreen).toContain("a pin does not check expiry");
    expect(c.findings.map((x) => x.id)).not.toContain("tls-cert-expiring");
  });

  it("no handshake: the file's dates are judged", () => {
    const d = tlsGateway({ served: undefined, servedMatchesFile: undefined, servedError: "refused" });
    d.tls.file = cert(A, "2026-11-01T00:00:00.000Z");
    const f = tlsFindings(d);
    expect(f.map((x) => x.id)).toEqual(["tls-cert-expired"]);
    expect(f[0]?.evidence[0]).toMatch(/^certificate file \/etc\/openclaw\/gateway-cert.pem: SHA-256/);
  });

  it("TLS in the file, plain text on the port: tls-not-served, the first finding, not a down gateway", () => {
    const d = tlsGateway({
      file: undefined,
      served: undefined,
      servedMatchesFile: undefined,
      caVerdict: undefined,
      plainText: true,
      servedError: "TLS handshake on port 19001 failed: … wrong version number …",
    });
    d.ws = { url: "wss://127.0.0.1:19001", outcome: "error", challenged: false, tokenSource: "config" };
    d.ws.error = { message: "… wrong version number …" };
    const c = classify(d);
    expect(c.findings[0]?.id).toBe("tls-not-served");
    expect(c.findings[0]?.evidence).toEqual([
      "openclaw.json: gateway.tls.enabled true",
      "port 19001 answered a TLS hello in plain text: TLS handshake on port 19001 failed: … wrong version number …",
      "agent's wss://127.0.0.1:19001 probe: … wrong version number …",
    ]);
    expect(c.findings.map((f) => f.id)).not.toContain("gateway-down");
  });

  it("the remote pin ≠ served: fail; equal: nothing", () => {
    const f = tlsFindings(tlsGateway({ remotePin: B }));
    expect(f.map((x) => x.id)).toEqual(["tls-pin-mismatch"]);
    expect(f[0]?.evidence[0]).toBe(`gateway.remote.tlsFingerprint: ${B}`);
    expect(tlsFindings(tlsGateway({ remotePin: A }))).toEqual([]);
  });
});

describe("the agent's pin (tls-pin.ts), as OpenClaw's clients pin", () => {
  let dir: string;
  let server: Server;
  let port: number;
  let fingerprint: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clawops-pin-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "2", "-nodes", "-keyout", join(dir, "k.pem")].concat([
        "-out",
        join(dir, "c.pem"),
        "-subj",
        "/CN=openclaw-gateway",
      ]),
      { stdio: "ignore" },
    );
    const certPem = readFileSync(join(dir, "c.pem"));
    fingerprint = new (await import("node:crypto")).X509Certificate(certPem).fingerprint256;
    server = createHttpsServer({ cert: certPem, key: readFileSync(join(dir, "k.pem")) }, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true,"status":"live"}');
    });
    port = await freePort();
    await new Promise<void>((ok) => server.listen(port, "127.0.0.1", ok));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
    await rm(dir, { recursive: true, force: true });
  });

  it("normalizes the forms OpenClaw accepts (hex, colons, sha256: prefix) and refuses others", () => {
    const hex = fingerprint.replaceAll(":", "").toLowerCase();
    expect(normalizeFingerprint(hex)).toBe(fingerprint);
    expect(normalizeFingerprint(`sha256:${hex}`)).toBe(fingerprint);
    expect(normalizeFingerprint(fingerprint.toLowerCase())).toBe(fingerprint);
    expect(normalizeFingerprint("AB:CD")).toBeNull();
  });

  it("pinned to the served certificate: answered; another pin: refused in OpenClaw's words; no pin: a CA's refusal", async () => {
    const url = `https://127.0.0.1:${port}/healthz`;
    expect(await httpGet(url, 3_000, undefined, fingerprint)).toEqual({
      status: 200,
      body: { ok: true, status: "live" },
    });
    expect(await httpGet(url, 3_000, undefined, A)).toEqual({
      status: null,
      error: "gateway tls fingerprint mismatch",
    });
    expect(await httpGet(url, 3_000)).toEqual({ status: null, error: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  });
});
