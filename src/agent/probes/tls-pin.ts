import type { ClientRequest } from "node:http";
import { TLSSocket } from "node:tls";

/**
 * Certificate pinning as OpenClaw 2026.9.6's own clients do it (dist/websocket-transport-*.mjs
 * `applyGatewayWebSocketTlsPin`, dist/local-http-probe-*.mjs): no CA check, the served leaf's
 * SHA-256 fingerprint must equal the pin, else the request is destroyed before anything is sent
 * with "gateway tls fingerprint mismatch". The local CLI pins the fingerprint of the file at
 * `gateway.tls.certPath` (dist/client-bootstrap-*.mjs `resolveGatewayConnectionTlsFingerprint`), a
 * remote client `gateway.remote.tlsFingerprint`.
 */

/** OpenClaw's own words, so an operator can grep their clients' logs for the same line. */
export const PIN_MISMATCH = "gateway tls fingerprint mismatch";
const PIN_UNAVAILABLE = "gateway tls fingerprint unavailable";

/** What a probe needs to talk to a TLS gateway: the pin, and where it came from (null: CA-verified). */
export type TlsPin = { sha256: string | null; source: "certificate file" | "gateway.remote.tlsFingerprint" | null };

/**
 * `AB:CD:…` (node:crypto's form) from a 64-hex or colon-separated SHA-256 fingerprint, with or
 * without `sha256:`; null for anything else (OpenClaw refuses such a pin).
 */
export function normalizeFingerprint(value: string | null | undefined): string | null {
  const v = (value ?? "").trim().replace(/^sha256:/i, "");
  const hex = /^[a-fA-F0-9]{64}$/.test(v)
    ? v
    : /^(?:[a-fA-F0-9]{2}:){31}[a-fA-F0-9]{2}$/.test(v)
      ? v.replaceAll(":", "")
      : null;
  return hex ? (hex.toUpperCase().match(/../g) ?? []).join(":") : null;
}

/** Why the socket's peer does not satisfy the pin, or null when it does. */
export function pinRefusal(socket: TLSSocket, pinSha256: string): string | null {
  const served = normalizeFingerprint(socket.getPeerCertificate()?.fingerprint256);
  if (!served) return PIN_UNAVAILABLE;
  return served === normalizeFingerprint(pinSha256) ? null : PIN_MISMATCH;
}

/**
 * Request options that pin: the CA check off (the pin replaces it), and the request held until
 * the handshake shows the pinned certificate (`ws`'s `finishRequest`; for node:https the caller's
 * request is passed to `holdUntilPinned` itself).
 */
export function pinnedOptions(pinSha256: string): {
  rejectUnauthorized: false;
  finishRequest: (req: ClientRequest) => void;
} {
  return { rejectUnauthorized: false, finishRequest: (req) => holdUntilPinned(req, pinSha256, true) };
}

/** Checks the pin once the TLS handshake is done; destroys the request on a mismatch. */
export function holdUntilPinned(req: ClientRequest, pinSha256: string, endWhenPinned: boolean): void {
  req.once("socket", (socket) => {
    if (!(socket instanceof TLSSocket)) {
      req.destroy(new Error(PIN_UNAVAILABLE));
      return;
    }
    const check = () => {
      if (req.destroyed) return;
      const refusal = pinRefusal(socket, pinSha256);
      if (refusal) req.destroy(new Error(refusal));
      else if (endWhenPinned) req.end();
    };
    // Node's own flag (not in its typings): true until the handshake is done.
    if ((socket as TLSSocket & { secureConnecting?: boolean }).secureConnecting) {
      socket.once("secureConnect", check);
      req.once("close", () => socket.off("secureConnect", check));
    } else check();
  });
}
