import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Local Jira and GitHub stand-ins. Each request is checked against the documented shape and
 * recorded (with its raw bytes, so a test can assert no secret ever arrived):
 *  - Jira Cloud attachments: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-attachments/
 *    POST /rest/api/3/issue/{key}/attachments, multipart/form-data with a part named `file`,
 *    `X-Atlassian-Token: no-check`, basic auth `email:API token`.
 *  - Jira Cloud issues (issue 29): https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/
 *    POST /rest/api/3/issue `{fields: {project: {key}, issuetype: {name}, summary, description, labels}}`
 *    with the description in Atlassian Document Format (checked node by node: an invalid one is
 *    Jira's 400 INVALID_INPUT); POST /rest/api/3/issue/{key}/comment `{body}` in ADF; GET
 *    /rest/api/3/issue/{key}?fields=status (404 for an issue it does not have).
 *  - Jira Cloud transitions (issue 41): GET /rest/api/3/issue/{key}/transitions (the transitions
 *    open from the issue's status: `{transitions: [{id, name, to: {name, statusCategory}}]}`), POST
 *    …/transitions `{transition: {id}}` (204; 400 for a transition not open from its status).
 *  - GitHub issue comments: https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
 *    POST /repos/{owner}/{repo}/issues/{n}/comments, JSON `{body}`, `Authorization: Bearer`,
 *    `Accept: application/vnd.github+json`, `X-GitHub-Api-Version`.
 *  - GitHub issues (issue 29): https://docs.github.com/en/rest/issues/issues#create-an-issue
 *    POST /repos/{owner}/{repo}/issues `{title, body}` (201 `{number, html_url, state}`), GET
 *    /repos/{owner}/{repo}/issues/{n} (404 for one it does not have); PATCH …/issues/{n} `{state,
 *    state_reason}` (issue 41: `closed` with `completed` or `not_planned`).
 * Each also fails like its product: `faults` answers 429 with Retry-After or a 5xx first.
 */
export type TicketRequest = { method: string; path: string; headers: IncomingMessage["headers"]; raw: Buffer };

export abstract class StandIn {
  readonly requests: TicketRequest[] = [];
  readonly violations: string[] = [];
  /** Answer this many requests with HTTP 503 first (retry tests). */
  failNext = 0;
  /**
   * Then these answers, one per request: a 429 with `Retry-After` (Jira Cloud and GitHub send
   * seconds), a 5xx, or a 4xx such as 404 (no such issue) with the product's error body; `on`
   * keeps one for the first request it matches (`POST /repos/…/comments`).
   */
  readonly faults: { status: number; retryAfterS?: number; on?: RegExp }[] = [];
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
    const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, raw: Buffer.concat(chunks) };
    this.requests.push(request);
    if (this.failNext > 0) {
      this.failNext--;
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"message":"temporarily unavailable"}');
      return;
    }
    // A fault with `on` waits for a request whose `METHOD path` it matches; one without, for the next.
    const at = this.faults.findIndex((f) => !f.on || f.on.test(`${request.method} ${request.path}`));
    const fault = at >= 0 ? this.faults.splice(at, 1)[0] : undefined;
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
      res.end(JSON.stringify(this.refusalBody(problems)));
      return;
    }
    const { status, body } = this.answer(request);
    if (status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  /** The product's error body for a status (Jira: errorMessages; GitHub: message). */
  protected abstract errorBody(status: number): unknown;
  /** The product's 400 for a malformed request, naming what is wrong. */
  protected refusalBody(problems: string[]): unknown {
    return { errorMessages: problems };
  }
  protected abstract check(method: string, r: TicketRequest): string[];
  protected abstract answer(r: TicketRequest): { status: number; body: unknown };
}

export type JiraAttachment = { issueKey: string; filename: string; contentType: string; bytes: Buffer };
export type JiraIssue = {
  key: string;
  project: string;
  issueType: string;
  summary: string;
  description: AdfNode;
  labels: string[];
  status: "new" | "indeterminate" | "done";
};
export type JiraComment = { issueKey: string; body: AdfNode };

type Answer = { status: number; body: unknown };

