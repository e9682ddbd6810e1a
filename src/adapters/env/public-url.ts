/**
 * A URL a host is told to fetch from, in a command an operator pastes into a shell: http(s),
 * no query or fragment, and only characters a shell leaves alone.
 */
const SHELL_SAFE_URL = /^https?:\/\/[A-Za-z0-9.\-_~:%[\]/]+$/;

/**
 * CLAWOPS_PUBLIC_URL: the control plane's URL as hosts (and browsers, for bundle links) reach
 * it, without a trailing slash; null when unset. Throws, saying what is wrong, when it is not
 * a plain http(s) URL.
 */
export function parsePublicUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  const trimmed = value.replace(/\/+$/, "");
  if (!url || !SHELL_SAFE_URL.test(trimmed) || url.username || url.password) {
    throw new Error(
      `CLAWOPS_PUBLIC_URL=${JSON.stringify(value)} is not a plain http(s) URL (e.g. https://clawops.example.com): ` +
        "letters, digits and . - _ ~ : % / only, no query, fragment or credentials.",
    );
  }
  return trimmed;
}
