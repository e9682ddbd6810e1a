import { z } from "zod";
import type { ConsoleEvent } from "../../adapters/console/feed.ts";
import { MessageSchema } from "../../core/messages/model.ts";
import type { JobStatus } from "../../core/ports/store.ts";

/**
 * HTTP client for the control plane's local-console API (src/adapters/http/app.ts): the same
 * commands and messages the console page uses. Every response is parsed here, at the edge.
 */

export const ConsoleEventSchema = z.object({
  seq: z.number().int(),
  kind: z.enum(["post", "update"]),
  channel: z.string(),
  ts: z.string(),
  threadTs: z.string().nullable(),
  text: z.string(),
  message: MessageSchema,
  at: z.number(),
}) satisfies z.ZodType<ConsoleEvent>;

const Ack = z.object({ text: z.string(), message: MessageSchema });
export type Ack = z.infer<typeof Ack>;

const CommandResponse = z.object({
  ok: z.literal(true),
  ack: Ack,
  jobId: z.string().nullable(),
  /** Set when the command was refused (unknown host, offline, …). */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Newest console event before this command posted anything: follow from here. */
  headSeq: z.number(),
});
export type CommandResponse = z.infer<typeof CommandResponse>;

const JOB_STATUSES = ["running", "done", "lost", "timeout", "rejected"] as const satisfies readonly JobStatus[];
const JobResponse = z.object({
  ok: z.literal(true),
  job: z.object({
    id: z.string(),
    host: z.string(),
    status: z.enum(JOB_STATUSES),
    threadTs: z.string().nullable(),
    progressTs: z.string().nullable(),
    resultTs: z.string().nullable(),
    detail: z.string().nullable(),
    failingLayers: z.array(z.string()),
    findings: z.array(z.string()),
    /** Layer → status once the job ended (older control planes: absent). */
    matrix: z.record(z.string(), z.string()).nullable().optional(),
    findingTitles: z.array(z.object({ id: z.string(), title: z.string(), severity: z.string() })).optional(),
  }),
});
export type JobInfo = z.infer<typeof JobResponse>["job"];

const HostsResponse = z.object({
  ok: z.literal(true),
  hosts: z.array(
    z.object({
      name: z.string(),
      state: z.enum(["online", "offline", "revoked"]),
      agentVersion: z.string().nullable(),
      gatewayVersion: z.string().nullable(),
      enrolledAt: z.number(),
      lastSeenAt: z.number().nullable(),
      revokedAt: z.number().nullable(),
      tags: z.array(z.string()),
    }),
  ),
});
export type HostsListing = z.infer<typeof HostsResponse>["hosts"];

const FleetResponse = z.object({
  ok: z.literal(true),
  selector: z.string(),
  counts: z.record(z.string(), z.number()),
  columns: z.array(z.string()),
  rows: z.array(
    z.object({
      host: z.string(),
      // `stale` and `unwatched` come from the watch (docs/watch.md).
      state: z.enum(["ok", "warn", "fail", "no-answer", "offline", "stale", "unwatched"]),
      layers: z.record(z.string(), z.string()),
      reason: z.string(),
      ageMs: z.number().optional(),
      /** The host's OpenClaw core version (issue 42, version drift). */
      version: z.string().optional(),
      /** The plugins its watch last read, `<package> <version>`. */
      plugins: z.array(z.string()).optional(),
    }),
  ),
  deadlineMs: z.number(),
  elapsedMs: z.number(),
  source: z.string().optional(),
  /** Version drift (core/fleet/versions.ts): majority, hosts off it, plugins behind core, known issues by version. */
  versions: z
    .object({
      known: z.number(),
      majority: z.object({ version: z.string(), hosts: z.number() }).nullable(),
      offMajority: z.array(z.object({ host: z.string(), version: z.string() })),
      unknown: z.array(z.string()),
      plugins: z.array(
        z.object({
          host: z.string(),
          core: z.string(),
          behind: z.array(z.object({ name: z.string(), version: z.string() })),
        }),
      ),
      withPlugins: z.number(),
      knownIssues: z.array(
        z.object({
          version: z.string(),
          hosts: z.array(z.string()),
          issues: z.array(z.object({ ref: z.string(), fixedIn: z.string() })),
        }),
      ),
    })
    .optional(),
});
export type FleetListing = Omit<z.infer<typeof FleetResponse>, "ok">;

