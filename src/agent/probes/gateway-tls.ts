import { connect } from "node:tls";
import type { CertificateFacts, GatewayTlsData } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { isoTime } from "../icu-free.ts";
import { effectivePort } from "./openclaw-config.ts";
import { budget, type Probe } from "./probe.ts";
import { certificateFacts } from "./tls-file.ts";
import { normalizeFingerprint } from "./tls-pin.ts";

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
  if ("error" in served) {
    out.servedError = served.error;
    if (served.plainText) out.plainText = true;
  } else {
    out.served = served.facts;
    out.caVerdict = served.caVerdict;
  }
  if (out.file && out.served) out.servedMatchesFile = out.file.fingerprint256 === out.served.fingerprint256;
  return out;
};

type CaVerdict = NonNullable<GatewayTlsData["caVerdict"]>;

/** The certificate a TLS handshake on the gateway's port presents, and a CA-verifying client's verdict on it. */
function servedCertificate(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ facts: CertificateFacts; caVerdict: CaVerdict } | { error: string; plainText?: boolean }> {
  return new Promise((done) => {
    let settled = false;
    // Not rejected, so its facts can be read; Node still verifies it against its CAs and the
    // address's name and says so in `authorized` / `authorizationError`: the CA-verifying
    // client's view in the same handshake.
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    const finish = (v: { facts: CertificateFacts; caVerdict: CaVerdict } | { error: string; plainText?: boolean }) => {
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
    socket.once("error", (err) =>
      finish({
        error: `TLS handshake on port ${port} failed: ${errorMessage(err).slice(0, 200)}`,
        // OpenSSL's answer when the reply to its hello is not a TLS record: an HTTP server (the gateway without TLS).
        ...((err as { code?: unknown }).code === "ERR_SSL_WRONG_VERSION_NUMBER" ? { plainText: true } : {}),
      }),
    );
  });
}
