import { timingSafeEqual, toHex } from "../../contract/encoding.ts";
import type { LinkSigner } from "../ports/bundles.ts";

/**
 * Expiring download links: `/bundles/<id>?exp=<unix s>&sig=<hex HMAC-SHA256("<id>.<exp>")>`.
 * WebCrypto only (Node and Workers). The key never leaves the control plane.
 */
export class HmacLinkSigner implements LinkSigner {
  private readonly key: Promise<CryptoKey>;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error("the bundle link secret must be at least 16 characters");
    this.key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  private async mac(id: string, exp: number): Promise<string> {
    const sig = await crypto.subtle.sign("HMAC", await this.key, new TextEncoder().encode(`${id}.${exp}`));
    return toHex(new Uint8Array(sig));
  }

  async sign(baseUrl: string, id: string, expiresAtMs: number): Promise<string> {
    const exp = Math.floor(expiresAtMs / 1000);
    return `${baseUrl.replace(/\/+$/, "")}/bundles/${encodeURIComponent(id)}?exp=${exp}&sig=${await this.mac(id, exp)}`;
  }

  /** `ok` only for an unexpired link whose signature matches, compared in constant time. */
  async verify(
    id: string,
    exp: string | undefined,
    sig: string | undefined,
    nowMs: number,
  ): Promise<"ok" | "expired" | "bad"> {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return "bad";
    const expected = await this.mac(id, Number(exp));
    if (!timingSafeEqual(expected, sig)) return "bad";
    return Number(exp) * 1000 < nowMs ? "expired" : "ok";
  }
}
