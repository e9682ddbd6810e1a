import { errorMessage } from "../../contract/errors.ts";
import type { PagerTarget } from "../ports/paging.ts";
import type { PageEvent } from "./event.ts";

/**
 * Each pager's own request for a page (fetch only: Node and Workers alike).
 *  - PagerDuty Events API v2: `POST /v2/enqueue` `{routing_key, event_action, dedup_key,
 *    payload: {summary, source, severity, component, group, class, custom_details}, links,
 *    client}` (trigger); acknowledge and resolve carry only the key and the action. 202 accepted;
 *    400 an invalid event (not retried); 429 and 5xx retried.
 *    https://developer.pagerduty.com/docs/send-alert-event
 *  - Opsgenie Alert API: `POST /v2/alerts` `{message (≤130), alias, description, source, entity,
 *    priority, details, tags}`, `POST /v2/alerts/{alias}/acknowledge|close?identifierType=alias`
 *    `{source, user, note}`, `Authorization: GenieKey <key>`; 202 accepted.
 *    https://docs.opsgenie.com/docs/alert-api
 *  - A webhook: `POST <url>` with the event as JSON, `X-Clawops-Timestamp` (Unix seconds) and
 *    `X-Clawops-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` under the shared secret.
 */

/** A page that did not go: retried later or given up, as `retryable` says. */
export class PageDeliveryError extends Error {
  readonly code = "page_not_delivered";
  readonly retryable: boolean;
  /** The pager's own Retry-After, ms. */
  readonly retryAfterMs: number | null;
  constructor(message: string, o: { retryable: boolean; retryAfterMs?: number | null; cause?: unknown }) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.retryable = o.retryable;
    this.retryAfterMs = o.retryAfterMs ?? null;
  }
}

/** The pager's name as people know it. */
export const PAGER_NAMES: Record<PagerTarget["kind"], string> = {
  pagerduty: "PagerDuty",
  opsgenie: "Opsgenie",
  webhook: "the paging webhook",
};

/** How long one page may take before it counts as failed (and is retried). */
const SEND_TIMEOUT_MS = 10_000;

const PD_SEVERITY = { sev1: "critical", sev2: "error", sev3: "warning", sev4: "info" } as const;
const OG_PRIORITY = { sev1: "P1", sev2: "P2", sev3: "P3", sev4: "P4" } as const;

/** Sends one page; throws PageDeliveryError when it did not go. */
export async function sendPage(target: PagerTarget, e: PageEvent, fetcher: typeof fetch = fetch): Promise<void> {
  const req = await pageRequest(target, e);
  let res: Response;
  try {
    res = await fetcher(req.url, {
      method: "POST",
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (err) {
    throw new PageDeliveryError(`${PAGER_NAMES[target.kind]} did not answer: ${errorMessage(err)}`, {
      retryable: true,
      cause: err,
    });
  }
  const text = await res.text().catch(() => "");
  if (res.ok) return;
  const said = describeRefusal(text);
  const retryable = res.status === 429 || res.status === 408 || res.status >= 500;
  const after = Number(res.headers.get("retry-after"));
  throw new PageDeliveryError(`${PAGER_NAMES[target.kind]} answered HTTP ${res.status}${said ? `: ${said}` : ""}`, {
    retryable,
    retryAfterMs: Number.isFinite(after) && after > 0 ? Math.min(after, 3_600) * 1000 : null,
  });
}

/** The request a page makes at its target. */
export async function pageRequest(
  target: PagerTarget,
  e: PageEvent,
): Promise<{ url: string; headers: Record<string, string>; body: string }> {
  switch (target.kind) {
    case "pagerduty": {
      const body =
        e.action === "trigger"
          ? {
              routing_key: target.routingKey,
              event_action: "trigger",
              dedup_key: e.incidentId,
              payload: {
                summary: e.summary,
                source: e.source,
                severity: PD_SEVERITY[e.severity],
                component: "openclaw-gateway",
                group: e.details.source ?? "clawops",
                class: e.details.findings ?? "incident",
                custom_details: e.details,
              },
              links: e.links,
              client: "clawops",
            }
          : { routing_key: target.routingKey, event_action: e.action, dedup_key: e.incidentId };
      return { url: target.eventsUrl, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
    }
    case "opsgenie": {
      const base = target.apiUrl.replace(/\/+$/, "");
      const headers = { "content-type": "application/json", authorization: `GenieKey ${target.apiKey}` };
      if (e.action === "trigger") {
        const body = {
          message: e.summary.length > 130 ? `${e.summary.slice(0, 129)}…` : e.summary,
          alias: e.incidentId,
          description: Object.entries(e.details)
            .map(([k, v]) => `${k}: ${v}`)
            .join("\n")
            .slice(0, 15_000),
          source: "clawops",
          entity: e.source,
          priority: OG_PRIORITY[e.severity],
          details: e.details,
          tags: ["clawops", e.details.source ?? "incident"],
        };
        return { url: `${base}/v2/alerts`, headers, body: JSON.stringify(body) };
      }
      const verb = e.action === "acknowledge" ? "acknowledge" : "close";
      return {
        url: `${base}/v2/alerts/${encodeURIComponent(e.incidentId)}/${verb}?identifierType=alias`,
        headers,
        body: JSON.stringify({
          source: "clawops",
          ...(e.by ? { user: e.by.slice(0, 100) } : {}),
          note: `${e.action === "acknowledge" ? "Acknowledged" : "Resolved"} in clawops${e.by ? ` by ${e.by}` : ""}`,
        }),
      };
    }
    case "webhook": {
      const body = JSON.stringify({ type: `incident.${e.action}`, incident: e });
      const timestamp = String(Math.floor(Date.now() / 1000));
      return {
        url: target.url,
        headers: {
          "content-type": "application/json",
          "x-clawops-timestamp": timestamp,
          "x-clawops-signature": `v1=${await hmacSha256Hex(target.secret, `${timestamp}.${body}`)}`,
        },
        body,
      };
    }
  }
}

/** HMAC-SHA256 in hex, by WebCrypto (Node and workerd). */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message)));
  return Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a pager said when it refused: PagerDuty's `errors`, Opsgenie's `message`, else the text. */
function describeRefusal(text: string): string {
  try {
    const j = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(j.errors) ? j.errors.map(String).join("; ") : "";
    const message = typeof j.message === "string" ? j.message : "";
    return [message, errors].filter(Boolean).join(": ").slice(0, 300);
  } catch {
    return text.replace(/\s+/g, " ").trim().slice(0, 200);
  }
}
