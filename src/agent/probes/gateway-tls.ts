import { X509Certificate } from "node:crypto";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { connect } from "node:tls";
import type { CertificateFacts, GatewayTlsData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { readFile, stat } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { errnoCode } from "./errors.ts";
import { effectivePort, type GatewayTlsConfig } from "./openclaw-config.ts";
import { budget, type Probe } from "./probe.ts";
import { normalizeFingerprint } from "./tls-pin.ts";

/** OpenClaw reads at most this much of a TLS leaf file (MAX_TLS_LEAF_FILE_BYTES in its dist). */
const MAX_CERT_FILE_BYTES = 65_536;
const HANDSHAKE_TIMEOUT_MS = 2_000;

/**
 * `gateway.tls`: the certificate file's facts and the served certificate's, compared by SHA-256
 * fingerprint. Only public certificate bytes are read (never the key), and only facts leave the
 * host: the PEM is parsed here and dropped.
 */
export const probeGatewayTls: Probe<"gateway.tls"> = async (ctx, args, run) => {
  const config = await run.readings.config().catch(() => null);
  const tls = config?.tls;
  // No readable config: OpenClaw would not serve TLS either; the config step says why.
  if (!config || !tls?.enabled) return { enabled: false, certPath: null };
  const file = await run.readings.tlsFile();
  const out: GatewayTlsData = { enabled: true, certPath: file.certPath, certSource: file.certSource };
  if (file.facts) out.file = file.facts;
  else if (file.error) out.fileError = file.error;
  if (tls.remoteFingerprint) {
    const pin = normalizeFingerprint(tls.remoteFingerprint);
    if (pin) out.remotePin = pin;
    else out.remotePinInvalid = true;
  }
  const { port } = effectivePort(ctx, config);
  out.port = port;
  out.checkedAt = isoTime();
  const served = await servedCertificate(
    ctx.gatewayHost,
    port,
    budget(run, args.timeoutMs ?? HANDSHAKE_TIMEOUT_MS),
    run.signal,
  );
  if ("error" in served) out.servedError = served.error;
  else {
    out.served = served.facts;
    out.caVerdict = served.caVerdict;
  }
  if (out.file && out.served) out.servedMatchesFile = out.file.fingerprint256 === out.served.fingerprint256;
  return out;
};

/** The certificate file OpenClaw serves from (and its local clients pin), with its facts or why there are none. */
export type TlsFileReading = {
  certPath: string;
  certSource: "config" | "generated";
  facts?: CertificateFacts;
  error?: string;
};

/** `gateway.tls.certPath`, else OpenClaw's generated pair's place; read once per job (JobReadings.tlsFile). */
export async function readGatewayTlsFile(
  ctx: { stateDir: string; configPath: string; env: Readonly<Record<string, string | undefined>> },
  tls: GatewayTlsConfig,
): Promise<TlsFileReading> {
  const certPath = tls.certPath
    ? userPath(tls.certPath, ctx.env)
    : join(generatedDir(ctx), "gateway", "tls", "gateway-cert.pem");
  const certSource = tls.certPath ? "config" : "generated";
  const file = await readCertificateFile(certPath);
  return "error" in file ? { certPath, certSource, error: file.error } : { certPath, certSource, facts: file.facts };
}

/** Facts of the first certificate in a PEM (or DER) file, or a sentence saying why there are none. */
export async function readCertificateFile(path: string): Promise<{ facts: CertificateFacts } | { error: string }> {
  let bytes: Buffer;
  try {
    const s = await stat(path);
    if (!s.isFile()) return { error: `${path} is not a file` };
    if (s.size > MAX_CERT_FILE_BYTES)
      return { error: `${path} is ${s.size} bytes, over OpenClaw's ${MAX_CERT_FILE_BYTES}` };
    bytes = await readFile(path);
  } catch (err) {
    const code = errnoCode(err);
    return {
      error: code === "ENOENT" ? `${path} does not exist` : `${path} cannot be read (${code ?? errorMessage(err)})`,
    };
  }
  try {
    return { facts: certificateFacts(new X509Certificate(bytes)) };
  } catch (err) {
    // The message names the parser's reason; never the file's bytes (it could hold a key).
    return { error: `${path} is not a certificate (${errorMessage(err).slice(0, 120)})` };
  }
}

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  return {
    fingerprint256: cert.fingerprint256,
    notBefore: isoTime(cert.validFromDate.getTime()),
    notAfter: isoTime(cert.validToDate.getTime()),
    subjectCN: commonName(cert.subject),
    issuerCN: commonName(cert.issuer),
    selfSigned: cert.subject === cert.issuer && cert.checkIssued(cert),
  };
}

type CaVerdict = NonNullable<GatewayTlsData["caVerdict"]>;

/** The certificate a TLS handshake on the gateway's port presents, and a CA-verifying client's verdict on it. */
function servedCertificate(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ facts: CertificateFacts; caVerdict: CaVerdict } | { error: string }> {
  return new Promise((done) => {
    let settled = false;
    // Not rejected, so its facts can be read; Node still verifies it against its CAs and the
    // address's name and says so in `authorized` / `authorizationError`: the CA-verifying
    // client's view in the same handshake.
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    const finish = (v: { facts: CertificateFacts; caVerdict: CaVerdict } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      done(v);
    };
    const onAbort = () => finish({ error: "the step's deadline passed during the handshake" });
    const timer = setTimeout(
      () => finish({ error: `no TLS handshake on port ${port} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("secureConnect", () => {
      const peer = socket.getPeerX509Certificate();
      const why = socket.authorizationError;
      const caVerdict: CaVerdict = socket.authorized
        ? { trusted: true }
        : { trusted: false, error: (why instanceof Error ? why.message : String(why ?? "not verified")).slice(0, 200) };
      finish(peer ? { facts: certificateFacts(peer), caVerdict } : { error: "the gateway presented no certificate" });
    });
    socket.once("error", (err) => finish({ error: `TLS handshake on port ${port} failed: ${errorMessage(err)}` }));
  });
}

/** Where OpenClaw keeps its generated pair: OPENCLAW_STATE_DIR, else the config file's folder, else ~/.openclaw. */
function generatedDir(ctx: {
  stateDir: string;
  configPath: string;
  env: Readonly<Record<string, string | undefined>>;
}) {
  if (ctx.env.OPENCLAW_STATE_DIR?.trim()) return ctx.stateDir;
  if (ctx.env.OPENCLAW_CONFIG_PATH?.trim()) return dirname(ctx.configPath);
  return ctx.stateDir;
}

function userPath(p: string, env: Readonly<Record<string, string | undefined>>): string {
  if (p === "~" || p.startsWith("~/")) return join(env.HOME ?? homedir(), p.slice(1));
  return resolve(p);
}

function commonName(dn: string): string | null {
  const m = /(?:^|\n)CN=([^\n]*)/.exec(dn);
  return m?.[1]?.slice(0, 200) ?? null;
}
