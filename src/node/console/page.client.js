// @ts-check
/**
 * The local console's script, inlined into page.html by page.ts (the page loads no external
 * assets). Plain browser JavaScript, no build step: the types are JSDoc, checked by editors.
 * The server renders every message to escaped HTML (src/adapters/console/html.ts); this script
 * only places it in the channel and its threads, keeps the feed live and sends button presses.
 */
(() => {
  /**
   * One feed event from /api/console/messages or /api/console/events.
   * @typedef {{ seq: number, ts: string, threadTs?: string | null, at: number, text: string, html?: string }} FeedEvent
   */
  /**
   * A message on the page, by its ts.
   * @typedef {{ root: HTMLElement, body: HTMLElement, blocks: HTMLElement | null, thread: HTMLElement | null,
   *   replies: HTMLElement | null, label: HTMLElement | null, count: number, version: number,
   *   closedByUser: boolean }} Shown
   */

  // ---- messages: HTML from the server ------------------------------------------------

  /**
   * @param {string} tag
   * @param {string} [cls]
   * @param {string} [testid]
   */
  function el(tag, cls, testid) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (testid) node.setAttribute("data-testid", testid);
    return node;
  }

  /**
   * html: rendered and escaped by the server; a stub without it shows its text as text.
   * @param {unknown} html
   * @param {string | undefined} fallbackText
   */
  function renderMessage(html, fallbackText) {
    const box = el("div", "blocks", "blocks");
    if (typeof html === "string") box.innerHTML = html;
    else box.textContent = fallbackText || "";
    return box;
  }

  /** @param {string} id */
  function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`console page: no #${id}`);
    return node;
  }

  // ---- the session's key ----------------------------------------------------------------
  // The login redirects here with the session's key in the fragment (issue 44, item 4). The
  // cookie alone is no session (every service on 127.0.0.1 receives it), so every API call
  // sends this key too; it lives in this origin's storage (per origin, port included), where no
  // other local page can read it.
  const KEY_STORE = "clawops.console.key";
  const KEY_HEADER = "x-clawops-console-key";
  /** Where storage is refused (some private modes): this page's memory. */
  let sessionKeyFallback = "";
  {
    const given = /^#key=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
    if (given) {
      try {
        localStorage.setItem(KEY_STORE, given);
      } catch {
        sessionKeyFallback = given;
      }
      history.replaceState(null, "", location.pathname + location.search);
    }
  }
  function sessionKey() {
    try {
      return localStorage.getItem(KEY_STORE) || sessionKeyFallback || "";
    } catch {
      return sessionKeyFallback || "";
    }
  }

  /**
   * fetch() for the console's API: with the session's key.
   * @param {string} path
   * @param {RequestInit} [init]
   */
  function api(path, init = {}) {
    const headers = new Headers(init.headers);
    headers.set(KEY_HEADER, sessionKey());
    return fetch(path, { ...init, headers });
  }

  // Buttons. A command button (Run again, Triage, …) runs its command as the console user and
  // shows the ack as a typed command's; a confirmation button takes the approval path, as
  // Slack's does.
  document.addEventListener("click", async (ev) => {
    const btn = ev.target instanceof Element ? ev.target.closest("button[data-action-id]") : null;
    if (!(btn instanceof HTMLButtonElement) || btn.disabled) return;
    const question = btn.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    btn.disabled = true;
    const command = btn.getAttribute("data-command");
    if (command !== null) {
      const shown = `/openclaw ${command}`;
      showAck(shown, null, "Sending\u2026");
      try {
        const res = await api("/api/console/press", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ actionId: btn.getAttribute("data-action-id"), value: command }),
        });
        const body = await res.json().catch(() => null);
        if (body?.ok && body.ack) showAck(shown, body.ack, null);
        else showAck(shown, null, `clawops refused the request: ${body?.error?.message || `HTTP ${res.status}`}`);
        if (polling) catchUp().catch(() => {});
      } catch (err) {
        const why = err instanceof Error && err.message ? err.message : err;
        showAck(shown, null, `Could not reach clawops (${why}). Is it still running?`);
      } finally {
        // Pressing again is running the command again, as Slack allows.
        btn.disabled = false;
      }
      return;
    }
    const res = await api("/api/console/confirm", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: btn.getAttribute("data-value"), decision: btn.getAttribute("data-decision") }),
    }).catch(() => null);
    const body = res ? await res.json().catch(() => null) : null;
    if (!body?.ok) btn.disabled = false;
  });

  // ---- channel state ------------------------------------------------------------------
  const channel = byId("messages");
  const conn = byId("conn");
  const form = byId("command-form");
  const input = /** @type {HTMLInputElement} */ (byId("command"));
  const ack = byId("ack");
  let lastSeq = 0;
  /** Where the page last scrolled the channel by itself (-1: not yet). */
  let autoScrollTop = -1;
  /** @type {Map<string, Shown>} */
  const byTs = new Map();

  /**
   * A message's time as the messages write theirs (24-hour UTC, e.g. "17:55:36 UTC"), so one
   * message never shows two formats.
   * @param {number} at
   */
  function clock(at) {
    const iso = new Date(at).toISOString();
    return { text: `${iso.slice(11, 19)} UTC`, iso };
  }

  /** The bot's avatar: drawn by the page (no emoji font needed). */
  const AVATAR_SVG =
    '<svg viewBox="0 0 16 16" width="100%" height="100%" aria-hidden="true"><rect width="16" height="16" rx="4" fill="#d93a3a"/><path d="M11 5.5a3.5 3.5 0 1 0 0 5" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>';

  /**
   * @param {Pick<FeedEvent, "ts" | "at" | "text" | "html">} e
   * @param {boolean} isReply
   * @returns {Shown}
   */
  function createMessage(e, isReply) {
    const root = el("article", isReply ? "msg reply" : "msg", isReply ? "thread-reply" : "message");
    root.setAttribute("data-ts", e.ts);
    const avatar = el("div", "avatar");
    avatar.setAttribute("aria-hidden", "true");
    avatar.innerHTML = AVATAR_SVG;
    const body = el("div", "body");
    const meta = el("div", "meta");
    const author = el("span", "author");
    author.textContent = "clawops";
    const badge = el("span", "badge");
    badge.textContent = "APP";
    const time = el("time");
    const t = clock(e.at);
    time.textContent = t.text;
    time.setAttribute("datetime", t.iso);
    meta.append(author, badge, time);
    body.append(meta);
    root.append(avatar, body);
    /** @type {Shown} */
    const rec = {
      root,
      body,
      blocks: null,
      thread: null,
      replies: null,
      label: null,
      count: 0,
      version: 0,
      closedByUser: false,
    };
    fill(rec, e);
    return rec;
  }

  /**
   * @param {Shown} rec
   * @param {Pick<FeedEvent, "text" | "html">} e
   */
  function fill(rec, e) {
    const blocks = renderMessage(e.html, e.text);
    if (rec.blocks) rec.body.replaceChild(blocks, rec.blocks);
    else rec.body.insertBefore(blocks, rec.thread);
    rec.blocks = blocks;
    rec.root.setAttribute("data-version", String(rec.version++));
    rec.root.setAttribute("aria-label", e.text);
  }

  /**
   * The message's thread, made on its first reply. Its "N replies" is a button that folds the
   * replies away and opens them again, as a channel's threads do.
   * @param {Shown} rec
   */
  function threadOf(rec) {
    if (!rec.thread || !rec.replies || !rec.label) {
      const thread = el("div", "thread", "thread");
      const label = el("button", "thread-label", "thread-toggle");
      const replies = el("div", "replies");
      replies.id = `replies-${rec.root.getAttribute("data-ts")?.replace(/\W/g, "-")}`;
      label.setAttribute("type", "button");
      label.setAttribute("aria-controls", replies.id);
      label.addEventListener("click", () => {
        const open = label.getAttribute("aria-expanded") !== "true";
        rec.closedByUser = !open;
        setThreadOpen(rec, open);
      });
      thread.append(label, replies);
      rec.body.append(thread);
      Object.assign(rec, { thread, label, replies });
      setThreadOpen(rec, true);
    }
    return { replies: /** @type {HTMLElement} */ (rec.replies), label: /** @type {HTMLElement} */ (rec.label) };
  }

  /**
   * @param {Shown} rec
   * @param {boolean} open
   */
  function setThreadOpen(rec, open) {
    if (!rec.label || !rec.replies || !rec.thread) return;
    rec.label.setAttribute("aria-expanded", String(open));
    rec.replies.hidden = !open;
    rec.thread.classList.toggle("folded", !open);
  }

  /**
   * The first screen: the newest top-level message, its thread open, older threads folded, as a
   * channel opens at its latest message (not in the middle of the newest thread's replies).
   */
  function openAtNewest() {
    const tops = [...channel.querySelectorAll(":scope > article.msg")];
    const newest = tops[tops.length - 1];
    for (const node of tops) {
      const rec = byTs.get(node.getAttribute("data-ts") ?? "");
      if (rec && node !== newest) setThreadOpen(rec, false);
    }
    if (!(newest instanceof HTMLElement)) return;
    const tall = newest.getBoundingClientRect().height > channel.clientHeight;
    if (tall) newest.scrollIntoView({ block: "start" });
    else channel.scrollTop = channel.scrollHeight;
    autoScrollTop = channel.scrollTop;
  }

  /** While the page loads what the channel holds: placed without scrolling, then openAtNewest. */
  let loading = true;

  /** @param {FeedEvent} e */
  function apply(e) {
    if (!e || typeof e.seq !== "number" || e.seq <= lastSeq) return;
    lastSeq = e.seq;
    // Following: at the bottom, or still where the page last scrolled by itself (onto a reply
    // in a thread above), so the rest of that answer is followed too.
    const atBottom = channel.scrollHeight - channel.scrollTop - channel.clientHeight < 80;
    const follow = atBottom || Math.abs(channel.scrollTop - autoScrollTop) < 2;
    /** @type {HTMLElement | null} A new reply in a thread above later messages. */
    let landedAbove = null;
    const known = byTs.get(e.ts);
    if (known)
      fill(known, e); // an update, or a replayed post
    else {
      const isReply = !!e.threadTs && e.threadTs !== e.ts;
      const rec = createMessage(e, isReply);
      byTs.set(e.ts, rec);
      if (isReply && e.threadTs) {
        let parent = byTs.get(e.threadTs);
        if (!parent) {
          // The parent predates what was loaded: show the thread under a stub.
          parent = createMessage({ ts: e.threadTs, at: e.at, text: "(earlier message)" }, false);
          byTs.set(e.threadTs, parent);
          channel.appendChild(parent.root);
        }
        const thread = threadOf(parent);
        thread.replies.appendChild(rec.root);
        if (parent.root !== channel.lastElementChild) landedAbove = rec.root;
        parent.count += 1;
        thread.label.textContent = parent.count === 1 ? "1 reply" : `${parent.count} replies`;
        // A new answer in a thread the page folded opens it; one the operator folded stays folded.
        if (!loading && !parent.closedByUser) setThreadOpen(parent, true);
        if (parent.closedByUser) landedAbove = null;
      } else channel.appendChild(rec.root);
      document.getElementById("empty")?.remove();
    }
    // An edit in place moves nothing, except to stay at the bottom.
    if (loading || !follow || (known && !atBottom)) return;
    if (landedAbove) {
      // The answer is in its incident thread, above what came since: bring it into view.
      // Taller than the view: its top first, where it starts to read.
      const tall = landedAbove.getBoundingClientRect().height > channel.clientHeight;
      landedAbove.scrollIntoView({ block: tall ? "start" : "nearest" });
      landedAbove.classList.add("arrived");
    } else channel.scrollTop = channel.scrollHeight;
    autoScrollTop = channel.scrollTop;
  }

  // ---- live feed: SSE, polling as the fallback ----------------------------------------

  /**
   * @param {string} state
   * @param {string} text
   */
  function setConn(state, text) {
    conn.setAttribute("data-state", state);
    conn.textContent = text;
  }

  /**
   * @param {number} since
   * @returns {Promise<FeedEvent[]>}
   */
  async function fetchSince(since) {
    const res = await api(`/api/console/messages?since=${since}`, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json();
    return Array.isArray(body.events) ? body.events : [];
  }

  async function catchUp() {
    for (;;) {
      const events = await fetchSince(lastSeq);
      if (events.length === 0) return;
      events.forEach(apply);
    }
  }

  let polling = false;
  function startPolling() {
    if (polling) return;
    polling = true;
    setConn("polling", "polling");
    const loop = async () => {
      try {
        await catchUp();
        setConn("polling", "polling");
      } catch (err) {
        // 401: no session, or not this page's (its key is gone): only a new login helps.
        const loggedOut = err instanceof Error && err.message === "HTTP 401";
        setConn("reconnecting", loggedOut ? "logged out: bin/clawops login" : "offline, retrying");
      }
      setTimeout(loop, 2000);
    };
    void loop();
  }

  let failures = 0;
  /** The id of the last event the stream delivered: sent back as Last-Event-ID on a reconnect. */
  let lastEventId = "";
  /**
   * The live feed: the server's event stream, read with fetch() rather than EventSource, which
   * cannot send the session's key header. Reconnects as EventSource would (Last-Event-ID once
   * an event arrived); a stream that never opens is retried a little, then polling takes over.
   */
  function connectLive() {
    if (typeof ReadableStream === "undefined" || typeof TextDecoderStream === "undefined") return startPolling();
    void readStream();
  }

  async function readStream() {
    let opened = false;
    try {
      /** @type {Record<string, string>} */
      const headers = { accept: "text/event-stream" };
      if (lastEventId) headers["last-event-id"] = lastEventId;
      const res = await api(`/api/console/events?since=${lastSeq}`, { headers, cache: "no-store" });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      opened = true;
      failures = 0;
      setConn("live", "live");
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
          onStreamEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch {
      // A cut or refused stream: reconnect below.
    }
    setConn("reconnecting", "reconnecting");
    if (opened) {
      setTimeout(connectLive, 1000);
      return;
    }
    failures += 1;
    if (failures >= 3) return startPolling();
    setTimeout(connectLive, 500 * failures);
  }

  /** @param {string} block one server-sent event: `id:`, `event:` and `data:` lines */
  function onStreamEvent(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") lastEventId = value;
      else if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (event !== "message" || data.length === 0) return;
    try {
      apply(JSON.parse(data.join("\n")));
    } catch (err) {
      console.warn("bad console event", err);
    }
  }

  // ---- command input ------------------------------------------------------------------
  const HISTORY_KEY = "clawops.console.history";
  /** @type {string[]} */
  let commandHistory = [];
  try {
    commandHistory = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]").filter(
      (/** @type {unknown} */ x) => typeof x === "string",
    );
  } catch {
    commandHistory = [];
  }
  let cursor = -1;
  let draft = "";

  /**
   * The command's ephemeral reply ("only visible to you"), as Slack shows a slash command's ack.
   * @param {string} command
   * @param {{ html?: string, text?: string } | null} ackMessage
   * @param {string | null} note
   */
  function showAck(command, ackMessage, note) {
    // The reply takes room from the channel: a channel followed at its bottom stays there.
    const atBottom = channel.scrollHeight - channel.scrollTop - channel.clientHeight < 80;
    ack.replaceChildren();
    const meta = el("div", "ack-meta");
    const who = el("span", "who");
    who.textContent = "Only visible to you \u00B7 ";
    const cmd = el("code");
    cmd.textContent = command;
    who.append(cmd);
    const close = /** @type {HTMLButtonElement} */ (el("button"));
    close.type = "button";
    close.textContent = "\u00D7";
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", () => {
      ack.replaceChildren();
      input.focus();
    });
    meta.append(who, close);
    ack.append(meta);
    if (ackMessage) ack.append(renderMessage(ackMessage.html, ackMessage.text));
    if (note) {
      const n = el("div", "ack-note");
      n.textContent = note;
      ack.append(n);
    }
    if (atBottom) {
      channel.scrollTop = channel.scrollHeight;
      autoScrollTop = channel.scrollTop;
    }
    // The incident pages show the answer too (a header button pressed there), and read again.
    document.dispatchEvent(
      new CustomEvent("clawops:answer", {
        detail: {
          command,
          text: ackMessage ? ackMessage.text || "" : note || "",
          pending: !ackMessage && note === "Sending\u2026",
        },
      }),
    );
  }

  /** @param {string} raw */
  function remember(raw) {
    if (commandHistory[commandHistory.length - 1] !== raw) commandHistory.push(raw);
    commandHistory = commandHistory.slice(-50);
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(commandHistory));
    } catch {
      // private mode
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const raw = input.value.trim();
    if (!raw) return;
    // Accept "/openclaw triage x", "openclaw triage x" and "triage x".
    const text = raw.replace(/^\/?openclaw(?=\s|$)\s*/i, "");
    const shown = `/openclaw ${text}`.trim();
    remember(raw);
    cursor = -1;
    draft = "";
    input.value = "";
    showAck(shown, null, "Sending\u2026");
    try {
      const res = await api("/api/console/command", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
      const body = await res.json().catch(() => null);
      if (body?.ok && body.ack) showAck(shown, body.ack, null);
      else showAck(shown, null, `clawops refused the request: ${body?.error?.message || `HTTP ${res.status}`}`);
      if (polling) catchUp().catch(() => {});
    } catch (err) {
      const why = err instanceof Error && err.message ? err.message : err;
      showAck(shown, null, `Could not reach clawops (${why}). Is it still running?`);
    }
  });

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowUp" && commandHistory.length > 0) {
      ev.preventDefault();
      if (cursor === -1) draft = input.value;
      cursor = Math.min(cursor + 1, commandHistory.length - 1);
      input.value = commandHistory[commandHistory.length - 1 - cursor] ?? "";
    } else if (ev.key === "ArrowDown" && cursor >= 0) {
      ev.preventDefault();
      cursor -= 1;
      input.value = cursor === -1 ? draft : (commandHistory[commandHistory.length - 1 - cursor] ?? "");
    } else if (ev.key === "Escape") {
      ack.replaceChildren();
    }
  });

  // Log out: the server ends this browser's session and clears its cookie; the page then asks to log in.
  document.getElementById("logout")?.addEventListener("click", async () => {
    await api("/api/console/logout", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    }).catch(() => {});
    try {
      localStorage.removeItem(KEY_STORE);
    } catch {
      // storage refused: nothing kept there
    }
    location.assign("/console");
  });

  // What the incident pages' script (incidents.client.js, inlined after this one) uses of this one.
  Object.defineProperty(window, "clawopsConsole", { value: Object.freeze({ api, openAtNewest }) });

  catchUp()
    .then(() => {
      loading = false;
      openAtNewest();
    })
    .then(connectLive, () => {
      loading = false;
      startPolling();
    });
  input.focus();
})();
