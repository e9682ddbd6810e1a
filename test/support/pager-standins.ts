import { createHmac, timingSafeEqual } from "node:crypto";
import { StandIn, type TicketRequest } from "./ticket-standins.ts";

/**
 * The team's pagers as local stand-ins (issue 40, item 2), each checking the documented request
 * and answering like the real API, and failing like it (`faults`: 429 with Retry-After, 5xx;
 * `failNext`: 503s):
 *  - PagerDuty Events API v2, `POST /v2/enqueue` (https://developer.pagerduty.com/docs/send-alert-event):
 *    `routing_key` (32 characters; a wrong one is its 400 "Invalid routing key"), `event_action`
 *    trigger|acknowledge|resolve, `dedup_key` (≤ 255, required to acknowledge or resolve), and
 *    for a trigger `payload.summary` (1-1024), `payload.source`, `payload.severity`
 *    (critical|error|warning|info). 202 `{status: "success", message: "Event processed",
 *    dedup_key}`; 400 `{status: "invalid event", message: "Event object is invalid", errors}`.
 *    Alerts fold by dedup key the way PagerDuty's do: a trigger for an open key is the same alert.
 *  - Opsgenie Alert API (https://docs.opsgenie.com/docs/alert-api): `Authorization: GenieKey
 *    <key>`; `POST /v2/alerts` `{message (≤ 130), alias (≤ 512), priority P1-P5, …}`; `POST
 *    /v2/alerts/{alias}/acknowledge|close?identifierType=alias`. 202 `{result: "Request will be
 *    processed", took, requestId}`; 422 for a malformed alert, 401 for a wrong key.
 *  - A webhook receiver that verifies `X-Clawops-Signature` (`v1=` HMAC-SHA256 of
 *    `<X-Clawops-Timestamp>.<body>`) and refuses a bad one with 401.
 */
export type PdAlert = {
  dedupKey: string;
  status: "triggered" | "acknowledged" | "resolved";
  summary: string;
  severity: string;
  source: string;
};

export class PagerDutyEventsStandIn extends StandIn {
  readonly alerts = new Map<string, PdAlert>();
  /** Every accepted event, in order: what a test asserts on. */
  readonly events: { action: string; dedupKey: string; body: Record<string, unknown> }[] = [];
  readonly routingKey: string;
  private pending: { status: number; body: unknown } | null = null;

  constructor(routingKey: string) {
    super();
    this.routingKey = routingKey;
  }

  get eventsUrl(): string {
    return `${this.url}/v2/enqueue`;
  }

  protected errorBody(status: number) {
    if (status === 429)
      return { status: "throttle event", message: "Requests for this service are arriving too quickly." };
    return { status: "error", message: `HTTP ${status}` };
  }

  protected override refusalBody(problems: string[]) {
    return { status: "invalid event", message: "Event object is invalid", errors: problems };
  }

  protected check(method: string, r: TicketRequest): string[] {
    this.pending = null;
    const problems: string[] = [];
    if (method !== "POST" || r.path !== "/v2/enqueue")
      return [`pagerduty: ${method} ${r.path} is not POST /v2/enqueue`];
    if (!String(r.headers["content-type"] ?? "").startsWith("application/json"))
      problems.push("pagerduty: Content-Type is not application/json");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      return ["pagerduty: the body is not JSON"];
    }
    if (body.routing_key !== this.routingKey) {
      this.pending = {
        status: 400,
        body: { status: "invalid event", message: "Event object is invalid", errors: ["Invalid routing key"] },
      };
      return [];
    }
    const action = body.event_action;
    if (action !== "trigger" && action !== "acknowledge" && action !== "resolve")
      problems.push("'event_action' is missing or invalid");
    const key = body.dedup_key;
    if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > 255))
      problems.push("'dedup_key' must be a string of 1-255 characters");
    if (action !== "trigger" && typeof key !== "string")
      problems.push("'dedup_key' is required to acknowledge or resolve");
    if (action === "trigger") {
      const p = body.payload as Record<string, unknown> | undefined;
      if (!p || typeof p !== "object") problems.push("'payload' is missing");
      else {
        if (typeof p.summary !== "string" || p.summary.length < 1 || p.summary.length > 1024)
          problems.push("'payload.summary' must be 1-1024 characters");
        if (typeof p.source !== "string" || p.source.length < 1) problems.push("'payload.source' is missing");
        if (!["critical", "error", "warning", "info"].includes(String(p.severity)))
          problems.push("'payload.severity' must be critical, error, warning or info");
        if (p.custom_details !== undefined && (typeof p.custom_details !== "object" || p.custom_details === null))
          problems.push("'payload.custom_details' must be an object");
      }
      if (body.links !== undefined && !Array.isArray(body.links)) problems.push("'links' must be an array");
    }
    if (problems.length === 0) {
      const dedupKey = typeof key === "string" ? key : `pd-${this.events.length + 1}`;
      this.events.push({ action: String(action), dedupKey, body });
      const open = this.alerts.get(dedupKey);
      if (action === "trigger" && (!open || open.status === "resolved")) {
        const p = body.payload as Record<string, string>;
        this.alerts.set(dedupKey, {
          dedupKey,
          status: "triggered",
          summary: p.summary ?? "",
          severity: p.severity ?? "",
          source: p.source ?? "",
        });
      } else if (open && open.status !== "resolved" && action !== "trigger") {
        open.status = action === "acknowledge" ? "acknowledged" : "resolved";
      }
      this.pending = { status: 202, body: { status: "success", message: "Event processed", dedup_key: dedupKey } };
    }
    return problems;
  }

  protected answer(_r: TicketRequest) {
    return this.pending ?? { status: 500, body: { status: "error", message: "stand-in: no answer" } };
  }
}

