/**
 * The console screenshots in docs/ (README, docs/slack.md), taken the way the browser tests see
 * the console: Debian's chromium driven by playwright-core (test/support/console-server.ts), the
 * real app and page, a scripted host (token drift on node-3, healthy node-5). Run it after the page
 * changes, and commit the images with the change:
 *
 *   npm run docs:screenshots
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  healthyScript,
  newConsolePage,
  startConsoleBrowser,
  tokenDriftScript,
} from "../test/support/console-server.ts";
import { FakeHostTransport } from "../test/support/fake-transport.ts";

const DOCS = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));

const transport = new FakeHostTransport()
  .addHost("node-3", { results: tokenDriftScript() })
  .addHost("node-5", { results: healthyScript() });
const { server, browser, close } = await startConsoleBrowser(transport, ["node-3", "node-5"]);
try {
  const { page } = await newConsolePage(browser);
  await page.goto(server.loginUrl());
  await page.waitForSelector('[data-testid="connection"][data-state="live"]');
  const send = async (text: string) => {
    await page.getByTestId("command-input").fill(text);
    await page.getByTestId("command-input").press("Enter");
  };
  const answers = async (n: number) =>
    page.waitForFunction(
      (count) => document.querySelectorAll('[data-testid="thread-reply"] .b-header').length >= count,
      n,
      { timeout: 60_000 },
    );
  await send("/openclaw triage node-5");
  await answers(1);
  await send("/openclaw triage node-3");
  await answers(2);
  await page.waitForTimeout(500);
  // A person's first screen after the triage: the ack below, the answer in its thread.
  writeFileSync(DOCS("console-triage.png"), await page.screenshot());

  // Opened again later: at the newest top-level message, the older thread folded.
  const { page: again } = await newConsolePage(browser);
  await again.goto(server.loginUrl());
  await again.waitForSelector('[data-testid="connection"][data-state="live"]');
  await again.waitForTimeout(300);
  writeFileSync(DOCS("console-channel.png"), await again.screenshot());
  process.stdout.write(`wrote ${DOCS("console-triage.png")} and ${DOCS("console-channel.png")}\n`);
} finally {
  await close();
}
