import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  actionsOf,
  type incidentListView,
  type incidentPageView,
  rolesOf,
} from "../../src/adapters/console/incident-views.ts";
import type { Incident, IncidentEventKind } from "../../src/core/ports/incident-book.ts";
import { type ConsoleServer, startConsoleServer } from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { rawRequest } from "../support/raw-http.ts";

/**
 * The JSON behind the console's incident pages (issue 41, item 6): `/api/console/incident-pages`
 * (the list, filtered) and `/api/console/incident-pages/<id>` (one incident's page). Real HTTP
 * to the console as `npm start` serves it (hono, SQLite), incidents declared through the
 * console's own command route.
 */
let server: ConsoleServer;
const HTML_TITLE = `<img src=x onerror="alert(1)"> replies stopped`;
let htmlIncident = "";
let quietIncident = "";

/** A request with node:http, headers as sent (test/support/raw-http.ts). */
const raw = (path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  rawRequest(new URL(path, server.url), opts);

type Refusal = { error: { code: string; message: string } };
type ListBody = Awaited<ReturnType<typeof incidentListView>> & Refusal;
type PageBody = Awaited<ReturnType<typeof incidentPageView>> & Refusal;

/** A GET with the console secret (the CLI's way in), parsed. */
async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const r = await raw(path, { headers: server.headers });
  return { status: r.status, body: JSON.parse(r.body) as T };
}
const list = (query = "") => get<ListBody>(`/api/console/incident-pages${query ? `?${query}` : ""}`);
const page = (id: string) => get<PageBody>(`/api/console/incident-pages/${id}`);

async function command(text: string): Promise<string> {
  const r = await raw("/api/console/command", {
    method: "POST",
    headers: { ...server.headers, "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  const body = JSON.parse(r.body);
  expect(body.ok, r.body).toBe(true);
  expect(body.error, r.body).toBeNull();
  return body.ack.text as string;
}

const idIn = (text: string) => /Incident `?(inc_\w+)/.exec(text)?.[1] ?? "";

beforeAll(async () => {
  server = await startConsoleServer(new FakeHostTransport(), ["node-3", "node-1"]);
  htmlIncident = idIn(await command(`incident new sev2 on node-3 ${HTML_TITLE}`));
  // Newest first is by the opening millisecond: the second one opens in a later one.
  const first = Date.now();
  while (Date.now() <= first) await new Promise((r) => setTimeout(r, 1));
  quietIncident = idIn(await command("incident new sev4 on node-1 certificate expires in 9 days"));
  expect(htmlIncident).toMatch(/^inc_/);
  expect(quietIncident).toMatch(/^inc_/);
});

afterAll(async () => {
  await server.close();
});

describe("the incident pages' JSON proves who is calling first", () => {
  const paths = () => ["/api/console/incident-pages", `/api/console/incident-pages/${htmlIncident}`];

  it("answers 401 without a session or the secret, and with the session's cookie alone", async () => {
    const login = await raw(new URL(server.loginUrl()).pathname + new URL(server.loginUrl()).search);
    const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
    const key = /#key=([A-Za-z0-9_-]+)$/.exec(String(login.headers.location))?.[1] ?? "";
    for (const path of paths()) {
      const tries: Record<string, string>[] = [{}, { cookie }, { cookie, "x-clawops-console-key": "not-the-key" }];
      for (const headers of tries) {
        const r = await raw(path, { headers });
        expect(r.status, path).toBe(401);
        expect(JSON.parse(r.body).error.code).toBe("console_auth_required");
        // Nothing of the record leaks into the refusal.
        expect(r.body).not.toContain("replies stopped");
      }
      // The page's way in: the cookie and its key.
      expect((await raw(path, { headers: { cookie, "x-clawops-console-key": key } })).status, path).toBe(200);
    }
  });

  it("refuses another Host name and a cross-site request, secret or not", async () => {
    for (const path of paths()) {
      const rebound = await raw(path, { headers: { ...server.headers, host: "evil.example" } });
      expect(rebound.status).toBe(403);
      const cross = await raw(path, { headers: { ...server.headers, "sec-fetch-site": "cross-site" } });
      expect(cross.status).toBe(403);
    }
  });
});

describe("GET /api/console/incident-pages", () => {
  it("lists the open incidents newest first, each with its icon, severity, title, hosts, owner and times", async () => {
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body.scope).toBe("open");
    expect(body.total).toBe(2);
    expect(body.incidents.map((i) => i.id)).toEqual([quietIncident, htmlIncident]);
    const row = body.incidents[1];
    expect(row).toMatchObject({
      severity: "sev2",
      state: "open",
      source: "declared",
      title: HTML_TITLE,
      hosts: ["node-3"],
      owner: null,
      resolvedAt: null,
    });
    // The same icon `clawops incidents` shows (🔴 failing), as the page's sprite symbol.
    expect(row?.icon.label).toBe("failing");
    expect(row?.icon.symbol).toMatch(/^icon-\d+$/);
    expect(body.choices.hosts).toEqual(["node-1", "node-3"]);
    expect(body.choices.severities).toEqual(["sev1", "sev2", "sev3", "sev4"]);
  });

  it("filters by host, severity and source; an empty filter is no filter", async () => {
    const ids = async (q: string) => (await list(q)).body.incidents.map((i) => i.id);
    expect(await ids("host=node-3")).toEqual([htmlIncident]);
    expect(await ids("severity=sev4")).toEqual([quietIncident]);
    expect(await ids("source=declared&host=node-1")).toEqual([quietIncident]);
    expect(await ids("source=watch")).toEqual([]);
    expect(await ids("host=&severity=&source=")).toEqual([quietIncident, htmlIncident]);
  });

  it("refuses a bad filter with a 400 that names it", async () => {
    for (const [q, name] of [
      ["severity=sev9", "severity"],
      ["scope=some", "scope"],
      ["host=Node_3%3Cb%3E", "host"],
      ["source=pagerduty", "source"],
    ]) {
      const { status, body } = await list(q);
      expect(status, q).toBe(400);
      expect(body.error.code).toBe("bad_request");
      expect(body.error.message).toContain(`\`${name}\``);
    }
  });

  it("scope=all keeps resolved incidents, with when they were resolved", async () => {
    const resolved = idIn(await command("incident new sev3 on node-1 drill, resolved at once"));
    await command(`incident ${resolved} resolve`);
    const open = await list();
    expect(open.body.incidents.map((i) => i.id)).not.toContain(resolved);
    const all = await list("scope=all&severity=sev3");
    expect(all.body.incidents).toHaveLength(1);
    expect(all.body.incidents[0]).toMatchObject({ id: resolved, state: "resolved", resolvedBy: "console" });
    expect(all.body.incidents[0]?.resolvedAt).toEqual(expect.any(Number));
    expect(all.body.incidents[0]?.icon.label).toBe("passed");
  });
});

