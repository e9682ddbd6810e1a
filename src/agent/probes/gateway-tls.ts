import { X509Certificate } from "node:crypto";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { connect } from "node:tls";
import type { CertificateFacts, GatewayTlsData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { readFile, stat } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { parseConfigText } from "./config-text.ts";
import { errnoCode } from "./errors.ts";
import { effectivePort } from "./openclaw-config.ts";
import { budget, type Probe } from "./probe.ts";

/** OpenClaw reads at most this much of a TLS leaf file (MAX_TLS_LEAF_FILE_BYTES in its dist). */
const MAX_CERT_FILE_BYTES = 65_536;
const HANDSHAKE_TIMEOUT_MS = 2_000;

/**
 * `gateway.tls`: the certificate file's facts and the served certificate's, compared by SHA-256
 * fingerprint. Only public certificate bytes are read (never the key), and only facts leave the
 * host: the PEM is parsed here and dropped.
 */
export const probeGatewayTls: Probe<"gateway.tls"> = async (ctx, args, run) => {
  let tls: Record<string, unknown> = {};
  try {
    const parsed = parseConfigText(await readFile(ctx.configPath, "utf8"));
    const gateway = parsed.ok ? record(record(parsed.root).gateway) : {};
    tls = record(gateway.tls);
  } catch {
    // No readable config: OpenClaw would not serve TLS either; the config step says why.
  }
  if (tls.enabled !== true) return { enabled: false, certPath: null };
  const configured = typeof tls.certPath === "string" && tls.certPath.trim() ? tls.certPath.trim() : null;
  const certPath = configured
    ? userPath(configured, ctx.env)
    : join(generatedDir(ctx), "gateway", "tls", "gateway-cert.pem");
  const out: GatewayTlsData = { enabled: true, certPath, certSource: configured ? "config" : "generated" };
  const file = await readCertificateFile(certPath);
  if ("error" in file) out.fileError = file.error;
  else out.file = file.facts;
  const config = await run.readings.config().catch(() => null);
  const { port } = effectivePort(ctx, config ?? { port: null });
  const served = await servedCertificate(
    ctx.gatewayHost,
    port,
    budget(run, args.timeoutMs ?? HANDSHAKE_TIMEOUT_MS),
    run.signal,
  );
  if ("error" in served) out.servedError = served.error;
  else out.served = served.facts;
  if (out.file && out.served) out.servedMatchesFile = out.file.fingerprint256 === out.served.fingerprint256;
  return out;
};

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

/** The certificate a TLS handshake on the gateway's port presents (not verified: it is only read). */
function servedCertificate(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ facts: CertificateFacts } | { error: string }> {
  return new Promise((done) => {
    let settled = false;
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    const finish = (v: { facts: CertificateFacts } | { error: string }) => {
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
      finish(peer ? { facts: certificateFacts(peer) } : { error: "the gateway presented no certificate" });
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

function record(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