const IncidentSchema = z.object({
  id: z.string(),
  source: z.string(),
  state: z.enum(["open", "acknowledged", "resolved"]),
  title: z.string(),
  hosts: z.array(z.string()),
  channel: z.string().nullable(),
  threadTs: z.string().nullable(),
  owner: z.string().nullable(),
  openedAt: z.number(),
  openedBy: z.string(),
  updatedAt: z.number(),
  resolvedAt: z.number().nullable(),
  resolvedBy: z.string().nullable(),
});
/** A JSON answer passed through as it is (its shape is the route's: incident-routes.ts). */
const LooseOk = z.looseObject({ ok: z.literal(true) });
const IncidentsResponse = z.object({ ok: z.literal(true), scope: z.string(), incidents: z.array(IncidentSchema) });
/** `clawops expiries --json` (issue 42, item 3): the calendar core/expiries/calendar.ts builds. */
const ExpiriesResponse = z.object({
  ok: z.literal(true),
  generatedAt: z.number(),
  entries: z.array(
    z.object({
      host: z.string(),
      kind: z.string(),
      what: z.string(),
      expiresAt: z.number(),
      daysLeft: z.number(),
      soon: z.boolean(),
      expired: z.boolean(),
      fingerprint: z.string().optional(),
      note: z.string().optional(),
    }),
  ),
  problems: z.array(z.object({ host: z.string(), what: z.string(), error: z.string() })),
  unanswered: z.array(z.object({ host: z.string(), reason: z.string() })),
  enrollments: z.array(z.object({ host: z.string(), enrolledAt: z.number(), ageDays: z.number() })),
  sharedTokens: z
    .array(
      z.object({
        fingerprint: z.string(),
        channels: z.array(z.string()),
        settings: z.array(z.string()),
        hosts: z.array(z.string()),
        accounts: z.array(z.string()),
      }),
    )
    .default([]),
  failingGrants: z
    .array(z.object({ host: z.string(), what: z.string(), count: z.number(), lastAt: z.string().optional() }))
    .default([]),
});
export type ExpiriesListing = Omit<z.infer<typeof ExpiriesResponse>, "ok">;
const PostmortemResponse = z.object({ ok: z.literal(true), filename: z.string(), markdown: z.string() });

const IncidentResponse = z.object({
  ok: z.literal(true),
  incident: IncidentSchema,
  timeline: z.array(
    z.object({
      seq: z.number(),
      at: z.number(),
      actor: z.string(),
      kind: z.string(),
      text: z.string(),
      ref: z.string().nullable(),
    }),
  ),
  /** Its tickets (issue 29, item 6): absent from a control plane before them. */
  tickets: z
    .array(
      z.object({
        id: z.string(),
        system: z.string(),
        key: z.string(),
        url: z.string().nullable(),
        state: z.string(),
        finding: z.string(),
        bundleId: z.string().nullable(),
        keptUntil: z.number().nullable(),
      }),
    )
    .optional(),
});

const MessagesResponse = z.object({ ok: z.literal(true), events: z.array(ConsoleEventSchema) });
const ErrorResponse = z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) });

export type ConsoleClientErrorCode = "unreachable" | "no_console" | "unauthorized" | "http" | "bad_response";

export class ConsoleClientError extends Error {
  readonly code: ConsoleClientErrorCode;
  constructor(code: ConsoleClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConsoleClientError";
    this.code = code;
  }
}

const JSON_BODY = { "content-type": "application/json" };
const LoginResponse = z.object({ ok: z.literal(true), url: z.string() });

