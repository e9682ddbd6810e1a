import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import {
  type ConsoleServer,
  newConsolePage,
  openConsole as openConsoleAs,
  startConsoleBrowser,
  tokenDriftScript,
} from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";

/** Steps in a triage job (the progress line counts them). */
const N = TRIAGE_STEPS.length;

/**
 * The local console page in real headless Chromium against the real app (hono on
 * @hono/node-server, SQLite, ConsoleChat) with a scripted host: what an operator sees.
 * Chromium is the system one (launchChromium in test/support/console-server.ts).
 */
const SCREENSHOT = "/tmp/clawops-console.png";

let server: ConsoleServer;
let browser: Browser;
let page: Page;
let pageErrors: string[];
/** After a logout, the browser reports each load refused with 401 (the login page, a poll in flight) as a failed load. */
let loggedOut = false;

let close: () => Promise<void>;

beforeAll(async () => {
  const transport = new FakeHostTransport().addHost("node-3", { results: tokenDriftScript() });
  ({ server, browser, close } = await startConsoleBrowser(transport));
});

afterAll(() => close?.());

beforeEach(async () => {
  ({ page, errors: pageErrors } = await newConsolePage(browser));
  loggedOut = false;
});

afterEach(async () => {
  await page.close();
  // Read once the page is closed: a request in flight at the logout may report its 401 late.
  expect(loggedOut ? pageErrors.filter((e) => !/status of 401/.test(e)) : pageErrors).toEqual([]);
});

const openConsole = () => openConsoleAs(page, server.loginUrl());

async function send(text: string): Promise<void> {
  const input = page.getByTestId("command-input");
  await input.fill(text);
  await input.press("Enter");
}

/** An element's text as a person reads it: each icon by its accessible label, e.g. "[failing] Triage …". */
async function readText(loc: Locator): Promise<string> {
  return loc.evaluate((node) => {
    const copy = node.cloneNode(true) as Element;
    for (const svg of copy.querySelectorAll("svg.icon")) svg.replaceWith(`[${svg.getAttribute("aria-label")}]`);
    return copy.textContent ?? "";
  });
}

async function eventCount(): Promise<number> {
  return (await server.chat.since(0)).length;
}

