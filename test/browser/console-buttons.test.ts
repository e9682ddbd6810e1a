import { execFileSync } from "node:child_process";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ConsoleServer,
  newConsolePage,
  openConsole,
  startConsoleBrowser,
  tokenDriftScript,
} from "../support/console-server.ts";
import { gatewayDownData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";

/**
 * The console's buttons and icons in real headless Chromium on this machine's fonts (no emoji
 * font: see the first test): a triage answer's buttons run their command as the console user,
 * the fleet matrix offers a Triage button per failing host, icons are the page's SVG with
 * accessible labels, a new answer in a thread above later messages is brought into view, the
 * probe list shows what each probe found, and a message's time has one format.
 */
const SCREENSHOT = "/tmp/clawops-console-buttons.png";

let server: ConsoleServer;
let browser: Browser;
let page: Page;
let pageErrors: string[];

let close: () => Promise<void>;

beforeAll(async () => {
  const transport = new FakeHostTransport()
    .addHost("node-3", { results: tokenDriftScript() })
    .addHost("node-5", { results: toResults(gatewayDownData()) })
    .addHost("node-6", { results: toResults(gatewayDownData()) });
  ({ server, browser, close } = await startConsoleBrowser(transport, ["node-3", "node-5", "node-6"]));
});

afterAll(() => close?.());

beforeEach(async () => {
  ({ page, errors: pageErrors } = await newConsolePage(browser));
  await openConsole(page, server.loginUrl());
});

afterEach(async () => {
  await page.close();
  expect(pageErrors).toEqual([]);
});

async function send(text: string): Promise<void> {
  const input = page.getByTestId("command-input");
  await input.fill(text);
  await input.press("Enter");
}

/** The final triage answers of `host` on the page (the ones with buttons), in order. */
const answers = (host: string) =>
  page.getByTestId("thread-reply").filter({ has: page.locator(`button[data-command="triage ${host}"]`) });

async function audit(): Promise<{ actor: string; source: string; detail: string; outcome: string }[]> {
  const res = await fetch(`${server.url}/api/console/audit.jsonl`, { headers: server.headers });
  return (await res.text())
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Emoji left as characters in the channel's text, outside code (what a host printed). */
function emojiAsText(): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const root = document.getElementById("messages");
    if (!root) return ["no #messages"];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement?.closest("code, pre")) continue;
      const hits = (n.textContent ?? "").match(/\p{Extended_Pictographic}/gu);
      if (hits) found.push(...hits);
    }
    return found;
  });
}

