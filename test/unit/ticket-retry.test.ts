import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverToTicket, TicketHttpError, withRetry } from "../../src/core/bundles/tickets.ts";
import type { TicketConfig } from "../../src/core/ports/bundles.ts";
import { startTicketStandIns, type TicketStandIns } from "../support/bundle-standins.ts";
import type { GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";

/** Ticket calls: no retry on 4xx except 429 (Retry-After honoured); 5xx and network errors back off. */
let standIns: TicketStandIns;
let jira: JiraStandIn;
let github: GithubStandIn;
let config: TicketConfig;

beforeAll(async () => {
  standIns = await startTicketStandIns({ email: "ops@example.com", jiraToken: "jira-token", githubToken: "gh-token" });
  ({ jira, github, tickets: config } = standIns);
});
afterAll(() => standIns.stop());

const delivery = { filename: "b.zip", bytes: new Uint8Array([80, 75, 5, 6]), summary: "sum", link: "https://x/b" };

async function deliver(ref: Parameters<typeof deliverToTicket>[1]) {
  const waits: number[] = [];
  let tries = 0;
  const result = await withRetry(
    3,
    1_000,
    (attempt) => {
      tries = attempt;
      return deliverToTicket(config, ref, delivery);
    },
    async (ms) => {
      waits.push(ms);
    },
  ).catch((err: unknown) => err);
  return { result, waits, tries };
}

describe("ticket retries", () => {
  it("a 404 (no such issue) is not retried", async () => {
    const before = jira.requests.length;
    jira.faults.push({ status: 404 });
    const { result, waits, tries } = await deliver({ system: "jira", key: "OPS-404" });
    expect(result).toBeInstanceOf(TicketHttpError);
    expect((result as TicketHttpError).httpStatus).toBe(404);
    expect((result as Error).message).toContain("HTTP 404");
    expect(jira.requests.length - before).toBe(1);
    expect(waits).toEqual([]);
    expect(tries).toBe(1);
  });

  it("a 401 is not retried either", async () => {
    const before = github.requests.length;
    github.faults.push({ status: 401 });
    const { waits } = await deliver({ system: "github", repo: null, number: 7, label: "#7" });
    expect(github.requests.length - before).toBe(1);
    expect(waits).toEqual([]);
  });

  it("a 429 is retried after its Retry-After, then delivered", async () => {
    const before = jira.attachments.length;
    jira.faults.push({ status: 429, retryAfterS: 7 });
    const { result, waits, tries } = await deliver({ system: "jira", key: "OPS-429" });
    expect(result).toEqual({});
    expect(waits).toEqual([7_000]);
    expect(tries).toBe(2);
    expect(jira.attachments.length - before).toBe(1);
  });

  it("a 503 is retried with backoff, then delivered; GitHub's 403 with Retry-After is a rate limit", async () => {
    const before = github.comments.length;
    github.faults.push({ status: 503 }, { status: 403, retryAfterS: 2 });
    const { result, waits, tries } = await deliver({ system: "github", repo: null, number: 8, label: "#8" });
    expect((result as { url?: string }).url).toContain("acme/infra");
    expect(waits).toEqual([1_000, 2_000]);
    expect(tries).toBe(3);
    expect(github.comments.length - before).toBe(1);
  });

  it("a Retry-After past a minute is not waited for", async () => {
    jira.faults.push({ status: 429, retryAfterS: 3_600 });
    const { result, waits } = await deliver({ system: "jira", key: "OPS-430" });
    expect((result as TicketHttpError).httpStatus).toBe(429);
    expect(waits).toEqual([]);
  });

  it("network failures are retried up to the attempt count", async () => {
    const waits: number[] = [];
    let calls = 0;
    const err = await withRetry(
      3,
      100,
      () => {
        calls++;
        return deliverToTicket(
          { jira: { baseUrl: "http://127.0.0.1:9", email: "a", apiToken: "b" } },
          { system: "jira", key: "OPS-1" },
          delivery,
          () => Promise.reject(new TypeError("fetch failed")),
        );
      },
      async (ms) => {
        waits.push(ms);
      },
    ).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("ticket_unreachable");
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it("no stand-in saw a malformed request", () => {
    expect(jira.violations).toEqual([]);
    expect(github.violations).toEqual([]);
  });
});