export class JiraStandIn extends StandIn {
  readonly attachments: JiraAttachment[] = [];
  readonly issues: JiraIssue[] = [];
  readonly comments: JiraComment[] = [];
  private readonly email: string;
  private readonly apiToken: string;
  private pending: Answer | null = null;

  constructor(email: string, apiToken: string) {
    super();
    this.email = email;
    this.apiToken = apiToken;
  }

  /** Moves an issue to the `done` status category (a person closed it in Jira). */
  close(key: string): void {
    const issue = this.issues.find((i) => i.key === key);
    if (!issue) throw new Error(`jira stand-in has no issue ${key}`);
    issue.status = "done";
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
    this.pending = null;
    const expected = `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString("base64")}`;
    const auth = r.headers.authorization === expected ? [] : ["jira: Authorization is not basic email:API token"];
    const path = r.path.split("?")[0] ?? "";
    const attachment = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/attachments$/.exec(path);
    if (method === "POST" && attachment?.[1]) return [...auth, ...this.checkAttachment(r, attachment[1])];
    if (method === "POST" && path === "/rest/api/3/issue") return [...auth, ...this.checkCreate(r)];
    const comment = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/comment$/.exec(path);
    if (method === "POST" && comment?.[1]) return [...auth, ...this.checkComment(r, comment[1])];
    const transitions = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)\/transitions$/.exec(path);
    if (transitions?.[1] && (method === "GET" || method === "POST")) {
      return [...auth, ...this.checkTransition(method, r, transitions[1])];
    }
    const issue = /^\/rest\/api\/3\/issue\/([A-Z][A-Z0-9_]*-\d+)$/.exec(path);
    if (method === "GET" && issue?.[1]) {
      if (auth.length) return auth;
      const found = this.issues.find((i) => i.key === issue[1]);
      this.pending = found
        ? {
            status: 200,
            body: {
              key: found.key,
              fields: {
                status: { name: found.status === "done" ? "Done" : "To Do", statusCategory: { key: found.status } },
              },
            },
          }
        : { status: 404, body: this.errorBody(404) };
      return [];
    }
    return [`jira: unexpected ${method} ${r.path}`];
  }

  private checkAttachment(r: TicketRequest, issueKey: string): string[] {
    const problems: string[] = [];
    if (r.headers["x-atlassian-token"] !== "no-check") problems.push("jira: X-Atlassian-Token: no-check missing");
    const boundary = /^multipart\/form-data;\s*boundary=(.+)$/i.exec(String(r.headers["content-type"] ?? ""))?.[1];
    if (!boundary) return [...problems, `jira: content-type ${r.headers["content-type"]} is not multipart/form-data`];
    const parts = parseMultipart(r.raw, boundary.replace(/^"|"$/g, ""));
    const file = parts.find((p) => p.name === "file");
    if (!file) problems.push(`jira: no multipart part named "file" (parts: ${parts.map((p) => p.name).join(", ")})`);
    else if (!file.filename) problems.push("jira: the file part has no filename");
    if (!problems.length && file) {
      this.attachments.push({
        issueKey,
        filename: file.filename ?? "",
        contentType: file.contentType ?? "",
        bytes: file.data,
      });
      this.pending = {
        status: 200,
        body: [
          {
            id: String(this.attachments.length),
            filename: file.filename,
            size: file.data.length,
            self: `${this.url}${r.path}`,
          },
        ],
      };
    }
    return problems;
  }

  private json(r: TicketRequest, problems: string[]): Record<string, unknown> | null {
    if (!String(r.headers["content-type"] ?? "").startsWith("application/json"))
      problems.push("jira: body is not JSON");
    try {
      const body = JSON.parse(r.raw.toString("utf8")) as unknown;
      if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {
      // Reported below.
    }
    problems.push("jira: body does not parse as a JSON object");
    return null;
  }

  private checkCreate(r: TicketRequest): string[] {
    const problems: string[] = [];
    const body = this.json(r, problems);
    const fields = (body?.fields ?? null) as Record<string, unknown> | null;
    if (!fields || typeof fields !== "object") return [...problems, "jira: no `fields` object"];
    const project = (fields.project as { key?: unknown } | undefined)?.key;
    if (typeof project !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(project))
      problems.push("jira: fields.project.key missing");
    const type = (fields.issuetype as { name?: unknown; id?: unknown } | undefined) ?? {};
    if (typeof type.name !== "string" && typeof type.id !== "string")
      problems.push("jira: fields.issuetype.name missing");
    const summary = fields.summary;
    if (typeof summary !== "string" || !summary.trim()) problems.push("jira: fields.summary missing");
    else if (summary.length > 255) problems.push("jira: fields.summary over 255 characters");
    else if (/[\r\n]/.test(summary)) problems.push("jira: fields.summary has a line break");
    problems.push(...checkAdf(fields.description, "fields.description"));
    const labels = fields.labels ?? [];
    if (!Array.isArray(labels) || labels.some((l) => typeof l !== "string" || /\s/.test(l) || !l)) {
      problems.push("jira: fields.labels must be strings without spaces");
    }
    if (problems.length) return problems;
    const key = `${project}-${this.issues.length + 1}`;
    this.issues.push({
      key,
      project: project as string,
      issueType: String(type.name ?? type.id),
      summary: summary as string,
      description: fields.description as AdfNode,
      labels: labels as string[],
      status: "new",
    });
    this.pending = {
      status: 201,
      body: { id: String(10_000 + this.issues.length), key, self: `${this.url}/rest/api/3/issue/${key}` },
    };
    return [];
  }

  /** The workflow of a Jira Software project: To Do → In Progress → Done, and Reopen from Done. */
  static readonly WORKFLOW = [
    { id: "11", name: "To Do", to: "To Do", category: "new", from: ["indeterminate", "done"] },
    { id: "21", name: "In Progress", to: "In Progress", category: "indeterminate", from: ["new"] },
    { id: "31", name: "Done", to: "Done", category: "done", from: ["new", "indeterminate"] },
  ] as const;

  /** Each issue moved by a transition, in order: what a test checks a resolve did. */
  readonly transitions: { issueKey: string; id: string; to: string }[] = [];

  private checkTransition(method: string, r: TicketRequest, issueKey: string): string[] {
    const issue = this.issues.find((i) => i.key === issueKey);
    if (!issue) {
      this.pending = { status: 404, body: this.errorBody(404) };
      return [];
    }
    const open = JiraStandIn.WORKFLOW.filter((t) => (t.from as readonly string[]).includes(issue.status));
    if (method === "GET") {
      this.pending = {
        status: 200,
        body: {
          transitions: open.map((t) => ({
            id: t.id,
            name: t.name,
            to: { name: t.to, statusCategory: { key: t.category } },
          })),
        },
      };
      return [];
    }
    const problems: string[] = [];
    const body = this.json(r, problems);
    const id = (body?.transition as { id?: unknown } | undefined)?.id;
    if (typeof id !== "string") problems.push("jira: transition.id missing (a string)");
    if (problems.length) return problems;
    const t = open.find((x) => x.id === id);
    if (!t) {
      this.pending = {
        status: 400,
        body: { errorMessages: [`Transition id '${String(id)}' is not valid for this issue.`], errors: {} },
      };
      return [];
    }
    issue.status = t.category;
    this.transitions.push({ issueKey, id: t.id, to: t.to });
    this.pending = { status: 204, body: null };
    return [];
  }

  private checkComment(r: TicketRequest, issueKey: string): string[] {
    const problems: string[] = [];
    const body = this.json(r, problems);
    problems.push(...checkAdf(body?.body, "body"));
    if (problems.length) return problems;
    if (!this.issues.some((i) => i.key === issueKey)) {
      this.pending = { status: 404, body: this.errorBody(404) };
      return [];
    }
    this.comments.push({ issueKey, body: body?.body as AdfNode });
    this.pending = {
      status: 201,
      body: { id: String(this.comments.length), self: `${this.url}${r.path}/${this.comments.length}` },
    };
    return [];
  }

  protected answer(): Answer {
    return this.pending ?? { status: 500, body: this.errorBody(500) };
  }
}

