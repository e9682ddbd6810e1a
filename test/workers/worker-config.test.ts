import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseWorkerConfig, type WorkerEnv } from "../../src/worker/env.ts";
import worker from "../../src/worker/index.ts";

/**
 * The Worker reads the variables it shares with Node through the one shared table
 * (src/adapters/env/shared-vars.ts, issue 45): inside workerd, a URL is checked as a URL, as on
 * Node, and a bad one keeps every request at 503 naming it.
 */
const base = { ...env } as WorkerEnv;

describe("the Worker's configuration, in workerd", () => {
  it("the test bindings parse", () => {
    const parsed = parseWorkerConfig(base);
    if (!parsed.ok) expect.fail(parsed.problems.join("\n"));
  });

  it("each bad URL is a problem naming the binding; values are read as on Node", () => {
    const bad = parseWorkerConfig({
      ...base,
      JIRA_BASE_URL: "jira.example.com",
      CLAWOPS_PAGE_WEBHOOK_URL: "hooks.example/x?sig=webhooksecret",
      GITHUB_API_URL: "ftp://github.example.com",
      PAGERDUTY_API_URL: "pagerduty",
      CLAWOPS_PUBLIC_URL: "https://clawops.example.com/?next=$(id)",
      OPSGENIE_API_URL: "opsgenie",
    });
    if (bad.ok) expect.fail("six bad URLs were accepted");
    // A webhook URL may carry its credential: never quoted in a problem, which the 503 shows to any caller.
    expect(bad.problems.join("\n")).not.toContain("webhooksecret");
    for (const name of [
      "CLAWOPS_PAGE_WEBHOOK_URL",
      "JIRA_BASE_URL",
      "GITHUB_API_URL",
      "PAGERDUTY_API_URL",
      "CLAWOPS_PUBLIC_URL",
      "OPSGENIE_API_URL",
    ])
      expect(
        bad.problems.some((p) => p.startsWith(name)),
        name,
      ).toBe(true);

    const good = parseWorkerConfig({
      ...base,
      JIRA_BASE_URL: "https://acme.atlassian.example/",
      JIRA_EMAIL: "ops@acme.example",
      JIRA_API_TOKEN: "jira-token",
      CLAWOPS_PUBLIC_URL: "https://clawops.acme.example/",
      CLAWOPS_BUNDLE_RETENTION_DAYS: "0.5",
    });
    if (!good.ok) expect.fail(good.problems.join("\n"));
    expect(good.config.values.JIRA_BASE_URL).toBe("https://acme.atlassian.example");
    expect(good.config.values.CLAWOPS_PUBLIC_URL).toBe("https://clawops.acme.example");
    expect(good.config.bundleLifetimes.retentionMs).toBe(12 * 3_600_000);
  });

  it("a bad paging policy is listed once, as on Node", () => {
    const parsed = parseWorkerConfig({ ...base, CLAWOPS_PAGING_POLICY: "watch:sev9" });
    if (parsed.ok) expect.fail("a bad paging policy was accepted");
    expect(parsed.problems).toEqual([
      'CLAWOPS_PAGING_POLICY: "watch:sev9" names no severity; write watch:sev1 … watch:sev4.',
    ]);
  });

  it("a request to a Worker with a bad URL answers 503 naming the binding, not its value", async () => {
    const res = await worker.fetch(
      new Request("https://clawops.example/slack/commands", { method: "POST", body: "" }),
      { ...base, JIRA_BASE_URL: "https://jira:password1@" } as Parameters<typeof worker.fetch>[1],
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(body).toContain("JIRA_BASE_URL");
    expect(body).not.toContain("password1");
  });
});
