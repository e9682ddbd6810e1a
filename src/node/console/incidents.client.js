// @ts-check
/**
 * The console's incident pages (issue 41, item 6), inlined after page.client.js in the same
 * script element. `#incidents` lists them (open or all, by host, severity and source),
 * `#incident/<id>` shows one: its live header, roles, timeline, signals, tickets, actions and
 * postmortem draft. Plain browser JavaScript with JSDoc types, like page.client.js.
 *
 * Escaping: everything from the JSON is placed as text (textContent, attributes), never as
 * markup, except the two things the server drew with the console's own escaping renderer
 * (src/adapters/console/html.ts), as for every channel message: the header and each timeline
 * line's `html`.
 */
(() => {
  /**
   * @typedef {{ symbol: string, label: string }} IconRef
   * @typedef {{ id: string, icon: IconRef, severity: string, state: string, phase: string, source: string,
   *   title: string, hosts: string[], owner: string | null, openedAt: number, openedBy: string,
   *   resolvedAt: number | null, resolvedBy: string | null }} IncidentRow
   * @typedef {{ scope: string, filters: Record<string, string | null>, total: number, incidents: IncidentRow[],
   *   choices: { hosts: string[], severities: string[], sources: string[] } }} ListView
   * @typedef {{ seq: number, at: number, actor: string, kind: string, text: string, ref: string | null, html: string }} Entry
   * @typedef {{ source: string, summary: string, count: number, first: number, last: number, fates: string[] }} Fired
   * @typedef {{ seq: number, at: number, source: string, host: string, fate: string, why: string | null,
   *   summary: string, count: number }} Signal
   * @typedef {{ system: string, key: string, url: string | null, state: string, host: string, finding: string,
   *   openedAt: number, openedBy: string }} Ticket
   * @typedef {{ incident: IncidentRow, header: { text: string, html: string },
   *   roles: { role: string, user: string | null }[], actions: { text: string, fields: [string, string][] }[],
   *   timeline: Entry[], signals: { total: number, fired: Fired[], list: Signal[] }, tickets: Ticket[],
   *   postmortem: { filename: string, markdown: string } | { error: string } }} PageView
   * @typedef {{ api: (path: string, init?: RequestInit) => Promise<Response>, openAtNewest: () => void }} ConsoleShared
   */

  const shared = /** @type {{ clawopsConsole?: ConsoleShared }} */ (/** @type {unknown} */ (window)).clawopsConsole;
  if (!shared) return;
  const { api, openAtNewest } = shared;

  /** @param {string} id */
  function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`console page: no #${id}`);
    return node;
  }

  /**
   * An element with its text (never markup).
   * @param {string} tag
   * @param {{ cls?: string, testid?: string, text?: string }} [o]
   */
  function el(tag, o = {}) {
    const node = document.createElement(tag);
    if (o.cls) node.className = o.cls;
    if (o.testid) node.setAttribute("data-testid", o.testid);
    if (o.text !== undefined) node.textContent = o.text;
    return node;
  }

  /** A time as the incident records write theirs: "2026-11-26 19:30:05 UTC". @param {number | null} at */
  function when(at) {
    const node = el("time");
    if (at === null || !Number.isFinite(at)) {
      node.textContent = "\u2014";
      return node;
    }
    const iso = new Date(at).toISOString();
    node.textContent = `${iso.slice(0, 19).replace("T", " ")} UTC`;
    node.setAttribute("datetime", iso);
    return node;
  }

  const SVG = "http://www.w3.org/2000/svg";
  /** The page's own icon (the sprite page.ts includes), labelled for screen readers. @param {IconRef} ref */
  function icon(ref) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", ref.label);
    if (/^icon-\d+$/.test(ref.symbol)) {
      const use = document.createElementNS(SVG, "use");
      use.setAttribute("href", `#${ref.symbol}`);
      svg.append(use);
    }
    return svg;
  }

  /** @param {string} id */
  const incidentHash = (id) => `#incident/${encodeURIComponent(id)}`;

  // ---- views: the channel, the list, one incident ---------------------------------------
  const channelView = byId("channel-view");
  const view = byId("incidents-view");
  const pane = byId("incidents-body");
  const title = byId("incidents-title");
  const topic = byId("incidents-topic");
  const status = byId("incidents-status");
  const channelLink = byId("channel-link");
  const incidentsLink = byId("incidents-link");
  /** The channel was on screen once (page.client.js opens it at its newest message when it loads there). */
  let channelShown = false;
  let firstRoute = true;
  /** Bumped on every navigation: an answer for a page no longer shown is dropped. */
  let generation = 0;
  /** @type {(() => Promise<void>) | null} */
  let reload = null;

  /** @param {"channel" | "incidents"} which */
  function show(which) {
    const incidents = which === "incidents";
    view.hidden = !incidents;
    channelView.hidden = incidents;
    if (incidents) {
      channelLink.removeAttribute("aria-current");
      incidentsLink.setAttribute("aria-current", "page");
    } else {
      incidentsLink.removeAttribute("aria-current");
      channelLink.setAttribute("aria-current", "page");
    }
  }

  function route() {
    generation += 1;
    status.textContent = "";
    const hash = location.hash;
    const one = /^#incident\/([^?#]{1,200})$/.exec(hash);
    if (one?.[1]) {
      const id = decodeURIComponent(one[1]);
      reload = () => showIncident(id);
    } else if (/^#incidents(?:\?.*)?$/.test(hash)) {
      const params = new URLSearchParams(hash.replace(/^#incidents\??/, ""));
      reload = () => showList(params);
    } else {
      reload = null;
      show("channel");
      document.title = "#console \u00B7 clawops";
      // Loaded on an incident's page: the channel opens at its newest message when first shown.
      if (!channelShown && !firstRoute) openAtNewest();
      channelShown = true;
      firstRoute = false;
      return;
    }
    firstRoute = false;
    show("incidents");
    void reload();
  }

  /**
   * GET a JSON view, for the navigation `gen` only.
   * @param {string} path
   * @param {number} gen
   */
  async function load(path, gen) {
    status.textContent = "Loading\u2026";
    try {
      const res = await api(path, { headers: { accept: "application/json" } });
      const body = await res.json().catch(() => null);
      if (gen !== generation) return null;
      if (!res.ok || !body?.ok) {
        const why = body?.error?.message || `HTTP ${res.status}`;
        status.textContent =
          res.status === 401 ? "Logged out: bin/clawops login" : `clawops refused the request: ${why}`;
        return null;
      }
      status.textContent = "";
      return body;
    } catch (err) {
      if (gen === generation) {
        status.textContent = `Could not reach clawops (${err instanceof Error ? err.message : err}). Is it still running?`;
      }
      return null;
    }
  }

  // ---- the list -------------------------------------------------------------------------

  /** @param {URLSearchParams} params */
  async function showList(params) {
    const gen = generation;
    document.title = "Incidents \u00B7 clawops";
    title.textContent = "Incidents";
    topic.textContent = "Every incident clawops keeps: open ones, or all, by host, severity and source.";
    const query = new URLSearchParams();
    for (const k of ["scope", "host", "severity", "source"]) {
      const v = params.get(k);
      if (v) query.set(k, v);
    }
    /** @type {ListView | null} */
    const list = await load(`/api/console/incident-pages?${query}`, gen);
    if (!list) return;
    pane.replaceChildren(filters(list), listTable(list));
  }

  /** The filter bar: each choice moves the address (#incidents?…), so Back and a reload keep it. @param {ListView} list */
  function filters(list) {
    const form = el("form", { cls: "incident-filters", testid: "incident-filters" });
    form.setAttribute("aria-label", "Filter incidents");
    /**
     * @param {string} name
     * @param {string} label
     * @param {[string, string][]} options value, words
     * @param {string} current
     */
    const select = (name, label, options, current) => {
      const wrap = el("label", { text: `${label} ` });
      const box = /** @type {HTMLSelectElement} */ (el("select", { testid: `filter-${name}` }));
      box.name = name;
      for (const [value, words] of options) {
        const option = /** @type {HTMLOptionElement} */ (el("option", { text: words }));
        option.value = value;
        option.selected = value === current;
        box.append(option);
      }
      wrap.append(box);
      return wrap;
    };
    /** @param {string[]} values */
    const any = (values) => /** @type {[string, string][]} */ ([["", "any"], ...values.map((v) => [v, v])]);
    form.append(
      select(
        "scope",
        "Show",
        [
          ["open", "open"],
          ["all", "all"],
        ],
        list.scope,
      ),
      select("host", "Host", any(list.choices.hosts), list.filters.host ?? ""),
      select("severity", "Severity", any(list.choices.severities), list.filters.severity ?? ""),
      select("source", "Source", any(list.choices.sources), list.filters.source ?? ""),
    );
    form.addEventListener("change", () => {
      const next = new URLSearchParams();
      // Open is the default: left out, so the list's plain address is the open incidents.
      for (const box of form.querySelectorAll("select")) {
        if (box.value && !(box.name === "scope" && box.value === "open")) next.set(box.name, box.value);
      }
      location.hash = `#incidents?${next}`;
    });
    form.addEventListener("submit", (ev) => ev.preventDefault());
    return form;
  }

  /** @param {ListView} list */
  function listTable(list) {
    const box = el("section", { cls: "incident-list" });
    const filtered = Object.values(list.filters).some((v) => v);
    const words = `${list.total} ${list.scope === "open" ? "open " : ""}incident${list.total === 1 ? "" : "s"}${filtered ? " match" : ""}`;
    box.append(
      el("p", {
        cls: "incident-count",
        testid: "incident-count",
        text: list.total > list.incidents.length ? `${words}; the newest ${list.incidents.length} shown.` : `${words}.`,
      }),
    );
    if (list.incidents.length === 0) {
      box.append(
        el("p", {
          cls: "empty",
          text: filtered
            ? "None match these filters."
            : list.scope === "open"
              ? "No open incidents."
              : "No incidents yet.",
        }),
      );
      return box;
    }
    const table = el("table", { cls: "incident-table", testid: "incident-list" });
    const head = el("tr");
    for (const h of ["", "Incident", "Severity", "Title", "Hosts", "Owner", "Opened", "Resolved"]) {
      const th = el("th", { text: h });
      th.setAttribute("scope", "col");
      head.append(th);
    }
    table.append(el("thead"), el("tbody"));
    table.firstElementChild?.append(head);
    for (const i of list.incidents) {
      const row = el("tr", { testid: "incident-row" });
      row.setAttribute("data-id", i.id);
      const id = /** @type {HTMLAnchorElement} */ (el("a", { text: i.id, testid: "incident-link" }));
      id.href = incidentHash(i.id);
      const cells = [
        [icon(i.icon), el("span", { cls: "visually-hidden", text: `${i.state}, ${i.phase}` })],
        [id],
        [el("span", { cls: `sev sev-${i.severity}`, text: i.severity })],
        [document.createTextNode(i.title)],
        [document.createTextNode(i.hosts.join(", "))],
        [document.createTextNode(i.owner ?? "nobody yet")],
        [when(i.openedAt)],
        [when(i.resolvedAt)],
      ];
      const names = ["icon", "id", "severity", "title", "hosts", "owner", "opened", "resolved"];
      cells.forEach((nodes, n) => {
        const td = el("td", { cls: `col-${names[n]}` });
        td.append(...nodes);
        row.append(td);
      });
      table.lastElementChild?.append(row);
    }
    box.append(table);
    return box;
  }

  // ---- one incident ---------------------------------------------------------------------

  /** @param {string} id */
  async function showIncident(id) {
    const gen = generation;
    document.title = `${id} \u00B7 clawops`;
    title.textContent = id;
    topic.textContent = "";
    /** @type {PageView | null} */
    const p = await load(`/api/console/incident-pages/${encodeURIComponent(id)}`, gen);
    if (!p) return;
    topic.textContent = p.incident.title;
    const back = /** @type {HTMLAnchorElement} */ (el("a", { cls: "back", text: "\u2190 All incidents" }));
    back.href = "#incidents";
    const header = el("div", { cls: "blocks incident-header", testid: "incident-header" });
    // Drawn by the server's escaping renderer, as the channel's messages are (its buttons work here too).
    header.innerHTML = p.header.html;
    pane.replaceChildren(
      back,
      header,
      section("Roles", "incident-roles", roles(p)),
      ...(p.actions ? [section("Actions", "incident-actions", actions(p.actions))] : []),
      section(`Timeline (${p.timeline.length})`, "incident-timeline", timeline(p.timeline)),
      section(`Signals (${p.signals.total})`, "incident-signals", signals(p.signals)),
      section("Tickets", "incident-tickets", tickets(p.tickets)),
      section("Postmortem draft", "incident-postmortem", postmortem(p)),
    );
  }

  /**
   * @param {string} heading
   * @param {string} testid
   * @param {Node} body
   */
  function section(heading, testid, body) {
    const box = el("section", { cls: "incident-section", testid });
    const h = el("h2", { text: heading });
    h.id = `${testid}-title`;
    box.setAttribute("aria-labelledby", h.id);
    box.append(h, body);
    return box;
  }

  /** @param {PageView} p */
  function roles(p) {
    const list = el("dl", { cls: "roles" });
    for (const r of p.roles) {
      list.append(el("dt", { text: r.role }), el("dd", { text: r.user ?? "nobody yet" }));
    }
    return list;
  }

  /** @param {NonNullable<PageView["actions"]>} items */
  function actions(items) {
    if (items.length === 0) return el("p", { cls: "empty", text: "No follow-up actions." });
    const list = el("ul", { cls: "actions" });
    for (const a of items) {
      const li = el("li", { testid: "incident-action" });
      li.append(el("span", { text: a.text }));
      for (const [k, v] of a.fields) li.append(el("span", { cls: "chip", text: `${k}: ${v}` }));
      list.append(li);
    }
    return list;
  }

  /** Every entry, of any kind (a kind this page does not know is shown by its name). @param {Entry[]} entries */
  function timeline(entries) {
    if (entries.length === 0) return el("p", { cls: "empty", text: "Nothing yet." });
    const list = el("ol", { cls: "timeline" });
    for (const e of entries) {
      const li = el("li", { testid: "timeline-entry" });
      li.setAttribute("data-kind", e.kind);
      li.setAttribute("data-seq", String(e.seq));
      const text = el("span", { cls: "b-text" });
      // The line's mrkdwn as the server drew it (escaped first, html.ts).
      text.innerHTML = e.html;
      li.append(
        el("span", { cls: "seq", text: String(e.seq) }),
        when(e.at),
        el("span", { cls: "actor", testid: "timeline-actor", text: e.actor }),
        el("span", { cls: "kind", testid: "timeline-kind", text: e.kind }),
        text,
      );
      list.append(li);
    }
    return list;
  }

  /** @param {PageView["signals"]} s */
  function signals(s) {
    const box = el("div");
    if (s.total === 0) {
      box.append(el("p", { cls: "empty", text: "None stored yet." }));
      return box;
    }
    box.append(
      table(
        "What fired",
        ["Source", "Signal", "Count", "First", "Last", "What became of it"],
        s.fired.map((f) => [f.source, f.summary, `\u00D7${f.count}`, when(f.first), when(f.last), f.fates.join(", ")]),
        "fired",
      ),
      table(
        s.list.length < s.total ? `Each signal (the newest ${s.list.length})` : "Each signal",
        ["#", "At", "Source", "Host", "Fate", "Why", "Signal"],
        s.list.map((x) => [
          String(x.seq),
          when(x.at),
          x.source,
          x.host,
          x.fate,
          x.why ?? "",
          x.count > 1 ? `${x.summary} \u00D7${x.count}` : x.summary,
        ]),
        "signal",
      ),
    );
    return box;
  }

  /**
   * A small table of text (and <time>) cells.
   * @param {string} caption
   * @param {string[]} heads
   * @param {(string | Node)[][]} rows
   * @param {string} testid
   */
  function table(caption, heads, rows, testid) {
    const t = el("table", { cls: "incident-table" });
    t.append(el("caption", { text: caption }));
    const head = el("tr");
    for (const h of heads) head.append(el("th", { text: h }));
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const r of rows) {
      const tr = el("tr", { testid });
      for (const cell of r) {
        const td = el("td");
        td.append(typeof cell === "string" ? document.createTextNode(cell) : cell);
        tr.append(td);
      }
      tbody.append(tr);
    }
    t.append(thead, tbody);
    return t;
  }

  /** @param {Ticket[]} items */
  function tickets(items) {
    if (items.length === 0) return el("p", { cls: "empty", text: "No tickets." });
    const list = el("ul", { cls: "tickets" });
    for (const t of items) {
      const li = el("li", { testid: "incident-ticket" });
      if (t.url && /^https?:\/\//i.test(t.url)) {
        const a = /** @type {HTMLAnchorElement} */ (el("a", { text: t.key }));
        a.href = t.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        li.append(a);
      } else li.append(el("span", { text: t.key }));
      li.append(
        document.createTextNode(
          ` \u00B7 ${t.system} \u00B7 ${t.state} \u00B7 ${t.host}, ${t.finding} \u00B7 opened by ${t.openedBy} `,
        ),
        when(t.openedAt),
      );
      list.append(li);
    }
    return list;
  }

  /** The draft as the file it is: preformatted text, nothing in it run or drawn. @param {PageView} p */
  function postmortem(p) {
    const box = el("div");
    if ("error" in p.postmortem) {
      box.append(el("p", { cls: "empty", testid: "postmortem-error", text: p.postmortem.error }));
      return box;
    }
    const hint = el("p", { cls: "hint" });
    const code = el("code", { text: `clawops postmortem ${p.incident.id} --md > ${p.postmortem.filename}` });
    hint.append(
      document.createTextNode("A draft written from this record; "),
      code,
      document.createTextNode(" saves it."),
    );
    box.append(hint, el("pre", { cls: "postmortem", testid: "postmortem", text: p.postmortem.markdown }));
    return box;
  }

  // ---- wiring ---------------------------------------------------------------------------

  window.addEventListener("hashchange", route);
  byId("incidents-refresh").addEventListener("click", () => {
    generation += 1;
    void reload?.();
  });
  // A header button pressed on an incident's page (I'm on it, Resolve): its answer here, then the page read again.
  document.addEventListener("clawops:answer", (ev) => {
    if (view.hidden || !(ev instanceof CustomEvent)) return;
    const detail = ev.detail || {};
    status.textContent = typeof detail.text === "string" ? detail.text : "";
    if (!detail.pending && reload) {
      generation += 1;
      const gen = generation;
      void reload().then(() => {
        if (gen === generation) status.textContent = typeof detail.text === "string" ? detail.text : "";
      });
    }
  });
  route();
})();
