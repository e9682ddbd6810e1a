/**
 * The local console: one self-contained page (no external assets, so it works offline and
 * behind any proxy) that shows the messages the bot would post to Slack. The server renders
 * each message to HTML (src/adapters/console/html.ts, escaped by construction); this page
 * only places it in the channel and its threads, keeps the feed live and sends button presses.
 *
 * The script is a String.raw template: backslashes reach the browser unchanged. It must not
 * contain a backtick or a dollar-brace.
 */

const CSS = `
:root {
  --aubergine: #3f0e40; --sidebar-text: rgba(255,255,255,.72); --active: #1164a3;
  --text: #1d1c1d; --muted: #616061; --border: #e2e2e2; --soft: #f8f8f8;
  --mention-bg: #e8f5fa; --mention: #1264a3; --code: #c01343; --focus: #1d9bd1;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  font: 15px/1.46668 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", Arial, sans-serif;
  color: var(--text); background: #fff;
  display: grid; grid-template-columns: 220px minmax(0, 1fr); height: 100vh;
}
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
nav.sidebar { background: var(--aubergine); color: var(--sidebar-text); padding: 14px 0; }
.workspace { color: #fff; font-weight: 800; font-size: 18px; padding: 0 16px 14px; border-bottom: 1px solid rgba(255,255,255,.15); }
.section-title { font-size: 13px; padding: 14px 16px 4px; }
.channel-link { display: block; padding: 4px 16px; color: #fff; background: var(--active); font-weight: 700; }
.channel-link .hash { opacity: .7; margin-right: 6px; }
.main { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.topbar { display: flex; align-items: baseline; gap: 12px; padding: 10px 20px; border-bottom: 1px solid var(--border); }
.topbar h1 { font-size: 18px; margin: 0; font-weight: 900; }
.topic { color: var(--muted); font-size: 13px; flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.conn { font-size: 12px; color: var(--muted); white-space: nowrap; }
.conn::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #bbb; margin-right: 6px; }
.conn[data-state="live"]::before { background: #2bac76; }
.conn[data-state="polling"]::before { background: #e8a723; }
.conn[data-state="reconnecting"]::before { background: #e01e5a; }
.messages { flex: 1; overflow-y: auto; padding: 8px 0 16px; }
.empty { color: var(--muted); padding: 24px 20px; }
.msg { display: grid; grid-template-columns: 36px minmax(0, 1fr); gap: 8px; padding: 8px 20px; }
.msg:hover { background: #f8f8f8; }
.msg.reply { padding: 6px 0; grid-template-columns: 24px minmax(0, 1fr); }
.msg.reply:hover { background: transparent; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #fbe5e1; display: grid; place-items: center; font-size: 20px; }
.reply .avatar { width: 24px; height: 24px; font-size: 14px; border-radius: 4px; }
.meta { display: flex; align-items: baseline; gap: 6px; line-height: 1.3; }
.author { font-weight: 900; }
.badge { font-size: 10px; font-weight: 700; color: var(--muted); background: #eee; border-radius: 2px; padding: 0 3px; }
time { font-size: 12px; color: var(--muted); }
.thread { margin-top: 6px; border-left: 3px solid var(--border); padding-left: 12px; }
.thread-label { font-size: 13px; font-weight: 700; color: var(--mention); }
.blocks { overflow-wrap: anywhere; }
.b-header { font-size: 18px; font-weight: 900; margin: 4px 0 2px; line-height: 1.33; }
.b-section { margin: 4px 0; }
.b-fields { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 4px 16px; margin-top: 4px; }
.b-context { font-size: 12px; color: var(--muted); margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 8px; }
.b-divider { border: 0; border-top: 1px solid var(--border); margin: 10px 0; }
.b-unknown { font-size: 12px; color: var(--muted); font-style: italic; }
code { font-family: var(--mono); font-size: 12px; color: var(--code); background: #f6f6f6; border: 1px solid #e0e0e0; border-radius: 3px; padding: 1px 3px; }
pre { font-family: var(--mono); font-size: 12px; line-height: 1.5; background: var(--soft); border: 1px solid #ddd; border-radius: 4px; padding: 8px 10px; margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.mention { color: var(--mention); background: var(--mention-bg); border-radius: 3px; padding: 0 2px; }
a { color: var(--mention); }
.composer { padding: 0 20px 16px; }
.input-row { display: flex; border: 1px solid #bbb; border-radius: 8px; overflow: hidden; background: #fff; }
.input-row:focus-within { border-color: var(--focus); box-shadow: 0 0 0 1px var(--focus); }
.input-row input { flex: 1; border: 0; outline: 0; font: 15px var(--mono); padding: 11px 12px; min-width: 0; }
.b-actions { display: flex; gap: 8px; margin: 6px 0; }
.b-button { border: 1px solid #bbb; background: #fff; padding: 4px 12px; border-radius: 4px; cursor: pointer; font-weight: 700; }
.b-button.danger { background: #e01e5a; color: #fff; border-color: #e01e5a; }
.b-button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
.input-row button { border: 0; background: #007a5a; color: #fff; font-weight: 700; padding: 0 18px; cursor: pointer; font-size: 14px; }
.input-row button:focus-visible { outline: 2px solid var(--focus); outline-offset: -4px; }
.hint { font-size: 12px; color: var(--muted); padding: 4px 2px 0; }
.ack:empty { display: none; }
.ack { margin-top: 10px; border: 1px solid var(--border); border-left: 4px solid #1d9bd1; border-radius: 6px; background: var(--soft); padding: 8px 12px; max-height: 38vh; overflow-y: auto; }
.ack-meta { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--muted); }
.ack-meta .who { flex: 1; }
.ack-meta button { border: 0; background: none; font-size: 18px; line-height: 1; color: var(--muted); cursor: pointer; padding: 0 4px; }
.ack-note { color: var(--muted); font-style: italic; }
@media (max-width: 720px) { body { grid-template-columns: minmax(0, 1fr); } nav.sidebar { display: none; } }
`;

