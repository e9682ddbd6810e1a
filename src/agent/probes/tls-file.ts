import { X509Certificate } from "node:crypto";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { CertificateFacts } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { readFile, stat } from "../fs-async.ts";
import { isoTime } from "../icu-free.ts";
import { errnoCode } from "./errors.ts";
import type { GatewayTlsConfig } from "./openclaw-config.ts";

/**
 * The certificate file of a TLS gateway, as OpenClaw 2026.9.6 finds it (`gateway.tls.certPath`,
 * else its generated pair's place): read by JobReadings once per job for the `gateway.tls` step
 * and for every probe's pin. Only public certificate bytes are read, and only facts kept.
 */

/** OpenClaw reads at most this much of a TLS leaf file (MAX_TLS_LEAF_FILE_BYTES in its dist). */
const MAX_CERT_FILE_BYTES = 65_536;

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
