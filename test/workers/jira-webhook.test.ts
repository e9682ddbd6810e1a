import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { declareIncident, hmacSha256Hex } from "./signed-slack.ts";

/**
 * Jira's issue webhook on Workers (issue 41, item 4): `POST /tickets/jira/webhook` of the
 * Worker's real `fetch`, signed here with WebCrypto as Jira Cloud signs a webhook with a secret
 * (`X-Hub-Signature: sha256=<hex HMAC of the body>`); the ticket and the incident live in the
 * directory Durable Object's SQLite. A close of the incident's issue goes on its timeline; a
 * forged delivery is refused 401 with nothing noted; an issue clawops does not keep is ignored.
 */
async function signature(body: string, secret: string): Promise<string> {
  return `sha256=${await hmacSha256Hex(secret, body)}`;
}

function closeEvent(key: string, at: number): string {
  return JSON.stringify({
    timestamp: at,
    webhookEvent: "jira:issue_updated",
    user: { displayName: "Dana Reyes" },
    issue: { key, fields: { status: { name: "Done", statusCategory: { key: "done" } } } },
    changelog: {
      id: String(at),
      items: [{ field: "status", fieldId: "status", fromString: "In Progress", toString: "Done" }],
    },
  });
}

async function deliver(body: string, secret = env.JIRA_WEBHOOK_SECRET) {
  const res = await exports.default.fetch("https://clawops.example/tickets/jira/webhook", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-hub-signature": await signature(body, secret),
      "x-atlassian-webhook-identifier": crypto.randomUUID(),
    },
    body,
  });
  return { status: res.status, body: await res.json<Record<string, unknown>>() };
}

describe("POST /tickets/jira/webhook on Workers", () => {
  it("notes a signed close on the incident's timeline; refuses a forged one; ignores an unknown issue", async () => {
    const { store, incident } = await declareIncident("sev3", "node-9 answers slowly");
    const now = Date.now();
    const ticket = await store.insertTicket({
      id: "tkt_webhook1",
      incidentId: incident.id,
      system: "jira",
      key: "OPS-41",
      url: "https://acme.atlassian.example/browse/OPS-41",
      host: "node-9",
      finding: "none",
      state: "open",
      openedAt: now,
      openedBy: "U0OPERATOR",
      updatedAt: now,
      bundleId: null,
      keptUntil: null,
    });

    const forged = await deliver(closeEvent("OPS-41", now), "not-the-secret");
    expect(forged.status).toBe(401);
    expect((await store.getTicket(ticket.id))?.state).toBe("open");

    const taken = await deliver(closeEvent("OPS-41", now));
    expect(taken).toMatchObject({ status: 200, body: { status: "noted", change: "closed", incidents: [incident.id] } });
    const lines = (await store.incidentTimeline(incident.id)).filter((e) => e.actor === "Jira").map((e) => e.text);
    expect(lines).toEqual(["OPS-41 closed in Jira (In Progress → Done) by Dana Reyes"]);
    expect((await store.getTicket(ticket.id))?.state).toBe("closed");

    const unknown = await deliver(closeEvent("OPS-404", now));
    expect(unknown).toMatchObject({
      status: 200,
      body: { status: "ignored", reason: "clawops keeps no ticket OPS-404" },
    });
  });
});
