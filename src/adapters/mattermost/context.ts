import { fromBase64Url, randomToken, timingSafeEqual, toBase64Url } from "../../contract/encoding.ts";

/**
 * The `context` of each clawops button on Mattermost, signed. Mattermost posts a pressed
 * button's `integration.context` back to its URL as it was written, and signs nothing itself
 * (https://developers.mattermost.com/integrate/plugins/interactive-messages/), so the context
 * carries its own proof: an HMAC-SHA256 over what it asks, with a key derived from the bot's
 * token (only clawops and Mattermost's server know the token). The server keeps a button's
 * integration (URL and context) and posts it itself when the button is pressed; what reaches
 * `/mattermost/actions` from anyone else needs a context clawops signed. It expires, and its nonce with the press's trigger_id is claimed once (replays refused).
 *
 * A confirm dialog's `state` is signed the same way and also names the user it was opened for:
 * Mattermost opens a dialog only for the user whose press made the trigger_id.
 */
export interface ActionContext {
  /** The action id (`clawops_run:…`, `clawops_approve` …). */
  a: string;
  /** The button's value. */
  v: string;
  /** 1: the button asks first (a confirm dialog), as Slack's `confirm`. */
  c?: 1;
  /** The confirm dialog's words: title, text (rich text), the confirm button's label. */
  q?: [string, string, string];
  /** The user a dialog's state was made for (Mattermost user id); absent on a button. */
  u?: string;
  /** Expiry, Unix seconds. */
  exp: number;
  /** Random: two renders of one button are two contexts. */
  n: string;
  /** base64url HMAC-SHA256 of the fields above. */
  s: string;
}

/** How long a button's context acts: longer than an incident lives in a channel, re-signed at each edit. */
export const BUTTON_CONTEXT_TTL_S = 30 * 24 * 3600;
/** How long a confirm dialog's state acts (Mattermost's trigger_id itself lasts 3 s to open it). */
export const DIALOG_STATE_TTL_S = 10 * 60;

export type ContextCheck = { ok: true; context: ActionContext } | { ok: false; reason: "forged" | "expired" };

export class ActionSigner {
  private readonly key: Promise<CryptoKey>;
  private readonly nowSeconds: () => number;
  private readonly nonce: () => string;

  constructor(botToken: string, opts: { nowSeconds?: () => number; nonce?: () => string } = {}) {
    this.key = deriveKey(botToken);
    this.nowSeconds = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    this.nonce = opts.nonce ?? (() => randomToken(12));
  }

  async sign(
    fields: { a: string; v: string; c?: 1; q?: [string, string, string]; u?: string },
    ttlSeconds = BUTTON_CONTEXT_TTL_S,
  ): Promise<ActionContext> {
    const unsigned = { ...fields, exp: this.nowSeconds() + ttlSeconds, n: this.nonce() };
    return { ...unsigned, s: await this.mac(unsigned) };
  }

  /** Checks a context as Mattermost posted it back; anything not exactly a signed, live context is refused. */
  async check(raw: unknown): Promise<ContextCheck> {
    const c = shape(raw);
    if (!c) return { ok: false, reason: "forged" };
    const { s, ...unsigned } = c;
    if (!timingSafeEqual(await this.mac(unsigned), s)) return { ok: false, reason: "forged" };
    if (c.exp <= this.nowSeconds()) return { ok: false, reason: "expired" };
    return { ok: true, context: c };
  }

  private async mac(c: Omit<ActionContext, "s">): Promise<string> {
    // A fixed field order, each length-prefixed: no two contexts sign the same bytes.
    const text = ["v1", c.a, c.v, String(c.c ?? 0), JSON.stringify(c.q ?? null), c.u ?? "", String(c.exp), c.n]
      .map((f) => `${f.length}:${f}`)
      .join("|");
    const sig = await crypto.subtle.sign("HMAC", await this.key, new TextEncoder().encode(text));
    return toBase64Url(new Uint8Array(sig));
  }
}

async function deriveKey(botToken: string): Promise<CryptoKey> {
  const enc = new TextEncoder();
  const base = await crypto.subtle.importKey("raw", enc.encode(botToken), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const derived = await crypto.subtle.sign("HMAC", base, enc.encode("clawops mattermost action context v1"));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

function shape(raw: unknown): ActionContext | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const str = (v: unknown, max: number) => typeof v === "string" && v.length <= max;
  if (!str(r.a, 200) || !str(r.v, 2000) || !str(r.n, 64) || !str(r.s, 64)) return null;
  if (typeof r.exp !== "number" || !Number.isInteger(r.exp)) return null;
  if (r.c !== undefined && r.c !== 1) return null;
  if (r.u !== undefined && !str(r.u, 64)) return null;
  const q = r.q;
  if (q !== undefined && !(Array.isArray(q) && q.length === 3 && q.every((x) => str(x, 3000)))) return null;
  try {
    fromBase64Url(r.s as string);
  } catch {
    return null;
  }
  return {
    a: r.a as string,
    v: r.v as string,
    ...(r.c === 1 ? { c: 1 as const } : {}),
    ...(Array.isArray(q) ? { q: q as [string, string, string] } : {}),
    ...(typeof r.u === "string" ? { u: r.u } : {}),
    exp: r.exp,
    n: r.n as string,
    s: r.s as string,
  };
}
