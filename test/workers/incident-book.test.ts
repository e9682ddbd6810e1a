import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DirectoryStore } from "../../src/worker/directory-store.ts";
import { alertIncident } from "../support/incident-record.ts";
// The Worker's main module defines the Durable Object classes: until it is loaded, a call to the
// directory object waits for a class that never comes (the test times out).
import "../../src/worker/index.ts";

/**
 * The incident records on Workers (issue 29, item 1): the directory Durable Object's SQLite,
 * reached by RPC as the Worker and the host objects reach it.
 */
const incident = (id: string, host: string, at: number) => alertIncident(id, host, at);

describe("incident records in the directory Durable Object", () => {
  it("keeps one open incident per host, an ordered timeline, and a clean resolve", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    // Two signals at once: the second open returns the first's record.
    const [a, b] = await Promise.all([
      store.openIncident(incident("inc_a", "node-7", 1_000), "node-7"),
      store.openIncident(incident("inc_b", "node-7", 1_001), "node-7"),
    ]);
    expect(a.id).toBe(b.id);
    const id = a.id;
    const seqs = await Promise.all(
      ["fired", "triage", "note"].map((text, i) =>
        store.appendIncidentEvent({ incidentId: id, at: 2_000 + i, actor: "U1", kind: "note", text, ref: null }),
      ),
    );
    expect(seqs.sort()).toEqual([1, 2, 3]);
    expect((await store.incidentTimeline(id)).map((e) => e.seq)).toEqual([1, 2, 3]);

    const acked = await store.updateIncident(id, ["open"], { state: "acknowledged", owner: "U2", updatedAt: 3_000 });
    expect(acked).toMatchObject({ state: "acknowledged", owner: "U2" });
    // A move from a state it is no longer in changes nothing.
    expect(await store.updateIncident(id, ["open"], { state: "resolved", resolvedAt: 4_000 })).toBeNull();
    const resolved = await store.updateIncident(id, ["open", "acknowledged"], {
      state: "resolved",
      resolvedAt: 4_000,
      resolvedBy: "U2",
    });
    expect(resolved).toMatchObject({ state: "resolved", resolvedBy: "U2" });
    expect(await store.findOpenIncident("node-7")).toBeNull();
    expect(await store.listIncidents({ open: true })).toEqual([]);

    // Resolved frees the host: its next failure is a new incident.
    const next = await store.openIncident(incident("inc_c", "node-7", 5_000), "node-7");
    expect(next.id).toBe("inc_c");
    expect((await store.listIncidents({})).map((i) => i.id)).toEqual(["inc_c", id]);
    expect(await store.getIncident("inc_missing")).toBeNull();
  });

  it("counts signals at once without losing any, takes fleet members, moves a phase once, and lists stale headers (issue 29)", async () => {
    const store = new DirectoryStore(env.DIRECTORY);
    const host = await store.openIncident(incident("inc_h1", "node-21", 10_000), "node-21");
    // Twenty requests counting at once: every one lands (one statement each in the object's SQLite).
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.countIncident(host.id, { alerts: 1 }, 11_000 + i)));
    const counted = await store.getIncident(host.id);
    expect(counted?.counts.alerts).toBe(21);
    expect(counted?.lastSignalAt).toBe(11_019);

    // The first failure after a recovery moves the phase once, whoever races for it.
    await store.updateIncident(host.id, ["open"], { phase: "recovered" });
    const moves = await Promise.all(
      [1, 2, 3].map(() => store.updateIncident(host.id, ["open", "acknowledged"], { phase: "failing" }, "recovered")),
    );
    expect(moves.filter((m) => m !== null)).toHaveLength(1);

    // A fleet incident takes members once each; a member host finds it as its open incident.
    const fleet = await store.openIncident(
      { ...incident("inc_f1", "node-22", 12_000), source: "fleet", causes: ["finding:gateway.down"] },
      "fleet:finding:gateway.down",
    );
    await Promise.all(["node-23", "node-23", "node-24"].map((h) => store.joinIncident(fleet.id, h)));
    expect((await store.getIncident(fleet.id))?.hosts).toEqual(["node-22", "node-23", "node-24"]);
    expect((await store.findOpenIncident("node-24"))?.id).toBe(fleet.id);
    expect((await store.findOpenIncident("node-21"))?.id).toBe(host.id);

    // Held-back header edits are listed once due, and not after they were made. Times a minute
    // ahead: the object's own alarm (due 10 s after the held edit) must not make the edit meanwhile.
    const held = Date.now() + 60_000;
    await store.updateIncident(fleet.id, ["open"], { headerAt: held, headerStale: true });
    expect((await store.staleHeaders(held - 500)).map((i) => i.id)).not.toContain(fleet.id);
    expect((await store.staleHeaders(held + 500)).map((i) => i.id)).toContain(fleet.id);
    await store.updateIncident(fleet.id, ["open"], { headerAt: held + 500, headerStale: false });
    expect((await store.staleHeaders(held + 99_000)).map((i) => i.id)).not.toContain(fleet.id);
  });
});