describe("local console page", () => {
  it("runs a triage: ack, incident thread, live progress, then the ranked result", async () => {
    await openConsole();
    const input = page.getByLabel("Slash command");
    expect(await input.getAttribute("data-testid")).toBe("command-input");
    expect(await input.getAttribute("placeholder")).toBe("/openclaw triage <host>");
    expect(await page.getByTestId("ack").getAttribute("aria-live")).toBe("polite");

    // Record every state of the progress message as the page shows it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="thread-reply"] [data-testid="blocks"]')?.textContent ?? "";
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      }).observe(document.getElementById("messages") as HTMLElement, {
        subtree: true,
        childList: true,
        attributes: true,
      });
    });

    await send("/openclaw triage node-3");
    const ack = page.getByTestId("ack");
    await expect.poll(() => ack.textContent()).toMatch(/Only visible to you.*Triage of node-3 started \(job job_\w+\)/);
    expect(await ack.locator("strong").first().textContent()).toBe("node-3");

    const message = page.getByTestId("message");
    await expect.poll(() => message.count()).toBe(1);
    expect(await readText(message.locator(".b-header"))).toBe("[incident] Incident: OpenClaw gateway on node-3");

    const replies = message.getByTestId("thread").getByTestId("thread-reply");
    await expect.poll(() => replies.count(), { timeout: 10_000 }).toBe(2);
    const progress = replies.nth(0);
    const result = replies.nth(1);
    await expect.poll(() => progress.textContent()).toMatch(new RegExp(`Triage of node-3 finished: ${N}/${N} probes`));

    // The progress message was updated in place: one message, several versions, a
    // partial state seen on the way.
    expect(Number(await progress.getAttribute("data-version"))).toBeGreaterThan(1);
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(seen.some((s) => new RegExp(`running: [1-9]\\d?/${N} probes`).test(s))).toBe(true);
    expect(seen.at(-1)).toMatch(`finished: ${N}/${N}`);
    expect(await message.getByTestId("thread").locator(".thread-label").textContent()).toBe("2 replies");

    // The result: failing layers in the header, token drift ranked first with evidence and next commands.
    expect(await readText(result.locator(".b-header"))).toBe("[failing] Triage node-3: 1 failing layer");
    const matrix = result.locator(".b-section").filter({ hasText: "Health by layer" });
    expect(await matrix.textContent()).toContain("Auth: fail — AUTH_TOKEN_MISMATCH");
    expect(await matrix.locator("strong").first().textContent()).toBe("Health by layer");
    expect(await matrix.textContent()).not.toContain("*");
    const first = await result.evaluate((node) => {
      const title = [...node.querySelectorAll("strong")].find((s) => /^1\. /.test(s.textContent ?? ""));
      const label = title?.querySelector("svg.icon")?.getAttribute("aria-label");
      const section = title?.closest(".b-section");
      const evidence = section?.nextElementSibling;
      const next = evidence?.nextElementSibling;
      return {
        title: title?.textContent?.replace(/^1\. /, `1. [${label}]`),
        id: section?.querySelector("code")?.textContent,
        evidence: evidence?.querySelector("pre")?.textContent,
        next: next?.querySelector("pre")?.textContent,
      };
    });
    expect(first.title).toBe("1. [failing] Token drift: the running gateway rejects the configured token");
    expect(first.id).toBe("token-drift");
    expect(first.evidence).toContain('connect → INVALID_REQUEST "unauthorized: gateway token mismatch');
    expect(first.evidence).toContain("(details.code AUTH_TOKEN_MISMATCH)");
    expect(first.evidence).toContain("closed 1008");
    expect(first.evidence).toContain("token source process-argv (pid 28461): sha256:99aa88bb77cc");
    expect(first.next?.split("\n")).toContain("openclaw config get gateway.auth.token");
    expect(await result.locator(".b-context").last().textContent()).toMatch(
      /^job job_\w+ · [\d.]+ s · agent 0\.1\.0 · gateway 2026\.9\.6$/,
    );

    // Tall enough to show the whole thread without scrolling, for a person to look at.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: SCREENSHOT });
  });

  it("answers an unknown host with an error ack and opens no thread", async () => {
    await openConsole();
    const before = await eventCount();
    const messagesBefore = await page.getByTestId("message").count();
    await send("triage nope-7");
    const ack = page.getByTestId("ack");
    await expect.poll(() => ack.textContent()).toContain("No enrolled host named nope-7.");
    expect(await ack.textContent()).toContain("error code unknown_host");
    expect(await ack.locator("code").first().textContent()).toBe("/openclaw triage nope-7");
    await page.waitForTimeout(300);
    expect(await eventCount()).toBe(before);
    expect(await page.getByTestId("message").count()).toBe(messagesBefore);
  });

  it("lists hosts, with or without the /openclaw prefix", async () => {
    await openConsole();
    for (const text of ["/openclaw hosts", "hosts", "openclaw hosts"]) {
      await send(text);
      const ack = page.getByTestId("ack");
      await expect.poll(() => ack.textContent()).toContain("Enrolled hosts (1/1 online)");
      expect(await readText(ack)).toMatch(/node-3 — \[ok\] online · agent 0\.1\.0 · gateway 2026\.9\.6/);
      await page.getByRole("button", { name: "Dismiss" }).click();
      expect(await ack.textContent()).toBe("");
    }
  });

  it("never turns message text into markup", async () => {
    await openConsole();
    // parseCommand quotes the bad word back in mrkdwn: the page must show it as text.
    await send("/openclaw triage <img/src=x/onerror=window.pwned=1>");
    const ack = page.getByTestId("ack");
    await expect.poll(() => ack.textContent()).toContain("<img/src=x/onerror=window.pwned=1>");
    // The core escapes what it quotes back, so the user sees exactly what they typed.
    await send("/openclaw <b>bold</b>&amp;");
    await expect.poll(() => ack.textContent()).toContain("Unknown command <b>bold</b>&amp;.");
    expect(await ack.locator("img, b, script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  });

  it("recalls earlier commands with ArrowUp and ArrowDown", async () => {
    await openConsole();
    await send("hosts");
    await send("help");
    const input = page.getByTestId("command-input");
    await input.fill("draft");
    await input.press("ArrowUp");
    expect(await input.inputValue()).toBe("help");
    await input.press("ArrowUp");
    expect(await input.inputValue()).toBe("hosts");
    await input.press("ArrowDown");
    await input.press("ArrowDown");
    expect(await input.inputValue()).toBe("draft");
  });

  it("shows the existing threads on load and reconnects with Last-Event-ID after a drop", async () => {
    const { ts } = await server.chat.postMessage({
      channel: "console",
      text: "posted before the page opened",
      parts: [],
    });
    await server.chat.postMessage({ channel: "console", threadTs: ts, text: "a reply in its thread", parts: [] });
    await openConsole();
    const earlier = page.getByTestId("message").filter({ hasText: "posted before the page opened" });
    expect(await earlier.getByTestId("thread-reply").textContent()).toContain("a reply in its thread");
    // The browser sends Last-Event-ID only once the stream has delivered an event.
    await server.chat.postMessage({ channel: "console", text: "before the drop", parts: [] });
    await expect.poll(() => page.getByTestId("message").last().textContent()).toContain("before the drop");
    const head = (await server.chat.since(0)).at(-1)?.seq ?? 0;
    const streamsBefore = server.streams.length;
    server.dropConnections();
    await server.chat.postMessage({ channel: "console", text: "after the drop", parts: [] });
    await expect
      .poll(() => page.getByTestId("message").last().textContent(), { timeout: 15_000 })
      .toContain("after the drop");
    // Resumed by the browser itself, from the last event it saw (the server prefers the header).
    expect(server.streams[streamsBefore]?.lastEventId).toBe(String(head));
    expect(await page.getByTestId("message").filter({ hasText: "after the drop" }).count()).toBe(1);
    // The browser reports the cut stream itself; that is the point of this test.
    pageErrors = pageErrors.filter((e) => !e.includes("ERR_INCOMPLETE_CHUNKED_ENCODING"));
  });

  it("falls back to polling when the event stream is unavailable", async () => {
    await page.route("**/api/console/events**", (route) => route.fulfill({ status: 503, body: "" }));
    await page.goto(server.loginUrl());
    await expect
      .poll(() => page.getByTestId("connection").getAttribute("data-state"), { timeout: 15_000 })
      .toBe("polling");
    await server.chat.postMessage({ channel: "console", text: "*polled* message", parts: [] });
    const last = page.getByTestId("message").last();
    await expect.poll(() => last.textContent(), { timeout: 10_000 }).toContain("polled message");
    expect(await last.locator("strong").textContent()).toBe("polled");
    // The 503s are expected here; the browser logs each one.
    pageErrors = pageErrors.filter((e) => !/503|EventSource/.test(e));
  });

  it("works under its Content-Security-Policy, which runs no injected markup (issue 32, item 3)", async () => {
    const response = await page.goto(server.loginUrl());
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    // The page's own script and style run (the feed is live, the layout styled), the icon sprite is hidden.
    expect(await page.locator(".topbar").evaluate((n) => getComputedStyle(n).display)).toBe("flex");
    expect(await page.locator("svg.icon-sprite").evaluate((n) => getComputedStyle(n).display)).toBe("none");
    // Markup that slipped into the page runs nothing: an inline handler and an inline script are refused.
    await page.evaluate(() => {
      document.body.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.__pwned = 1">');
      const s = document.createElement("script");
      s.textContent = "window.__pwned2 = 1";
      document.body.append(s);
    });
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.evaluate(() => (window as unknown as { __pwned2?: number }).__pwned2)).toBeUndefined();
    // The refusals are the only errors: the browser reports each as a CSP violation.
    expect(pageErrors.length).toBeGreaterThan(0);
    expect(pageErrors.every((e) => /Content Security Policy/.test(e))).toBe(true);
    pageErrors.length = 0;
  });

  it("logs out: the session ends and its cookie opens nothing any more", async () => {
    await openConsole();
    const [cookie] = await page.context().cookies();
    expect(cookie?.name).toMatch(/^clawops_session_\d+$/);
    expect(cookie?.httpOnly).toBe(true);
    // Issue 44, item 4: the session's key sits in this origin's storage, out of the address bar.
    expect(page.url()).not.toContain("#");
    const key = () => page.evaluate(() => localStorage.getItem("clawops.console.key"));
    expect(await key()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie?.value).not.toBe(await key());
    loggedOut = true;
    await page.getByTestId("logout").click();
    // The login page the server answers once the session is gone. Not the URL or the body's text:
    // the console is at /console already, and its own indicator can say "logged out: bin/clawops
    // login" (its stream refused) before the logout's answer, which deletes the cookie, is in.
    await expect.poll(() => page.title().catch(() => "navigating")).toBe("clawops console: log in");
    expect(await page.textContent("pre")).toBe("bin/clawops login");
    expect(await page.context().cookies()).toEqual([]);
    // Read once the login page has settled: a read during its navigation has no page to ask.
    await expect.poll(() => key().catch(() => "navigating")).toBeNull();
    // The old cookie, replayed by hand, is refused.
    const replay = await fetch(`${server.url}/api/console/messages`, {
      headers: { cookie: `${cookie?.name}=${cookie?.value}` },
    });
    expect(replay.status).toBe(401);
  });
});
