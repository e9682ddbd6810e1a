import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { IncidentTicket } from "../../src/core/ports/ticket-book.ts";
import { DirectoryStore } from "../../src/worker/directory-store.ts";
// The Worker's main module defines the Durable Object classes: until it is loaded, a call to the
// directory object waits for a class that never comes (the test times out).
import "../../src/worker/index.ts";

/**
 * The incidents' tickets on Workers (issue 29, item 6): the directory Durable Object's SQLite,
 * reached by RPC as the Worker and the host objects reach it. One open ticket per host and top
 * finding, whoever stores first; incidents that comment on it are linked; a ticket its tracker
 * closed frees the problem for a new one; the bundle it carries and until when are kept.
 */
function ticket(id: string, incidentId: string, key: string, at: number): IncidentTicket {
  return {
    id,
    incidentId,
    system: "jira",
    key,
    url: `https://acme.atlassian.example/browse/${key}`,
    host: "node-7",
    finding: "gateway-down",
    state: "open",
    openedAt: at,
    openedBy: "U0LEAD",
    updatedAt: at,
    bundleId: null,
    keptUntil: null,
  };
}

describe("incident tickets in the directory Durable Object", () => {
  it("keeps one open ticket per host and finding, links the incidents, and frees the problem once closed", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    // Two opened at once for the same problem: both get the one stored first.
    const [a, b] = await Promise.all([
      store.insertTicket(ticket("tkt_a", "inc_1", "OPS-1", 1_000)),
      store.insertTicket(ticket("tkt_b", "inc_1", "OPS-2", 1_001)),
    ]);
    expect(a.id).toBe(b.id);
    const first = a;
    expect(await store.findOpenTicket("node-7", "gateway-down")).toMatchObject({ id: first.id, key: first.key });
    expect(await store.findOpenTicket("node-7", "token-drift")).toBeNull();

    // A second incident of the same problem commented on it: linked, once however often asked.
    await store.linkTicket("inc_2", first.id, "commented", 2_000);
    await store.linkTicket("inc_2", first.id, "commented", 2_001);
    expect((await store.incidentTickets("inc_2")).map((t) => t.id)).toEqual([first.id]);
    expect((await store.incidentTickets("inc_1")).map((t) => t.id)).toEqual([first.id]);

    // The bundle it carries, kept 90 days.
    const kept = await store.updateTicket(first.id, { bundleId: "bundle_x", keptUntil: 90_000, updatedAt: 3_000 });
    expect(kept).toMatchObject({ bundleId: "bundle_x", keptUntil: 90_000 });

    // Closed in Jira: the next incident of the problem opens a new ticket.
    await store.updateTicket(first.id, { state: "closed", updatedAt: 4_000 });
    expect(await store.findOpenTicket("node-7", "gateway-down")).toBeNull();
    const next = await store.insertTicket(ticket("tkt_c", "inc_3", "OPS-3", 5_000));
    expect(next.id).toBe("tkt_c");
    expect((await store.getTicket(first.id))?.state).toBe("closed");
    expect(await store.updateTicket("tkt_missing", { state: "closed" })).toBeNull();
  });
});
