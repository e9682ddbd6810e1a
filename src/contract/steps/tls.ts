import { z } from "zod";
import { isoMillis } from "../iso-millis.ts";
import { defineStep, TimeoutArgs } from "../step.ts";

/**
 * The gateway's TLS certificate, for the fleet's expiry calendar (issue 42, item 3): what the
 * certificate file says and what the gateway serves, as facts only (SHA-256 fingerprint, dates,
 * subject CN), never the PEM. OpenClaw 2026.9.6 reads `gateway.tls.certPath`, else
 * `<state dir>/gateway/tls/gateway-cert.pem`, the self-signed pair it generates at start
 * (dist/gateway-*.mjs, `resolveGatewayTlsCertPath`).
 */
export const CertificateFacts = z.object({
  /** `AB:CD:…` as node:crypto's X509Certificate.fingerprint256 gives it. */
  fingerprint256: z.string(),
  /** ISO 8601 UTC. */
  notBefore: z.string(),
  notAfter: z.string(),
  subjectCN: z.string().nullable(),
  issuerCN: z.string().nullable(),
  selfSigned: z.boolean(),
});
export type CertificateFacts = z.infer<typeof CertificateFacts>;

export const GatewayTlsData = z.object({
  /** `gateway.tls.enabled` in openclaw.json (OpenClaw serves TLS only then). */
  enabled: z.boolean(),
  /** The certificate file read (the config's, else the generated pair's place), or null. */
  certPath: z.string().nullable(),
  /** `config` (gateway.tls.certPath) or `generated` (OpenClaw's own place for its self-signed pair). */
  certSource: z.enum(["config", "generated"]).optional(),
  file: CertificateFacts.optional(),
  /** Why the file gave no facts: missing, unreadable, or not a certificate. */
  fileError: z.string().optional(),
  /** What the gateway's port serves in a TLS handshake (only while TLS is enabled). */
  served: CertificateFacts.optional(),
  servedError: z.string().optional(),
  /** The port answered the TLS hello in plain text (OpenSSL: wrong version number): the gateway serves without TLS. */
  plainText: z.boolean().optional(),
  /** The served certificate is the file's (same SHA-256 fingerprint); absent when either is unknown. */
  servedMatchesFile: z.boolean().optional(),
  /**
   * What a CA-verifying client (Node's default CAs, the probed address as the name) makes of the
   * served certificate: `trusted`, else Node's reason (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT,
   * ERR_TLS_CERT_ALTNAME_INVALID …). OpenClaw's own clients pin instead, so untrusted is normal
   * for its generated pair; only the reason matters.
   */
  caVerdict: z.object({ trusted: z.boolean(), error: z.string().optional() }).optional(),
  /** `gateway.remote.tlsFingerprint` normalized to `AB:CD:…` (the pin remote clients use), when configured. */
  remotePin: z.string().optional(),
  /** `gateway.remote.tlsFingerprint` is set but is not a SHA-256 fingerprint (OpenClaw refuses it). */
  remotePinInvalid: z.boolean().optional(),
  /** The port the handshake went to. */
  port: z.number().optional(),
  /** When the handshake was read (ISO 8601 UTC): days to notAfter are counted from here. */
  checkedAt: z.string().optional(),
});
export type GatewayTlsData = z.infer<typeof GatewayTlsData>;

/** A certificate this close to its notAfter (or past it) is flagged: the expiry calendar and the triage's rules. */
export const CERT_SOON_DAYS = 14;

const DAY_MS = 86_400_000;

/** The certificate clients get: the served one, else (no handshake) the file's. */
export function presentedCertificate(t: GatewayTlsData): { cert: CertificateFacts; what: string } | null {
  if (t.served) return { cert: t.served, what: "served certificate" };
  if (t.file) return { cert: t.file, what: `certificate file ${t.certPath ?? ""}`.trim() };
  return null;
}

/**
 * Days from the reading (`checkedAt`) to the certificate's notAfter, fractional; ≤ 0: expired.
 * Null when either date is missing. Read without ICU (iso-millis.ts): the agent's watch compares
 * the standing below on every probe.
 */
export function certificateDaysLeft(t: Pick<GatewayTlsData, "checkedAt">, cert: CertificateFacts): number | null {
  const at = isoMillis(t.checkedAt ?? "");
  const end = isoMillis(cert.notAfter);
  if (Number.isNaN(at) || Number.isNaN(end)) return null;
  return (end - at) / DAY_MS;
}

/**
 * Where the presented certificate stands at the reading, as the TLS rules judge it (`expired`:
 * `tls-cert-expired`, `expiring`: `tls-cert-expiring`): what the watch compares in place of the
 * reading's time (contract/watch.ts), so a certificate crossing a line is a change and the
 * clock ticking is not. Null when TLS is off or no date is known.
 */
export function certificateStanding(t: GatewayTlsData): "valid" | "expiring" | "expired" | null {
  const p = t.enabled ? presentedCertificate(t) : null;
  const days = p ? certificateDaysLeft(t, p.cert) : null;
  if (days === null) return null;
  return days <= 0 ? "expired" : days <= CERT_SOON_DAYS ? "expiring" : "valid";
}

export const gatewayTls = defineStep({
  name: "gateway.tls",
  args: TimeoutArgs,
  result: GatewayTlsData,
  // One small file read and, with TLS on, one handshake on loopback.
  deadlineMs: 4_000,
});