export class ConsoleClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly secret: string | null;

  /** `secret`: the console secret (`<data dir>/console-secret`), sent as a bearer token. */
  constructor(baseUrl: string, secret: string | null, fetchImpl: typeof fetch = fetch) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.secret = secret;
    this.fetchImpl = fetchImpl;
  }

  /** A one-time URL that logs a browser into the console. */
  async loginUrl(): Promise<string> {
    return (await this.json("/api/console/login", LoginResponse, { method: "POST", headers: JSON_BODY, body: "{}" }))
      .url;
  }

  command(text: string): Promise<CommandResponse> {
    return this.json("/api/console/command", CommandResponse, {
      method: "POST",
      headers: JSON_BODY,
      body: JSON.stringify({ text }),
    });
  }

  async job(id: string): Promise<JobInfo> {
    return (await this.json(`/api/console/jobs/${encodeURIComponent(id)}`, JobResponse)).job;
  }

  async hosts(): Promise<HostsListing> {
    return (await this.json("/api/console/hosts", HostsResponse)).hosts;
  }

  /** `clawops incident <id> --signals --json`: what fired and every signal's fate. */
  async signals(id: string): Promise<Record<string, unknown>> {
    const { ok: _ok, ...doc } = await this.json(`/api/console/incidents/${encodeURIComponent(id)}/signals`, LooseOk);
    return doc;
  }

  /** `clawops report --since 30d --json`. */
  async report(since: string | undefined): Promise<Record<string, unknown>> {
    const q = since ? `?since=${encodeURIComponent(since)}` : "";
    const { ok: _ok, ...doc } = await this.json(`/api/console/report${q}`, LooseOk);
    return doc;
  }

  /** `clawops incidents --json`: the records, newest first. */
  async incidents(scope: "open" | "all"): Promise<z.infer<typeof IncidentsResponse>["incidents"]> {
    return (await this.json(`/api/console/incidents?scope=${scope}`, IncidentsResponse)).incidents;
  }

  /** `clawops incident <id> --json`: one record and its whole timeline. */
  async incident(id: string): Promise<Omit<z.infer<typeof IncidentResponse>, "ok">> {
    const { ok: _ok, ...doc } = await this.json(`/api/console/incidents/${encodeURIComponent(id)}`, IncidentResponse);
    return doc;
  }

  /** `clawops postmortem <id> --md`: the draft's Markdown, as the command posts it. */
  async postmortem(id: string): Promise<{ filename: string; markdown: string }> {
    const { filename, markdown } = await this.json(
      `/api/console/incidents/${encodeURIComponent(id)}/postmortem`,
      PostmortemResponse,
    );
    return { filename, markdown };
  }

  /** `clawops expiries --json`: the fleet's expiry calendar, read now (the control plane probes every host). */
  async expiries(): Promise<ExpiriesListing> {
    const { ok: _ok, ...calendar } = await this.json("/api/console/expiries", ExpiriesResponse);
    return calendar;
  }

  async fleet(selector: string): Promise<FleetListing> {
    const { ok: _ok, ...report } = await this.json(
      `/api/console/fleet?selector=${encodeURIComponent(selector)}`,
      FleetResponse,
    );
    return report;
  }

  async messagesSince(seq: number): Promise<ConsoleEvent[]> {
    return (await this.json(`/api/console/messages?since=${seq}`, MessagesResponse)).events;
  }

  /**
   * The live event stream (SSE) from `since`. Yields events until the server closes the
   * stream or `signal` aborts; the caller reconnects with the last seq it saw.
   */
  async *events(since: number, signal: AbortSignal): AsyncGenerator<ConsoleEvent> {
    const res = await this.request(`/api/console/events?since=${since}`, {
      headers: { accept: "text/event-stream", "last-event-id": String(since) },
      signal,
    });
    if (!res.body) throw new ConsoleClientError("bad_response", "The event stream has no body.");
    let buffer = "";
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value.replace(/\r\n?/g, "\n");
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const frame = parseSseFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (frame.event === "message" && frame.data) {
            const parsed = ConsoleEventSchema.safeParse(JSON.parse(frame.data));
            if (!parsed.success)
              throw new ConsoleClientError("bad_response", `Unexpected console event: ${parsed.error.message}`);
            yield parsed.data;
          }
          end = buffer.indexOf("\n\n");
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ConsoleClientError) throw err;
      throw new ConsoleClientError("unreachable", `lost the event stream from ${this.baseUrl}`, { cause: err });
    } finally {
      reader.releaseLock();
      await res.body.cancel().catch(() => {});
    }
  }

  private async json<T>(path: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T> {
    const res = await this.request(path, init);
    const body: unknown = await res.json().catch(() => null);
    const failed = ErrorResponse.safeParse(body);
    if (failed.success) {
      throw new ConsoleClientError(
        "http",
        `${failed.data.error.message} (${failed.data.error.code}, HTTP ${res.status})`,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ConsoleClientError(
        "bad_response",
        `Unexpected answer from ${this.baseUrl}${path} (HTTP ${res.status}).`,
      );
    }
    return parsed.data;
  }

  /** The audit log as JSON lines (oldest first), optionally for one host. */
  async auditJsonLines(host?: string): Promise<string> {
    const res = await this.request(`/api/console/audit.jsonl${host ? `?host=${encodeURIComponent(host)}` : ""}`);
    if (!res.ok) throw new ConsoleClientError("http", `audit export failed: HTTP ${res.status}`);
    return res.text();
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    let res: Response;
    const headers = new Headers(init?.headers);
    if (this.secret) headers.set("authorization", `Bearer ${this.secret}`);
    try {
      res = await this.fetchImpl(this.baseUrl + path, { ...init, headers });
    } catch (err) {
      if (init?.signal?.aborted) throw err;
      throw new ConsoleClientError(
        "unreachable",
        `cannot reach clawops at ${this.baseUrl}: is \`npm start\` running?`,
        {
          cause: err,
        },
      );
    }
    if (res.status === 401 && path.startsWith("/api/console/")) {
      throw new ConsoleClientError(
        "unauthorized",
        this.secret
          ? `clawops at ${this.baseUrl} refused the console secret: is it the clawops whose data folder this is ($CLAWOPS_DATA_DIR)?`
          : `clawops at ${this.baseUrl} needs the console secret: run the CLI where clawops keeps its data folder, or set CLAWOPS_DATA_DIR to it.`,
      );
    }
    if (
      res.status === 404 &&
      path.startsWith("/api/console/") &&
      !path.startsWith("/api/console/jobs/") &&
      !path.startsWith("/api/console/incidents/")
    ) {
      throw new ConsoleClientError(
        "no_console",
        `clawops at ${this.baseUrl} does not serve the local console (Slack is configured): restart it with CLAWOPS_CONSOLE=1.`,
      );
    }
    return res;
  }
}

function parseSseFrame(raw: string): { event: string; data: string; id: string | null } {
  let event = "message";
  let id: string | null = null;
  const data: string[] = [];
  for (const line of raw.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  return { event, data: data.join("\n"), id };
}