describe("GET /api/console/incident-pages/<id>", () => {
  it("has the live header, drawn escaped: a title that looks like HTML is text", async () => {
    const { status, body } = await page(htmlIncident);
    expect(status).toBe(200);
    expect(body.header.text).toBe(`Incident: ${HTML_TITLE}`);
    expect(body.header.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; replies stopped");
    expect(body.header.html).not.toMatch(/<img|onerror="/);
    // Its buttons, as in the channel: I'm on it (nobody owns it yet) and Resolve.
    expect(body.header.html).toContain(`data-command="incident ${htmlIncident} ack"`);
    expect(body.incident.title).toBe(HTML_TITLE);
  });

  it("names the owner as commander, comms and scribe as taken, and the follow-up actions", async () => {
    const before = (await page(htmlIncident)).body;
    expect(before.roles).toEqual([
      { role: "commander", user: null },
      { role: "comms", user: null },
      { role: "scribe", user: null },
    ]);
    expect(before.actions).toEqual([]);
    await command(`incident ${htmlIncident} ack`);
    await command(`incident ${htmlIncident} role scribe me`);
    await command(`incident ${htmlIncident} action pin the gateway version`);
    const after = (await page(htmlIncident)).body;
    expect(after.roles).toEqual([
      { role: "commander", user: "console" },
      { role: "comms", user: null },
      { role: "scribe", user: "console" },
    ]);
    expect(after.actions).toEqual([
      {
        text: "1. pin the gateway version",
        fields: [
          ["owner", "nobody yet"],
          ["state", "open"],
          ["recorded by", "console"],
        ],
      },
    ]);
    expect(after.incident.state).toBe("acknowledged");
    expect(after.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(["acknowledged", "role", "action"]));
  });

  it("keeps every timeline entry with who and when, a kind it does not know included, its text escaped", async () => {
    await server.store.appendIncidentEvent({
      incidentId: htmlIncident,
      at: Date.now(),
      actor: "U0TEAM01",
      kind: "message" as IncidentEventKind,
      text: "restarting it now <script>alert(1)</script> & watching `journalctl`",
      ref: null,
    });
    const { body } = await page(htmlIncident);
    const seqs = body.timeline.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(body.timeline[0]).toMatchObject({ kind: "opened", actor: "console" });
    const said = body.timeline.at(-1);
    expect(said).toMatchObject({ kind: "message", actor: "U0TEAM01" });
    expect(said?.at).toEqual(expect.any(Number));
    expect(said?.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; watching <code>journalctl</code>");
    expect(said?.html).not.toContain("<script>");
  });

  it("lists its signals with what became of each, and its tickets (a link only when it is a web address)", async () => {
    const at = Date.now();
    await server.store.recordSignal({
      at,
      source: "alertmanager",
      host: "node-3",
      incidentId: htmlIncident,
      fate: "news",
      why: null,
      summary: "OpenClawGatewayDown",
      count: 1,
    });
    await server.store.recordSignal({
      at: at + 1,
      source: "alertmanager",
      host: "node-3",
      incidentId: htmlIncident,
      fate: "counted",
      why: "inside the incident",
      summary: "OpenClawGatewayDown",
      count: 2,
    });
    for (const [n, url] of [
      [1, "https://jira.example/browse/OPS-1"],
      [2, "javascript:alert(1)"],
    ] as const) {
      await server.store.insertTicket({
        id: `tkt_${n}`,
        incidentId: htmlIncident,
        system: "jira",
        key: `OPS-${n}`,
        url,
        host: "node-3",
        finding: `finding-${n}`,
        state: "open",
        openedAt: at,
        openedBy: "console",
        updatedAt: at,
        bundleId: null,
        keptUntil: null,
      });
      await server.store.linkTicket(htmlIncident, `tkt_${n}`, "opened", at);
    }
    const { body } = await page(htmlIncident);
    expect(body.signals.total).toBe(2);
    expect(body.signals.fired).toEqual([
      expect.objectContaining({
        source: "alertmanager",
        summary: "OpenClawGatewayDown",
        count: 3,
        fates: ["news", "counted"],
      }),
    ]);
    expect(body.signals.list.map((x) => x.fate)).toEqual(["news", "counted"]);
    expect(body.tickets.map((t) => [t.key, t.url])).toEqual([
      ["OPS-1", "https://jira.example/browse/OPS-1"],
      ["OPS-2", null],
    ]);
  });

  it("previews the postmortem draft, the Markdown `clawops postmortem --md` prints", async () => {
    const { body } = await page(htmlIncident);
    const md = (await get<{ filename: string; markdown: string }>(`/api/console/incidents/${htmlIncident}/postmortem`))
      .body;
    expect(body.postmortem).toEqual({ filename: md.filename, markdown: md.markdown });
    expect(md.markdown).toContain(htmlIncident);
  });

  it("answers 404 for an unknown incident, saying where ids are listed", async () => {
    const { status, body } = await page("inc_nope");
    expect(status).toBe(404);
    expect(body.error.code).toBe("unknown_incident");
    expect(body.error.message).toContain("incidents all");
  });
});

describe("roles and actions as the record keeps them (issue 41, items 1 and 5)", () => {
  const base = { owner: "U0OWNER", comms: "U0COMMS", scribe: null } as unknown as Incident;

  it("the commander is the owner, then comms and scribe, each with who holds it or nobody", () => {
    expect(rolesOf(base)).toEqual([
      { role: "commander", user: "U0OWNER" },
      { role: "comms", user: "U0COMMS" },
      { role: "scribe", user: null },
    ]);
  });

  it("actions: numbered, each with its owner, its state (and who closed it) and who recorded it", () => {
    expect(actionsOf([])).toEqual([]);
    const at = Date.UTC(2026, 10, 26, 12);
    expect(
      actionsOf([
        {
          incidentId: "inc_1",
          n: 1,
          text: "pin the gateway version",
          owner: "U0OWNER",
          state: "open",
          createdAt: at,
          createdBy: "U0LEAD",
          doneAt: null,
          doneBy: null,
        },
        {
          incidentId: "inc_1",
          n: 2,
          text: "alert on drain time",
          owner: null,
          state: "done",
          createdAt: at,
          createdBy: "U0LEAD",
          doneAt: at,
          doneBy: "U0SRE",
        },
      ]),
    ).toEqual([
      {
        text: "1. pin the gateway version",
        fields: [
          ["owner", "U0OWNER"],
          ["state", "open"],
          ["recorded by", "U0LEAD"],
        ],
      },
      {
        text: "2. alert on drain time",
        fields: [
          ["owner", "nobody yet"],
          ["state", "done by U0SRE"],
          ["recorded by", "U0LEAD"],
        ],
      },
    ]);
  });
});
