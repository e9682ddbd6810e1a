import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/contract/encoding.ts";
import { requestConfirmation } from "../../src/core/confirmations/confirm.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { launchChromium, newConsolePage, openConsole } from "../support/console-server.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";

/**
 * The console's confirmation buttons in real headless Chromium against the Node control plane
 * (console only, no Slack): the local operator approves a restart the same way a Slack user would.
 */

let plane: NodePlane;
let cp: ControlPlane;
let browser: Browser;

beforeAll(async () => {
  plane = await startNodePlane({ name: "console-confirm" });
  cp = plane.cp;
  await plane.enroll("node-3", toBase64Url(crypto.getRandomValues(new Uint8Array(32))));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await plane?.close();
});

describe("console confirmation buttons", () => {
  it("approves a restart as the local operator after the confirm dialog", async () => {
    const { page, errors } = await newConsolePage(browser);
    await openConsole(page, cp.consoleLoginUrl() ?? "");
    await page.getByTestId("command-input").fill("/openclaw freeze node-3 for 10m restart test");
    await page.getByTestId("command-input").press("Enter");
    await expect.poll(async () => (await cp.deps.recovery?.store.getFreeze("node-3"))?.owner).toBe("console");

    const deps = cp.deps;
    const c = await requestConfirmation(deps, {
      host: "node-3",
      step: "gateway.restart",
      job: "job_console",
      requestedBy: "console",
      channel: "console",
      threadTs: null,
      summary: "In flight: 0 session(s).",
    });
    const decided = deps.recovery.decisions.wait(c.id, 20_000);
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    const approve = page.locator('[data-action-id="clawops_approve"]');
    await approve.click();
    const decision = await decided;
    expect(decision).toMatchObject({ decision: "approve", by: "console" });
    expect(dialogs).toEqual(["Run gateway.restart on node-3 now?"]);
    // The message is edited in place: the buttons are gone, the approval is shown.
    await expect.poll(() => page.locator('[data-action-id="clawops_approve"]').count()).toBe(0);
    await expect.poll(() => page.getByText("Approved").count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