describe("console buttons and icons", () => {
  it("a triage answer: SVG icons with labels, no emoji as text, the four buttons and the top finding's snoozes, one time format", async () => {
    // This machine has no emoji font: the check below would pass with one too, but this is
    // the case the icons are for.
    const emojiFonts = execFileSync("fc-list", [":charset=1f534"], { encoding: "utf8" }).trim();
    console.info(`fonts with U+1F534 (🔴): ${emojiFonts || "none"}`);

    await send("triage node-3");
    await expect.poll(() => answers("node-3").count(), { timeout: 15_000 }).toBe(1);
    const answer = answers("node-3").first();

    // Icons: inline SVG drawn from the page's sprite, each with an accessible label, and visible.
    const header = answer.locator(".b-header svg.icon");
    expect(await header.getAttribute("role")).toBe("img");
    expect(await header.getAttribute("aria-label")).toBe("failing");
    const box = await header.boundingBox();
    expect(box?.width).toBeGreaterThan(8);
    expect(await page.locator("svg.icon").count()).toBeGreaterThan(10);
    const labels = await page
      .locator("#messages svg.icon")
      .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
    expect(new Set(labels)).toEqual(new Set(["incident", "passed", "failing", "warning", "ok", "not known"]));
    expect(await emojiAsText()).toEqual([]);
    // The avatar and the favicon are the page's drawings too.
    expect(await page.locator(".avatar svg").count()).toBeGreaterThan(0);
    expect(await page.locator(".avatar").first().textContent()).toBe("");

    // The buttons, as in Slack.
    const buttons = answer.locator("button[data-command]");
    expect(await buttons.allTextContents()).toEqual([
      "Run again",
      "Collect bundle",
      "Freeze 30 min",
      "Start recovery",
      "Snooze 1 h",
      "Snooze 1 d",
      "Snooze until version changes",
    ]);

    // One time format: the message's time as the messages write theirs (24-hour UTC).
    const times = await page.locator("#messages time").allTextContents();
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) expect(t).toMatch(/^\d\d:\d\d:\d\d UTC$/);
    await page.setViewportSize({ width: 1280, height: 1600 });
    await page.screenshot({ path: SCREENSHOT });
  });

  it("the probe list shows what each probe found: the refusing gateway is not a pass", async () => {
    await send("triage node-5");
    await expect.poll(() => answers("node-5").count(), { timeout: 15_000 }).toBe(1);
    const progress = page.getByTestId("thread-reply").filter({ hasText: "Triage of node-5 finished" });
    const line = await progress.evaluate((node) => {
      const copy = node.cloneNode(true) as Element;
      for (const svg of copy.querySelectorAll("svg.icon")) svg.replaceWith(`[${svg.getAttribute("aria-label")}]`);
      return (copy.querySelector(".blocks")?.innerHTML ?? "")
        .split("<br>")
        .map((l) => l.replace(/<[^>]+>/g, ""))
        .find((l) => l.includes("gateway.ws"));
    });
    expect(line).toMatch(/^\[failing\] gateway\.ws \d+ ms — Transport: WebSocket refused/);
  });

  it("a new answer in a thread above later messages is brought into view; Run again runs as the console user", async () => {
    await send("triage node-6");
    await expect.poll(() => answers("node-6").count(), { timeout: 15_000 }).toBe(1);
    // Later messages below the thread: fleet matrices, until the thread is out of view.
    for (let i = 0; i < 4; i++) {
      const before = await page.getByTestId("message").count();
      await send("status all");
      await expect.poll(() => page.getByTestId("message").count(), { timeout: 15_000 }).toBe(before + 1);
    }
    const inView = (n: number) =>
      answers("node-6")
        .nth(n)
        .evaluate((el) => {
          const c = (document.getElementById("messages") as HTMLElement).getBoundingClientRect();
          const r = el.getBoundingClientRect();
          return r.bottom > c.top && r.top < c.bottom;
        });
    // The view is at the bottom (the page followed), the thread above it.
    expect(await inView(0)).toBe(false);

    // Asked again from the composer at the bottom: the answer lands in the thread, above.
    await send("triage node-6");
    await expect.poll(() => answers("node-6").count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => inView(1)).toBe(true);
    expect(await answers("node-6").nth(1).getAttribute("class")).toContain("arrived");

    // Its Run again button: the console user's triage, acked and audited as a press.
    const before = (await audit()).length;
    await answers("node-6").nth(1).getByRole("button", { name: "Run again" }).click();
    const ack = page.getByTestId("ack");
    await expect
      .poll(() => ack.textContent())
      .toMatch(/Only visible to you.*\/openclaw triage node-6.*Triage of node-6 started/);
    await expect.poll(() => answers("node-6").count(), { timeout: 15_000 }).toBe(3);
    expect((await audit()).slice(before)[0]).toMatchObject({
      actor: "console",
      source: "console",
      outcome: "ok",
      detail: "button: /openclaw triage node-6",
    });
  });

  it("Freeze 30 min asks first, then freezes as the console user; the fleet matrix offers Triage for failing hosts", async () => {
    await send("triage node-5");
    await expect.poll(() => answers("node-5").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await answers("node-5").last().getByRole("button", { name: "Freeze 30 min" }).click();
    const ack = page.getByTestId("ack");
    await expect.poll(() => ack.textContent()).toContain("Froze node-5");
    expect(dialogs[0]).toContain("Freeze node-5 for 30 minutes");

    const before = await page.getByTestId("message").count();
    await send("status all");
    await expect.poll(() => page.getByTestId("message").count(), { timeout: 15_000 }).toBe(before + 1);
    const matrix = page.getByTestId("message").last();
    expect(await matrix.locator("button[data-command]").allTextContents()).toEqual(
      expect.arrayContaining(["Triage node-5", "Triage node-6"]),
    );
    const answered = await answers("node-6").count();
    await matrix.getByRole("button", { name: "Triage node-6" }).click();
    await expect.poll(() => ack.textContent()).toContain("Triage of node-6 started");
    await expect.poll(() => answers("node-6").count(), { timeout: 15_000 }).toBe(answered + 1);
  });
});
