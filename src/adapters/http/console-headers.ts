import type { MiddlewareHandler } from "hono";
import { toBase64Url } from "../../contract/encoding.ts";

/**
 * Secure headers on every console response (issue 32, item 3): the page sets server-built HTML
 * with innerHTML, so a message that ever slipped past the escaping must still run nothing. The
 * Content-Security-Policy allows exactly the page's own inline script and style (by their
 * SHA-256, computed once from the page as served), same-origin fetches and the event stream, and
 * data: images (the favicon); no other script, no inline event handler, no style attribute, no
 * framing (frame-ancestors 'none'), no <base>, no form posted anywhere. Plus nosniff, no
 * referrer, DENY for browsers that predate frame-ancestors, and same-origin opener and resource
 * policies.
 */
export async function consoleCsp(page: string): Promise<string> {
  const hashes = async (tag: "script" | "style") => {
    const bodies = [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1] ?? "");
    const digests = await Promise.all(
      bodies.map(async (b) => {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(b)));
        // CSP hashes are standard base64, padded.
        const b64 = toBase64Url(digest).replace(/-/g, "+").replace(/_/g, "/");
        return `'sha256-${b64}${"=".repeat((4 - (b64.length % 4)) % 4)}'`;
      }),
    );
    return digests.length > 0 ? digests.join(" ") : "'none'";
  };
  return [
    "default-src 'none'",
    `script-src ${await hashes("script")}`,
    `style-src ${await hashes("style")}`,
    "img-src data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function consoleSecureHeaders(page: string): MiddlewareHandler {
  let csp: Promise<string> | null = null;
  return async (c, next) => {
    csp ??= consoleCsp(page);
    const policy = await csp;
    await next();
    c.header("content-security-policy", policy);
    c.header("x-content-type-options", "nosniff");
    c.header("x-frame-options", "DENY");
    c.header("referrer-policy", "no-referrer");
    c.header("cross-origin-opener-policy", "same-origin");
    c.header("cross-origin-resource-policy", "same-origin");
  };
}