export class OpsgenieStandIn extends StandIn {
  readonly alerts = new Map<
    string,
    { alias: string; message: string; priority: string; status: "open" | "acked" | "closed" }
  >();
  readonly calls: { what: string; alias: string; body: Record<string, unknown> }[] = [];
  readonly apiKey: string;
  private pending: { status: number; body: unknown } | null = null;

  constructor(apiKey: string) {
    super();
    this.apiKey = apiKey;
  }

  protected errorBody(status: number) {
    return {
      message: status === 429 ? "You are making too many requests!" : `HTTP ${status}`,
      took: 0,
      requestId: "r",
    };
  }

  protected override refusalBody(problems: string[]) {
    return { message: problems.join("; "), took: 0, requestId: "r" };
  }

  protected check(method: string, r: TicketRequest): string[] {
    this.pending = null;
    if (r.headers.authorization !== `GenieKey ${this.apiKey}`) {
      this.pending = { status: 401, body: { message: "Key format is not valid!", took: 0, requestId: "r" } };
      return [];
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      return ["opsgenie: the body is not JSON"];
    }
    const problems: string[] = [];
    const ok = {
      status: 202,
      body: { result: "Request will be processed", took: 0.01, requestId: `req-${this.calls.length + 1}` },
    };
    if (method === "POST" && r.path === "/v2/alerts") {
      const message = body.message;
      const alias = body.alias;
      if (typeof message !== "string" || message.length === 0 || message.length > 130)
        problems.push("Message can not be empty and its length must be at most 130");
      if (alias !== undefined && (typeof alias !== "string" || alias.length > 512)) problems.push("Alias is too long");
      if (body.priority !== undefined && !["P1", "P2", "P3", "P4", "P5"].includes(String(body.priority)))
        problems.push("Priority should be one of [P1, P2, P3, P4, P5]");
      if (problems.length === 0) {
        this.calls.push({ what: "create", alias: String(alias), body });
        this.alerts.set(String(alias), {
          alias: String(alias),
          message: String(message),
          priority: String(body.priority ?? "P3"),
          status: "open",
        });
        this.pending = ok;
      } else {
        this.pending = { status: 422, body: this.refusalBody(problems) };
        return [];
      }
      return [];
    }
    const m = /^\/v2\/alerts\/([^/?]+)\/(acknowledge|close)\?identifierType=alias$/.exec(r.path);
    if (method === "POST" && m) {
      const alias = decodeURIComponent(m[1] ?? "");
      const alert = this.alerts.get(alias);
      this.calls.push({ what: m[2] ?? "", alias, body });
      if (alert) alert.status = m[2] === "acknowledge" ? "acked" : "closed";
      this.pending = ok;
      return [];
    }
    return [`opsgenie: ${method} ${r.path} is not an alert call`];
  }

  protected answer(_r: TicketRequest) {
    return this.pending ?? { status: 500, body: { message: "stand-in: no answer" } };
  }
}

export class PageWebhookReceiver extends StandIn {
  readonly pages: { type: string; incident: Record<string, unknown> }[] = [];
  readonly secret: string;
  private pending: { status: number; body: unknown } | null = null;

  constructor(secret: string) {
    super();
    this.secret = secret;
  }

  protected errorBody(status: number) {
    return { error: `HTTP ${status}` };
  }

  protected check(_method: string, r: TicketRequest): string[] {
    this.pending = null;
    const ts = String(r.headers["x-clawops-timestamp"] ?? "");
    const sig = String(r.headers["x-clawops-signature"] ?? "");
    const want = `v1=${createHmac("sha256", this.secret)
      .update(`${ts}.${r.raw.toString("utf8")}`)
      .digest("hex")}`;
    const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
    if (!fresh || sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) {
      this.pending = { status: 401, body: { error: "bad signature" } };
      return [];
    }
    const body = JSON.parse(r.raw.toString("utf8")) as { type: string; incident: Record<string, unknown> };
    this.pages.push(body);
    this.pending = { status: 200, body: { ok: true } };
    return [];
  }

  protected answer(_r: TicketRequest) {
    return this.pending ?? { status: 500, body: {} };
  }
}
