import { StandIn, type TicketRequest } from "./ticket-standins.ts";

/**
 * A local PagerDuty REST API v2 stand-in (issue 29, item 7). Each request is checked against
 * the documented shape and recorded (raw bytes kept, so a test can assert no secret arrived):
 *  - `Authorization: Token token=<key>`, `Accept: application/vnd.pagerduty+json;version=2`
 *    (or application/json); a wrong key is PagerDuty's 401.
 *  - `POST /incidents/{id}/notes` `{note: {content}}` with a `From` e-mail (PagerDuty answers 400
 *    without one), 201 `{note: {id, content, created_at, user}}`;
 *    https://developer.pagerduty.com/api-reference/3df2b685a0dbc-create-a-note-on-an-incident
 *  - `GET /incidents/{id}`: 200 `{incident}`; `PUT /incidents/{id}` `{incident: {type:
 *    "incident_reference", status}}` with `From`: 200 `{incident}`. An incident it does not have
 *    is its 404 `{error: {message: "Not Found", code: 2100}}`.
 * It fails like PagerDuty too: `faults` answers 429 (Retry-After when given) or a 5xx first.
 */
export type PagerDutyIncident = { id: string; status: "triggered" | "acknowledged" | "resolved" };
export type PagerDutyNote = { incident: string; content: string; from: string };

export class PagerDutyStandIn extends StandIn {
  readonly incidents: PagerDutyIncident[] = [];
  readonly notes: PagerDutyNote[] = [];
  readonly updates: { incident: string; status: string; from: string }[] = [];
  private readonly token: string;
  private pending: { status: number; body: unknown } | null = null;

  constructor(token: string) {
    super();
    this.token = token;
  }

  addIncident(id: string, status: PagerDutyIncident["status"] = "triggered"): void {
    this.incidents.push({ id, status });
  }

  protected errorBody(status: number) {
    const messages: Record<number, [string, number]> = {
      401: ["Unauthorized", 2006],
      404: ["Not Found", 2100],
      429: ["Rate Limit Exceeded", 2020],
    };
    const [message, code] = messages[status] ?? [`HTTP ${status}`, 2001];
    return { error: { message, code } };
  }

  protected override refusalBody(problems: string[]) {
    return { error: { message: "Invalid Input Provided", code: 2001, errors: problems } };
  }

  protected check(method: string, r: TicketRequest): string[] {
    this.pending = null;
    if (r.headers.authorization !== `Token token=${this.token}`) {
      this.pending = { status: 401, body: this.errorBody(401) };
      return [];
    }
    const problems: string[] = [];
    const accept = String(r.headers.accept ?? "");
    if (accept !== "application/vnd.pagerduty+json;version=2" && accept !== "application/json")
      problems.push("pagerduty: Accept is not application/vnd.pagerduty+json;version=2");
    const notes = /^\/incidents\/([A-Z0-9]+)\/notes$/.exec(r.path);
    const one = /^\/incidents\/([A-Z0-9]+)$/.exec(r.path);
    const id = notes?.[1] ?? one?.[1];
    if (!id || !((notes && method === "POST") || (one && (method === "GET" || method === "PUT"))))
      return [`pagerduty: unexpected ${method} ${r.path}`];
    const from = String(r.headers.from ?? "");
    if (method !== "GET" && !/^[^@\s]+@[^@\s]+$/.test(from))
      problems.push("pagerduty: From header with a user's e-mail missing");
    let body: Record<string, unknown> = {};
    if (method !== "GET") {
      if (!String(r.headers["content-type"] ?? "").startsWith("application/json"))
        problems.push("pagerduty: body is not JSON");
      try {
        body = JSON.parse(r.raw.toString("utf8")) as Record<string, unknown>;
      } catch {
        return [...problems, "pagerduty: body does not parse"];
      }
    }
    if (notes) {
      const content = (body.note as { content?: unknown } | undefined)?.content;
      if (typeof content !== "string" || !content.trim())
        problems.push("pagerduty: note.content must be a non-empty string");
      else if (content.length > 25_000) problems.push("pagerduty: note.content over 25000 characters");
    }
    if (one && method === "PUT") {
      const incident = body.incident as { type?: unknown; status?: unknown } | undefined;
      if (incident?.type !== "incident_reference") problems.push("pagerduty: incident.type must be incident_reference");
      if (incident?.status !== "resolved" && incident?.status !== "acknowledged")
        problems.push("pagerduty: incident.status must be resolved or acknowledged");
    }
    if (problems.length) return problems;
    const incident = this.incidents.find((i) => i.id === id);
    if (!incident) {
      this.pending = { status: 404, body: this.errorBody(404) };
      return [];
    }
    if (notes) {
      const content = (body.note as { content: string }).content;
      this.notes.push({ incident: id, content, from });
      this.pending = {
        status: 201,
        body: {
          note: { id: `N${this.notes.length}`, content, created_at: new Date().toISOString(), user: { summary: from } },
        },
      };
    } else if (method === "PUT") {
      incident.status = (body.incident as { status: PagerDutyIncident["status"] }).status;
      this.updates.push({ incident: id, status: incident.status, from });
      this.pending = { status: 200, body: { incident: { id, type: "incident", status: incident.status } } };
    } else {
      this.pending = { status: 200, body: { incident: { id, type: "incident", status: incident.status } } };
    }
    return [];
  }

  protected answer() {
    return this.pending ?? { status: 500, body: this.errorBody(500) };
  }
}
