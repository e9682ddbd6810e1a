import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ConsoleServer,
  newConsolePage,
  openConsole as openConsoleAs,
  startConsoleBrowser,
} from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";

/**
 * The console reads like a channel (issue 33, item 8): it opens at the newest top-level message
 * with its thread open and the older threads folded; "N replies" folds and unfolds a thread; a new
 * answer opens a thread the page folded, not one the operator folded; every URL is a link. Real
 * headless Chromium against the real app, with threads written into its console chat.
 */
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let close: () => Promise<void>;
const tops: string[] = [];

/** Long enough that three threads do not fit one screen. */
const REPLY = Array.from({ length: 6 }, (_, i) => `line ${i + 1} of a long probe answer`).join("\n");

beforeAll(async () => {
  ({ server, browser, close } = await startConsoleBrowser(new FakeHostTransport(), []));
  for (const host of ["node-1", "node-2", "node-3"]) {
    const { ts } = await server.chat.postMessage({
      channel: "console",
      text: `🚨 Incident: OpenClaw gateway on ${host}`,
      parts: [],
    });
    tops.push(ts);
    for (let i = 0; i < 6; i++)
      await server.chat.postMessage({
        channel: "console",
        threadTs: ts,
        text: `${host} reply ${i + 1}\n${REPLY}`,
        parts: [],
      });
  }
});

afterAll(() => close?.());

beforeEach(async () => {
  ({ page, errors: pageErrors } = await newConsolePage(browser));
});

afterEach(async () => {
  await page.close();
  expect(pageErrors).toEqual([]);
});

const message = (ts: string) => page.locator(`#messages > article[data-ts="${ts}"]`);
const toggle = (ts: string) => message(ts).getByTestId("thread-toggle");

/** Where an element's top is, inside the channel's visible area (0 = its top edge). */
async function topInChannel(ts: string): Promise<{ top: number; height: number }> {
  return message(ts).evaluate((node) => {
    const channel = document.getElementById("messages") as HTMLElement;
    return {
      top: node.getBoundingClientRect().top - channel.getBoundingClientRect().top,
      height: channel.clientHeight,
    };
  });
}

describe("the console as a channel", () => {
  it("opens at the newest top-level message, its thread open, older threads folded", async () => {
    await openConsoleAs(page, server.loginUrl());
    const newest = tops[2] ?? "";
    const seen = await topInChannel(newest);
    // Its first line is on the first screen, not scrolled past into its replies.
    expect(seen.top).toBeGreaterThanOrEqual(0);
    expect(seen.top).toBeLessThan(seen.height);
    expect(await toggle(newest).getAttribute("aria-expanded")).toBe("true");
    expect(await message(newest).getByTestId("thread-reply").first().isVisible()).toBe(true);
    for (const older of tops.slice(0, 2)) {
      expect(await toggle(older).getAttribute("aria-expanded")).toBe("false");
      expect(await toggle(older).textContent()).toBe("6 replies");
      expect(await message(older).getByTestId("thread-reply").first().isVisible()).toBe(false);
    }
  });

  it("folds and unfolds a thread with its N replies button", async () => {
    await openConsoleAs(page, server.loginUrl());
    const older = tops[0] ?? "";
    await toggle(older).click();
    expect(await toggle(older).getAttribute("aria-expanded")).toBe("true");
    expect(await message(older).getByTestId("thread-reply").nth(5).isVisible()).toBe(true);
    await toggle(older).click();
    expect(await toggle(older).getAttribute("aria-expanded")).toBe("false");
    expect(await message(older).getByTestId("thread-reply").first().isVisible()).toBe(false);
    // By keyboard too: it is a button.
    await toggle(older).focus();
    await page.keyboard.press("Enter");
    expect(await toggle(older).getAttribute("aria-expanded")).toBe("true");
  });

  it("a new answer opens a thread the page folded, not one the operator folded", async () => {
    await openConsoleAs(page, server.loginUrl());
    const [first, second] = [tops[0] ?? "", tops[1] ?? ""];
    await toggle(second).click(); // opened by the operator …
    await toggle(second).click(); // … and folded again by them
    await server.chat.postMessage({
      channel: "console",
      threadTs: first,
      text: "node-1: a new triage answer",
      parts: [],
    });
    await expect.poll(() => toggle(first).getAttribute("aria-expanded")).toBe("true");
    expect(await message(first).getByText("node-1: a new triage answer").isVisible()).toBe(true);
    await server.chat.postMessage({
      channel: "console",
      threadTs: second,
      text: "node-2: a new triage answer",
      parts: [],
    });
    await expect.poll(() => toggle(second).textContent()).toBe("7 replies");
    expect(await toggle(second).getAttribute("aria-expanded")).toBe("false");
  });

  it("makes every URL a link (a bundle's download link is plain text in the message)", async () => {
    await openConsoleAs(page, server.loginUrl());
    const url = `${server.url}/bundles/bundle_0123?exp=1790000000&sig=${"ab".repeat(32)}`;
    await server.chat.postMessage({
      channel: "console",
      text: `Download (expires 2026-12-01T00:00:00.000Z): ${url}`,
      parts: [{ kind: "section", text: `Download (expires 2026-12-01T00:00:00.000Z): ${url}` }],
    });
    const link = page.locator("#messages > article").last().locator("a");
    await expect.poll(() => link.count()).toBe(1);
    expect(await link.getAttribute("href")).toBe(url);
    expect(await link.textContent()).toBe(url);
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
  });
});
