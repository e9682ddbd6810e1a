import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Local Jira and GitHub stand-ins. Each request is checked against the documented shape and
 * recorded (with its raw bytes, so a test can assert no secret ever arrived):
 *  - Jira Cloud attachments: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-attachments/
 *    POST /rest/api/3/issue/{key}/attachments, multipart/form-data with a part named `file`,
 *    `X-Atlassian-Token: no-check`, basic auth `email:API token`.
 *  - GitHub issue comments: https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
 *    POST /repos/{owner}/{repo}/issues/{n}/comments, JSON `{body}`, `Authorization: Bearer`,
 *    `Accept: application/vnd.github+json`, `X-GitHub-Api-Version`.
 */
export type TicketRequest = { path: string; headers: IncomingMessage["headers"]; raw: Buffer };

abstract class StandIn {
  readonly requests: TicketRequest[] = [];
  readonly violations: string[] = [];
  /** Answer this many requests with HTTP 503 first (retry tests). */
  failNext = 0;
  /**
   * Then these answers, one per request: a 429 with `Retry-After` (Jira Cloud and GitHub send
   * seconds), a 5xx, or a 4xx such as 404 (no such issue) with the product's error body.
   */
  readonly faults: { status: number; retryAfterS?: number }[] = [];
  url = "";
  private server: Server | null = null;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.receive(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.server = null;
  }

  /** Every byte any request carried, as text: for "no secret arrived" assertions. */
  allText(): string {
    return this.requests.map((r) => `${JSON.stringify(r.headers)}\n${r.raw.toString("latin1")}`).join("\n");
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = { path: req.url ?? "", headers: req.headers, raw: Buffer.concat(chunks) };
    this.requests.push(request);
    if (this.failNext > 0) {
      this.failNext--;
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"message":"temporarily unavailable"}');
      return;
    }
    const fault = this.faults.shift();
    if (fault) {
      res.writeHead(fault.status, {
        "content-type": "application/json",
        ...(fault.retryAfterS !== undefined ? { "retry-after": String(fault.retryAfterS) } : {}),
      });
      res.end(JSON.stringify(this.errorBody(fault.status)));
      return;
    }
    const problems = this.check(req.method ?? "", request);
    if (problems.length) {
      this.violations.push(...problems);
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ errorMessages: problems }));
      return;
    }
    const { status, body } = this.answer(request);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  /** The product's error body for a status (Jira: errorMessages; GitHub: message). */
  protected abstract errorBody(status: number): unknown;
  protected abstract check(method: string, r: TicketRequest): string[];
  protected abstract answer(r: TicketRequest): { status: number; body: unknown };
}

export type JiraAttachment = { issueKey: string; filename: string; contentType: string; bytes: Buffer };

export class JiraStandIn extends StandIn {
  readonly attachments: JiraAttachment[] = [];
  private readonly email: string;
  private readonly apiToken: string;

  constructor(email: string, apiToken: string) {
    super();
    this.email = email;
    this.apiToken = apiToken;
  }

  protected errorBody(status: number) {
    return {
      errorMessages: [
        status === 404 ? "Issue does not exist or you do not have permission to see it." : `HTTP ${status}`,
      ],
      errors: {},
    };
  }

  protected check(method: string, r: TicketRequest): string[] {
    const problems: string[] = [];
    const m = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/attachments$/.exec(r.path);
    if (method !== "POST" || !m) return [`jira: unexpected ${method} ${r.path}`];
    if (r.headers["x-atlassian-token"] !== "no-check") problems.push("jira: X-Atlassian-Token: no-check missing");
    const expected = `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString("base64")}`;
    if (r.headers.authorization !== expected) problems.push("jira: Authorization is not basic email:API token");
    const boundary = /^multipart\/form-data;\s*boundary=(.+)$/i.exec(String(r.headers["content-type"] ?? ""))?.[1];
    if (!boundary) return [...problems, `jira: content-type ${r.headers["content-type"]} is not multipart/form-data`];
    const parts = parseMultipart(r.raw, boundary.replace(/^"|"$/g, ""));
    const file = parts.find((p) => p.name === "file");
    if (!file) problems.push(`jira: no multipart part named "file" (parts: ${parts.map((p) => p.name).join(", ")})`);
    else if (!file.filename) problems.push("jira: the file part has no filename");
    if (!problems.length && file && m[1])
      this.attachments.push({
        issueKey: m[1],
        filename: file.filename ?? "",
        contentType: file.contentType ?? "",
        bytes: file.data,
      });
    return problems;
  }

  protected answer(r: TicketRequest) {
    const last = this.attachments[this.attachments.length - 1];
    return {
      status: 200,
      body: [
        {
          id: String(this.attachments.length),
          filename: last?.filename,
          size: last?.bytes.length,
          self: `${this.url}${r.path}`,
        },
      ],
    };
  }
}

export type GithubComment = { repo: string; issue: number; body: string };

export class GithubStandIn extends StandIn {
  readonly comments: GithubComment[] = [];
  private readonly token: string;

  constructor(token: string) {
    super();
    this.token = token;
  }

  protected errorBody(status: number) {
    return {
      message: status === 404 ? "Not Found" : status === 429 ? "API rate limit exceeded" : `HTTP ${status}`,
      documentation_url: "https://docs.github.com/rest",
    };
  }

  protected check(method: string, r: TicketRequest): string[] {
    const m = /^\/repos\/([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)\/issues\/(\d+)\/comments$/.exec(r.path);
    if (method !== "POST" || !m) return [`github: unexpected ${method} ${r.path}`];
    const problems: string[] = [];
    if (r.headers.authorization !== `Bearer ${this.token}`)
      problems.push("github: Authorization is not Bearer <token>");
    if (r.headers.accept !== "application/vnd.github+json")
      problems.push("github: Accept is not application/vnd.github+json");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(r.headers["x-github-api-version"] ?? "")))
      problems.push("github: X-GitHub-Api-Version missing");
    if (!String(r.headers["content-type"] ?? "").startsWith("application/json"))
      problems.push("github: body is not JSON");
    let body: unknown;
    try {
      body = JSON.parse(r.raw.toString("utf8"));
    } catch {
      return [...problems, "github: body does not parse"];
    }
    const text = (body as { body?: unknown }).body;
    if (typeof text !== "string" || text.length === 0) problems.push("github: body.body must be a non-empty string");
    else if (text.length > 65_536) problems.push("github: body over 65536 characters");
    if (!problems.length && m[1] && typeof text === "string")
      this.comments.push({ repo: m[1], issue: Number(m[2]), body: text });
    return problems;
  }

  protected answer(r: TicketRequest) {
    const n = this.comments.length;
    return {
      status: 201,
      body: { id: n, html_url: `https://github.example/${r.path.split("/").slice(2, 4).join("/")}/issues#c${n}` },
    };
  }
}

type Part = { name: string | null; filename: string | null; contentType: string | null; data: Buffer };

function parseMultipart(raw: Buffer, boundary: string): Part[] {
  const parts: Part[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = raw.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === "--") break;
    const headerEnd = raw.indexOf("\r\n\r\n", start);
    if (headerEnd === -1) break;
    const headers = raw.subarray(start, headerEnd).toString("utf8");
    const next = raw.indexOf(delimiter, headerEnd);
    if (next === -1) break;
    const data = raw.subarray(headerEnd + 4, next - 2);
    parts.push({
      name: /name="([^"]*)"/.exec(headers)?.[1] ?? null,
      filename: /filename="([^"]*)"/.exec(headers)?.[1] ?? null,
      contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? null,
      data,
    });
    pos = next;
  }
  return parts;
}