const SCRIPT = String.raw`
(function () {
"use strict";
// ---- messages: HTML from the server ------------------------------------------------
function el(tag, cls, testid) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (testid) node.setAttribute("data-testid", testid);
  return node;
}
// html: rendered and escaped by the server; a stub without it shows its text as text.
function renderMessage(html, fallbackText) {
  var box = el("div", "blocks", "blocks");
  if (typeof html === "string") box.innerHTML = html;
  else box.textContent = fallbackText || "";
  return box;
}
// Confirmation buttons: the same approval path as Slack's, as the local operator.
document.addEventListener("click", async function (ev) {
  var btn = ev.target instanceof Element ? ev.target.closest("button[data-action-id]") : null;
  if (!btn || btn.disabled) return;
  var question = btn.getAttribute("data-confirm");
  if (question && !window.confirm(question)) return;
  btn.disabled = true;
  var res = await fetch("/api/console/confirm", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: btn.getAttribute("data-value"), decision: btn.getAttribute("data-decision") }),
  }).catch(function () { return null; });
  var body = res ? await res.json().catch(function () { return null; }) : null;
  if (!body || !body.ok) btn.disabled = false;
});

// ---- channel state ------------------------------------------------------------------
var channel = document.getElementById("messages");
var conn = document.getElementById("conn");
var form = document.getElementById("command-form");
var input = document.getElementById("command");
var ack = document.getElementById("ack");
var lastSeq = 0;
var byTs = new Map();

function clock(at) {
  var d = new Date(at);
  return { text: d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }), iso: d.toISOString() };
}
function createMessage(e, isReply) {
  var root = el("article", isReply ? "msg reply" : "msg", isReply ? "thread-reply" : "message");
  root.setAttribute("data-ts", e.ts);
  var avatar = el("div", "avatar");
  avatar.setAttribute("aria-hidden", "true");
  avatar.textContent = "\u{1F99E}";
  var body = el("div", "body");
  var meta = el("div", "meta");
  var author = el("span", "author");
  author.textContent = "clawops";
  var badge = el("span", "badge");
  badge.textContent = "APP";
  var time = el("time");
  var t = clock(e.at);
  time.textContent = t.text;
  time.setAttribute("datetime", t.iso);
  meta.append(author, badge, time);
  body.append(meta);
  root.append(avatar, body);
  var rec = { root: root, body: body, blocks: null, thread: null, replies: null, label: null, count: 0, version: 0 };
  fill(rec, e);
  return rec;
}
function fill(rec, e) {
  var blocks = renderMessage(e.html, e.text);
  if (rec.blocks) rec.body.replaceChild(blocks, rec.blocks);
  else rec.body.insertBefore(blocks, rec.thread);
  rec.blocks = blocks;
  rec.root.setAttribute("data-version", String(rec.version++));
  rec.root.setAttribute("aria-label", e.text);
}
function threadOf(rec) {
  if (!rec.thread) {
    rec.thread = el("div", "thread", "thread");
    rec.label = el("div", "thread-label");
    rec.replies = el("div", "replies");
    rec.thread.append(rec.label, rec.replies);
    rec.body.append(rec.thread);
  }
  return rec;
}
function apply(e) {
  if (!e || typeof e.seq !== "number" || e.seq <= lastSeq) return;
  lastSeq = e.seq;
  var follow = channel.scrollHeight - channel.scrollTop - channel.clientHeight < 80;
  var known = byTs.get(e.ts);
  if (known) fill(known, e); // an update, or a replayed post
  else {
    var isReply = !!e.threadTs && e.threadTs !== e.ts;
    var rec = createMessage(e, isReply);
    byTs.set(e.ts, rec);
    if (isReply) {
      var parent = byTs.get(e.threadTs);
      if (!parent) {
        // The parent predates what was loaded: show the thread under a stub.
        parent = createMessage({ ts: e.threadTs, at: e.at, text: "(earlier message)" }, false);
        byTs.set(e.threadTs, parent);
        channel.appendChild(parent.root);
      }
      threadOf(parent).replies.appendChild(rec.root);
      parent.count += 1;
      parent.label.textContent = parent.count === 1 ? "1 reply" : parent.count + " replies";
    } else channel.appendChild(rec.root);
    var empty = document.getElementById("empty");
    if (empty) empty.remove();
  }
  if (follow) channel.scrollTop = channel.scrollHeight;
}

// ---- live feed: SSE, polling as the fallback ----------------------------------------
function setConn(state, text) {
  conn.setAttribute("data-state", state);
  conn.textContent = text;
}
async function fetchSince(since) {
  var res = await fetch("/api/console/messages?since=" + since, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error("HTTP " + res.status);
  var body = await res.json();
  return Array.isArray(body.events) ? body.events : [];
}
async function catchUp() {
  for (;;) {
    var events = await fetchSince(lastSeq);
    if (events.length === 0) return;
    events.forEach(apply);
  }
}
var polling = false;
function startPolling() {
  if (polling) return;
  polling = true;
  setConn("polling", "polling");
  (async function loop() {
    try {
      await catchUp();
      setConn("polling", "polling");
    } catch (err) {
      setConn("reconnecting", "offline, retrying");
    }
    setTimeout(loop, 2000);
  })();
}
var failures = 0;
function connectLive() {
  if (typeof EventSource === "undefined") return startPolling();
  // Last-Event-ID is sent by the browser on its own reconnects; ?since covers a fresh stream.
  var es = new EventSource("/api/console/events?since=" + lastSeq);
  var opened = false;
  es.onopen = function () { opened = true; failures = 0; setConn("live", "live"); };
  es.onmessage = function (m) {
    try { apply(JSON.parse(m.data)); } catch (err) { console.warn("bad console event", err); }
  };
  es.onerror = function () {
    setConn("reconnecting", "reconnecting");
    // A stream that was live: the browser reconnects by itself and sends Last-Event-ID.
    if (opened && es.readyState === EventSource.CONNECTING) { opened = false; return; }
    // A stream that never opened: retry a little, then fall back to polling.
    es.close();
    failures += 1;
    if (failures >= 3) return startPolling();
    setTimeout(connectLive, 500 * failures);
  };
}

// ---- command input ------------------------------------------------------------------
var HISTORY_KEY = "clawops.console.history";
var commandHistory = [];
try { commandHistory = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]").filter(function (x) { return typeof x === "string"; }); } catch (err) { commandHistory = []; }
var cursor = -1;
var draft = "";

function showAck(command, ackMessage, note) {
  ack.replaceChildren();
  var meta = el("div", "ack-meta");
  var who = el("span", "who");
  who.textContent = "\u{1F441} Only visible to you \u00B7 ";
  var cmd = el("code");
  cmd.textContent = command;
  who.append(cmd);
  var close = el("button");
  close.type = "button";
  close.textContent = "\u00D7";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", function () { ack.replaceChildren(); input.focus(); });
  meta.append(who, close);
  ack.append(meta);
  if (ackMessage) ack.append(renderMessage(ackMessage.html, ackMessage.text));
  if (note) {
    var n = el("div", "ack-note");
    n.textContent = note;
    ack.append(n);
  }
}
function remember(raw) {
  if (commandHistory[commandHistory.length - 1] !== raw) commandHistory.push(raw);
  commandHistory = commandHistory.slice(-50);
  try { localStorage.setItem(HISTORY_KEY, JSON.stringify(commandHistory)); } catch (err) { /* private mode */ }
}
form.addEventListener("submit", async function (ev) {
  ev.preventDefault();
  var raw = input.value.trim();
  if (!raw) return;
  // Accept "/openclaw triage x", "openclaw triage x" and "triage x".
  var text = raw.replace(/^\/?openclaw(?=\s|$)\s*/i, "");
  var shown = ("/openclaw " + text).trim();
  remember(raw);
  cursor = -1;
  draft = "";
  input.value = "";
  showAck(shown, null, "Sending\u2026");
  try {
    var res = await fetch("/api/console/command", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: text }),
    });
    var body = await res.json().catch(function () { return null; });
    if (body && body.ok && body.ack) showAck(shown, body.ack, null);
    else showAck(shown, null, "clawops refused the request: " + ((body && body.error && body.error.message) || "HTTP " + res.status));
    if (polling) catchUp().catch(function () {});
  } catch (err) {
    showAck(shown, null, "Could not reach clawops (" + (err && err.message ? err.message : err) + "). Is it still running?");
  }
});
input.addEventListener("keydown", function (ev) {
  if (ev.key === "ArrowUp" && commandHistory.length > 0) {
    ev.preventDefault();
    if (cursor === -1) draft = input.value;
    cursor = Math.min(cursor + 1, commandHistory.length - 1);
    input.value = commandHistory[commandHistory.length - 1 - cursor];
  } else if (ev.key === "ArrowDown" && cursor >= 0) {
    ev.preventDefault();
    cursor -= 1;
    input.value = cursor === -1 ? draft : commandHistory[commandHistory.length - 1 - cursor];
  } else if (ev.key === "Escape") {
    ack.replaceChildren();
  }
});

catchUp().then(connectLive, startPolling);
input.focus();
})();
`;

