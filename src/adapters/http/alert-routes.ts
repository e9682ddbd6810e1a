import { type Context, Hono, type MiddlewareHandler } from "hono";
import { sha256Hex, timingSafeEqual, toHex } from "../../contract/encoding.ts";
import {
  AlertmanagerPayloadSchema,
  type AlertSource,
  alertFromPagerDuty,
  alertsFromGroup,
  GrafanaPayloadSchema,
  type IncomingAlert,
  PagerDutyPayloadSchema,
  parseJson,
  parsePayload,
  refuseOtherReceiver,
} from "../../core/alerts/payloads.ts";
import { type AlertPolicy, receiveAlerts } from "../../core/alerts/receive.ts";
import { ClawopsError } from "../../core/errors.ts";
import { takePagerDutyUpdate } from "../../core/incidents/pager-updates.ts";
import type { CoreDeps } from "../../core/ports/deps.ts";
import { metricsOf } from "../../core/ports/metrics.ts";
import type { LaterAfterAck } from "./later.ts";
import { BODY_LIMITS, capBody } from "./limits.ts";
import { claimPagerDutyEvent } from "./pagerduty-replay.ts";

export interface AlertRoutesConfig {
  /** CLAWOPS_ALERT_TOKEN: what Alertmanager and Grafana send as `Authorization: Bearer …`. Unset: 503. */
  token?: string;
  /** PAGERDUTY_WEBHOOK_SECRET: the v3 subscription's signing secret. Unset: 503. */
  pagerdutySecret?: string;
  policy: AlertPolicy;
}

/**
 * Alert webhooks: `POST /alerts/alertmanager`, `/alerts/grafana` (bearer CLAWOPS_ALERT_TOKEN,
 * checked before the body is read) and `/alerts/pagerduty` (X-PagerDuty-Signature over the
 * capped raw body). Each answers 202 with what it will do and does it after the response.
 */
export function alertRoutes(deps: CoreDeps, config: AlertRoutesConfig, later: LaterAfterAck) {
  const app = new Hono();
  const bearer = bearerToken(config.token);

  const take = async (c: Context, source: AlertSource, alerts: IncomingAlert[]) => {
    // Every alert of an authenticated, valid payload, taken or not (clawops_alerts_received_total).
    if (alerts.length > 0) metricsOf(deps).count("alerts_received_total", { source }, alerts.length);
    const receipt = await receiveAlerts(deps, alerts, config.policy);
    later(receipt, c);
    return c.json({ ok: true, accepted: receipt.accepted, ignored: receipt.ignored, alerts: receipt.alerts }, 202);
  };

  app.post("/alertmanager", bearer, capBody(BODY_LIMITS.alertGroup), async (c) => {
    const raw = parseJson(await c.req.text(), "Alertmanager");
    refuseOtherReceiver(raw, "alertmanager");
    const payload = parsePayload(AlertmanagerPayloadSchema, raw, "Alertmanager");
    return take(c, "alertmanager", alertsFromGroup("alertmanager", payload));
  });

  app.post("/grafana", bearer, capBody(BODY_LIMITS.alertGroup), async (c) => {
    const raw = parseJson(await c.req.text(), "Grafana");
    refuseOtherReceiver(raw, "grafana");
    const payload = parsePayload(GrafanaPayloadSchema, raw, "Grafana");
    return take(c, "grafana", alertsFromGroup("grafana", payload));
  });

  app.post("/pagerduty", pagerdutyHeader(config.pagerdutySecret), capBody(BODY_LIMITS.pagerduty), async (c) => {
    // The signature covers the exact bytes PagerDuty sent.
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    await verifyPagerDutySignature(
      config.pagerdutySecret as string,
      bytes,
      c.req.header("x-pagerduty-signature") ?? "",
    );
    const body = new TextDecoder().decode(bytes);
    const payload = parsePayload(PagerDutyPayloadSchema, parseJson(body, "PagerDuty"), "PagerDuty v3");
    const event = payload.event.event_type.slice(0, 80);
    // Each event once, and none older than a day by its own time: the signature has no timestamp.
    const claim = await claimPagerDutyEvent(deps.store, payload.event, deps.clock.now());
    if (!claim.fresh) {
      deps.logger.warn("pagerduty event refused", { event, reason: claim.reason });
      // 200: a retry of an event already taken is answered, so PagerDuty stops sending it.
      return c.json({ ok: true, accepted: [], ignored: [], event, refused: claim.reason }, 200);
    }
    // An event about an incident clawops paged moves that incident (acknowledged, resolved).
    const update = await takePagerDutyUpdate(deps, payload.event);
    if (update) return c.json({ ok: true, accepted: [], ignored: [], event, update }, 200);
    const alert = alertFromPagerDuty(payload);
    if (!alert) {
      // Acknowledged, annotated, a subscription's ping: received, nothing to do.
      return c.json({ ok: true, accepted: [], ignored: [], event }, 200);
    }
    try {
      return await take(c, "pagerduty", [alert]);
    } catch (err) {
      // Not taken (a store error answered 500): PagerDuty's retry of it is handled as new.
      await claim.release();
      throw err;
    }
  });

  return app;
}

/** Bearer CLAWOPS_ALERT_TOKEN, compared in constant time (as SHA-256 digests: equal lengths). */
function bearerToken(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!token) {
      throw new ClawopsError(
        "not_configured",
        "Alert webhooks are off: set CLAWOPS_ALERT_TOKEN (the bearer token Alertmanager and Grafana send) to turn them on.",
        { status: 503 },
      );
    }
    const given = /^Bearer +(\S+) *$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    const [a, b] = await Promise.all([sha256Hex(given), sha256Hex(token)]);
    if (!given || !timingSafeEqual(a, b)) {
      throw new ClawopsError("unauthorized", "Send `Authorization: Bearer <CLAWOPS_ALERT_TOKEN>`.", { status: 401 });
    }
    await next();
  };
}

/** The secret is set and the request carries a v1 signature; checked before any body is read. */
function pagerdutyHeader(secret: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!secret) {
      throw new ClawopsError(
        "not_configured",
        "PagerDuty webhooks are off: set PAGERDUTY_WEBHOOK_SECRET (the v3 webhook subscription's signing secret) to turn them on.",
        { status: 503 },
      );
    }
    if (!/(^|,)\s*v1=[0-9a-f]{64}\s*(,|$)/i.test(c.req.header("x-pagerduty-signature") ?? "")) {
      throw new ClawopsError("bad_signature", "Missing X-PagerDuty-Signature header (v1=<hex>).", { status: 401 });
    }
    await next();
  };
}

const pdKeys = new Map<string, Promise<CryptoKey>>();

/**
 * PagerDuty's v1 signature: hex HMAC-SHA256 of the raw body with the signing secret. The header
 * may carry several, comma-separated (during a secret rotation): one match is enough.
 * https://developer.pagerduty.com/docs/webhooks/webhook-signatures/
 */
export async function verifyPagerDutySignature(secret: string, body: Uint8Array, header: string): Promise<void> {
  let key = pdKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    pdKeys.set(secret, key);
  }
  const expected = `v1=${toHex(new Uint8Array(await crypto.subtle.sign("HMAC", await key, body as BufferSource)))}`;
  let ok = false;
  for (const given of header.split(",").map((s) => s.trim().toLowerCase())) {
    // Every candidate is compared, so the time does not say which one matched.
    if (timingSafeEqual(expected, given)) ok = true;
  }
  if (!ok) {
    throw new ClawopsError("bad_signature", "X-PagerDuty-Signature does not match; check PAGERDUTY_WEBHOOK_SECRET.", {
      status: 401,
    });
  }
}
