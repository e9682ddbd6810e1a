import { Hono, type MiddlewareHandler } from "hono";
import { timingSafeEqual, toHex } from "../../contract/encoding.ts";
import { parseJson, parsePayload } from "../../core/alerts/payloads.ts";
import { ClawopsError } from "../../core/errors.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import type { Store } from "../../core/ports/store.ts";
import { JiraIssueEventSchema, takeJiraIssueEvent } from "../../core/tickets/jira-webhook.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";

export interface TicketRoutesConfig {
  /** JIRA_WEBHOOK_SECRET: the secret set on the Jira webhook. Unset: 503. */
  jiraWebhookSecret?: string;
}

/**
 * `POST /tickets/jira/webhook` (issue 41, item 4): Jira Cloud's webhook for issues closed or
 * reopened. Jira signs a webhook that has a secret with `X-Hub-Signature: sha256=<hex HMAC-SHA256
 * of the body>` (the WebSub scheme); the header is checked before the body is read, the body is
 * capped, the HMAC is over its exact bytes, and each delivery is taken once. Answered 200 with
 * what became of it (noted, or ignored with the reason), so Jira does not retry a delivery
 * clawops has no use for.
 * https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
 */
export function ticketRoutes(deps: CoreDeps, config: TicketRoutesConfig) {
  const app = new Hono();
  app.post("/jira/webhook", jiraHeader(config.jiraWebhookSecret), capBody(BODY_LIMITS.jiraWebhook), async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    await verifyJiraSignature(config.jiraWebhookSecret as string, bytes, c.req.header("x-hub-signature") ?? "");
    const raw = parseJson(new TextDecoder().decode(bytes), "Jira");
    const event = parsePayload(JiraIssueEventSchema, raw, "Jira");
    const claim = await claimJiraDelivery(
      deps.store,
      c.req.header("x-atlassian-webhook-identifier") ?? null,
      event,
      deps.clock.now(),
    );
    if (!claim.fresh) {
      deps.logger.warn("jira webhook refused", { reason: claim.reason });
      return c.json({ ok: true, status: "refused", reason: claim.reason }, 200);
    }
    try {
      const outcome = await takeJiraIssueEvent(deps, event);
      if (outcome.status === "ignored") deps.logger.info("jira webhook ignored", { reason: outcome.reason });
      return c.json({ ok: true, ...outcome }, 200);
    } catch (err) {
      // Not taken (a store error answered 500): Jira's retry of it is handled as new.
      await claim.release();
      throw err;
    }
  });
  return app;
}

/** The secret is set and the request carries a sha256 signature; checked before any body is read. */
function jiraHeader(secret: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!secret) {
      throw new ClawopsError(
        "not_configured",
        "The Jira webhook is off: set JIRA_WEBHOOK_SECRET (the secret on the Jira webhook) to turn it on.",
        { status: 503 },
      );
    }
    if (!/^sha256=[0-9a-f]{64}$/i.test(c.req.header("x-hub-signature") ?? "")) {
      throw new ClawopsError("bad_signature", "Missing X-Hub-Signature header (sha256=<hex>).", { status: 401 });
    }
    await next();
  };
}

const jiraKeys = new Map<string, Promise<CryptoKey>>();

/** `sha256=` + hex HMAC-SHA256 of the raw body with JIRA_WEBHOOK_SECRET, compared in constant time. */
export async function verifyJiraSignature(secret: string, body: Uint8Array, header: string): Promise<void> {
  let key = jiraKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    jiraKeys.set(secret, key);
  }
  const expected = `sha256=${toHex(new Uint8Array(await crypto.subtle.sign("HMAC", await key, body as BufferSource)))}`;
  if (!timingSafeEqual(expected, header.trim().toLowerCase())) {
    throw new ClawopsError("bad_signature", "X-Hub-Signature does not match; check JIRA_WEBHOOK_SECRET.", {
      status: 401,
    });
  }
}

/** How old a delivery may be by its own `timestamp`: Jira retries a failed one for hours, not days. */
export const JIRA_EVENT_MAX_AGE_MS = 24 * 3_600_000;
const SKEW_MS = 5 * 60_000;

/**
 * The signature has no timestamp of its own, so a captured delivery would verify forever: each
 * is taken once, by Jira's delivery id (`X-Atlassian-Webhook-Identifier`, the same on its
 * retries) or else by issue and changelog id, and none older than a day by its `timestamp`.
 */
async function claimJiraDelivery(
  store: Pick<Store, "claim" | "release">,
  identifier: string | null,
  event: {
    timestamp: number;
    issue?: { key: string } | undefined;
    changelog?: { id?: string | undefined } | undefined;
  },
  now: number,
): Promise<{ fresh: true; release: () => Promise<void> } | { fresh: false; reason: string }> {
  const at = event.timestamp;
  if (at < now - JIRA_EVENT_MAX_AGE_MS) {
    return {
      fresh: false,
      reason: `sent at ${new Date(at).toISOString()}, more than a day ago: refused as a possible replay`,
    };
  }
  if (at > now + SKEW_MS)
    return { fresh: false, reason: `sent at ${new Date(at).toISOString()}, in the future: refused` };
  const id = identifier?.trim().slice(0, 100) || `${event.issue?.key ?? "-"}:${event.changelog?.id ?? at}`;
  const key = `jira-webhook:${id}`;
  const until = at + JIRA_EVENT_MAX_AGE_MS + SKEW_MS;
  if (!(await store.claim(key, now, until))) return { fresh: false, reason: `delivery ${id} was received already` };
  return { fresh: true, release: () => store.release(key, until) };
}