export const CONSOLE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>#console · clawops</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'%3E%3Ctext y='.9em' font-size='90'%3E🦞%3C/text%3E%3C/svg%3E">
<style>${CSS}</style>
</head>
<body>
<nav class="sidebar" aria-label="Workspace">
  <div class="workspace">clawops</div>
  <div class="section-title">Channels</div>
  <a class="channel-link" aria-current="page"><span class="hash">#</span>console</a>
</nav>
<div class="main">
  <header class="topbar">
    <h1># console</h1>
    <div class="topic">Local console: the messages Slack would get. Try <code>/openclaw hosts</code> or <code>/openclaw help</code>.</div>
    <div id="conn" class="conn" data-testid="connection" data-state="connecting" role="status">connecting</div>
  </header>
  <main id="messages" class="messages" data-testid="channel" aria-label="Messages in #console">
    <div id="empty" class="empty">No messages yet. Start with <code>/openclaw triage &lt;host&gt;</code>; the incident thread appears here.</div>
  </main>
  <footer class="composer">
    <form id="command-form" autocomplete="off">
      <label for="command" class="visually-hidden">Slash command</label>
      <div class="input-row">
        <input id="command" data-testid="command-input" type="text" placeholder="/openclaw triage &lt;host&gt;"
          aria-describedby="command-hint" spellcheck="false" autocapitalize="off" maxlength="500">
        <button type="submit" data-testid="send">Send</button>
      </div>
      <div id="command-hint" class="hint">Enter to send · ↑ ↓ for history · <code>triage &lt;host&gt;</code> <code>hosts</code> <code>enroll &lt;host&gt;</code> <code>help</code></div>
    </form>
    <section id="ack" class="ack" data-testid="ack" aria-live="polite" aria-label="Reply to your command"></section>
  </footer>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