export type AdfNode = {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: { type: string }[];
};

/** ADF nodes and which children each may hold (the subset of the spec clawops writes, checked as Jira does). */
const ADF_CHILDREN: Record<string, string[] | "inline"> = {
  doc: ["paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "table", "rule"],
  paragraph: "inline",
  heading: "inline",
  codeBlock: ["text"],
  blockquote: ["paragraph"],
  bulletList: ["listItem"],
  orderedList: ["listItem"],
  listItem: ["paragraph", "bulletList", "orderedList", "codeBlock"],
  table: ["tableRow"],
  tableRow: ["tableHeader", "tableCell"],
  tableHeader: ["paragraph"],
  tableCell: ["paragraph"],
};
const ADF_MARKS = new Set(["code", "strong", "em", "link"]);

/**
 * Atlassian Document Format as Jira checks it (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/):
 * a `doc` of version 1; each node a known type holding only the children its type allows;
 * text nodes with non-empty `text`; known marks, a link's `href`; heading levels 1-6.
 */
export function checkAdf(doc: unknown, where: string): string[] {
  const problems: string[] = [];
  const root = doc as AdfNode & { version?: unknown };
  if (root?.type !== "doc" || root.version !== 1) return [`jira: ${where} is not an ADF doc of version 1`];
  const walk = (node: AdfNode, path: string) => {
    if (node.type === "text") {
      if (typeof node.text !== "string" || node.text.length === 0) problems.push(`jira: ${path} text node is empty`);
      for (const m of node.marks ?? []) {
        if (!ADF_MARKS.has(m.type)) problems.push(`jira: ${path} unknown mark ${m.type}`);
        if (m.type === "link" && typeof (m as { attrs?: { href?: unknown } }).attrs?.href !== "string")
          problems.push(`jira: ${path} link mark without href`);
      }
      return;
    }
    const allowed = ADF_CHILDREN[node.type];
    if (!allowed) {
      problems.push(`jira: ${path} unknown node type ${node.type}`);
      return;
    }
    if (node.type === "heading") {
      const level = node.attrs?.level;
      if (typeof level !== "number" || level < 1 || level > 6)
        problems.push(`jira: ${path} heading level ${String(level)}`);
    }
    for (const [n, child] of (node.content ?? []).entries()) {
      const ok =
        allowed === "inline" ? child.type === "text" || child.type === "hardBreak" : allowed.includes(child.type);
      if (!ok) problems.push(`jira: ${path} may not hold ${child.type}`);
      walk(child, `${path}.${child.type}[${n}]`);
    }
  };
  walk(root, where);
  return problems.slice(0, 5);
}

export type GithubComment = { repo: string; issue: number; body: string };
export type GithubIssue = { repo: string; number: number; title: string; body: string; state: "open" | "closed" };

export class GithubStandIn extends StandIn {
  readonly comments: GithubComment[] = [];
  /** Each PATCH of an issue (issue 41: closed as completed on resolve). */
  readonly updates: { repo: string; number: number; state: string; stateReason: string | null }[] = [];
  readonly issues: GithubIssue[] = [];
  private readonly token: string;
  private pending: Answer | null = null;

  constructor(token: string) {
    super();
    this.token = token;
  }

  /** Closes an issue (a person closed it on GitHub). */
  close(repo: string, number: number): void {
    const issue = this.issues.find((i) => i.repo === repo && i.number === number);
    if (!issue) throw new Error(`github stand-in has no issue ${repo}#${number}`);
    issue.state = "closed";
  }

  protected errorBody(status: number) {
    return {
      message: status === 404 ? "Not Found" : status === 429 ? "API rate limit exceeded" : `HTTP ${status}`,
      documentation_url: "https://docs.github.com/rest",
    };
  }

  protected override refusalBody(problems: string[]) {
    return { message: problems.join("; "), documentation_url: "https://docs.github.com/rest" };
  }

  protected check(method: string, r: TicketRequest): string[] {
    this.pending = null;
    const problems: string[] = [];
    if (r.headers.authorization !== `Bearer ${this.token}`)
      problems.push("github: Authorization is not Bearer <token>");
    if (r.headers.accept !== "application/vnd.github+json")
      problems.push("github: Accept is not application/vnd.github+json");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(r.headers["x-github-api-version"] ?? "")))
      problems.push("github: X-GitHub-Api-Version missing");
    const comment = /^\/repos\/([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)\/issues\/(\d+)\/comments$/.exec(r.path);
    const create = /^\/repos\/([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)\/issues$/.exec(r.path);
    const read = /^\/repos\/([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)\/issues\/(\d+)$/.exec(r.path);
    if (method === "GET" && read?.[1]) {
      if (problems.length) return problems;
      const issue = this.issues.find((i) => i.repo === read[1] && i.number === Number(read[2]));
      this.pending = issue
        ? {
            status: 200,
            body: {
              number: issue.number,
              state: issue.state,
              title: issue.title,
              html_url: htmlUrl(issue.repo, issue.number),
            },
          }
        : { status: 404, body: this.errorBody(404) };
      return [];
    }
    if (method === "PATCH" && read?.[1])
      return problems.length ? problems : this.checkUpdate(r, read[1], Number(read[2]));
    if (method !== "POST" || !(comment?.[1] || create?.[1])) return [`github: unexpected ${method} ${r.path}`];
    if (!String(r.headers["content-type"] ?? "").startsWith("application/json"))
      problems.push("github: body is not JSON");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      return [...problems, "github: body does not parse"];
    }
    const text = body.body;
    if (comment?.[1]) {
      if (typeof text !== "string" || text.length === 0) problems.push("github: body.body must be a non-empty string");
      else if (text.length > 65_536) problems.push("github: body over 65536 characters");
      if (problems.length || typeof text !== "string") return problems;
      this.comments.push({ repo: comment[1], issue: Number(comment[2]), body: text });
      const n = this.comments.length;
      this.pending = {
        status: 201,
        body: { id: n, html_url: `${htmlUrl(comment[1], Number(comment[2]))}#issuecomment-${n}` },
      };
      return [];
    }
    const repo = create?.[1] as string;
    if (typeof body.title !== "string" || !body.title.trim()) problems.push("github: title must be a non-empty string");
    else if (/[\r\n]/.test(body.title)) problems.push("github: title has a line break");
    if (text !== undefined && (typeof text !== "string" || text.length > 65_536))
      problems.push("github: body must be a string of at most 65536 characters");
    if (problems.length) return problems;
    const number = this.issues.filter((i) => i.repo === repo).length + 1;
    this.issues.push({ repo, number, title: body.title as string, body: (text as string) ?? "", state: "open" });
    this.pending = { status: 201, body: { number, state: "open", html_url: htmlUrl(repo, number) } };
    return [];
  }

  /** PATCH an issue: only `state` and `state_reason` are what clawops sends, each checked as GitHub does. */
  private checkUpdate(r: TicketRequest, repo: string, number: number): string[] {
    const problems: string[] = [];
    if (!String(r.headers["content-type"] ?? "").startsWith("application/json"))
      problems.push("github: body is not JSON");
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(r.raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      return [...problems, "github: body does not parse"];
    }
    if (body.state !== undefined && body.state !== "open" && body.state !== "closed")
      problems.push("github: state must be open or closed");
    const reasons = ["completed", "not_planned", "reopened", null];
    if (body.state_reason !== undefined && !reasons.includes(body.state_reason as string | null))
      problems.push("github: state_reason must be completed, not_planned, reopened or null");
    if (problems.length) return problems;
    const issue = this.issues.find((i) => i.repo === repo && i.number === number);
    if (!issue) {
      this.pending = { status: 404, body: this.errorBody(404) };
      return [];
    }
    if (body.state === "open" || body.state === "closed") issue.state = body.state;
    this.updates.push({
      repo,
      number,
      state: body.state as string,
      stateReason: (body.state_reason as string) ?? null,
    });
    this.pending = {
      status: 200,
      body: { number, state: issue.state, state_reason: body.state_reason ?? null, html_url: htmlUrl(repo, number) },
    };
    return [];
  }

  protected answer(): Answer {
    return this.pending ?? { status: 500, body: this.errorBody(500) };
  }
}

const htmlUrl = (repo: string, number: number) => `https://github.example/${repo}/issues/${number}`;

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
