import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../support/cli-process.ts";
import { runNode } from "../support/run-node.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";

/**
 * Enrolling a host where Slack is configured (issue 33, item 2): there is no console, so
 * `/openclaw enroll <host>` in Slack (authorized, audited, the code only to the requester through
 * the command's response_url) and `clawops enroll <host>` with CLAWOPS_ADMIN_TOKEN (the operator
 * API). A real control plane that builds and serves the agent, really signed slash commands, the
 * Slack stand-in.
 */
const ADMIN_TOKEN = "enroll-slack-admin-token-6f1c2a9e4b7d0358";
const CODE = /\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b/;

let plane: SlackPlane;

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "enroll-slack",
    authz: { actions: { enroll: { users: ["U0ENROLLER"] } } },
    config: { adminToken: ADMIN_TOKEN },
  });
}, 90_000);

afterAll(async () => {
  await plane?.close();
});

async function clawops(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", CLAWOPS_DATA_DIR: plane.dir };
  for (const name of ["CLAWOPS_URL", "CLAWOPS_PORT", "CLAWOPS_ADMIN_TOKEN"]) delete base[name];
  const r = await runNode(CLI, ["--server", plane.cp.url, ...args], { ...base, ...env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

async function enrollWith(code: string, host: string): Promise<number> {
  const res = await fetch(`${plane.cp.url}/api/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, host, publicKey: plane.identity.publicKey }),
  });
  return res.status;
}

describe("/openclaw enroll in Slack", () => {
  it("gives an allowed user the code and the install command, only to them, and audits it", async () => {
    const responseUrl = plane.slack.responseUrl("enroll-1");
    const before = plane.slack.responses.length;
    const { status, body } = await plane.slash("U0ENROLLER", "enroll node-21", "C0OPS", { response_url: responseUrl });
    expect(status).toBe(200);
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain(
      "Issuing a one-time enrollment code for node-21: it comes here in a moment, only to you",
    );
    expect(JSON.stringify(body)).not.toMatch(CODE);

    await plane.slack.waitFor(() => plane.slack.responses.length > before, 60_000, "the code at the response_url");
    const answer = plane.slack.responses[before];
    expect(answer?.path).toBe(new URL(responseUrl).pathname);
    expect(answer?.body.response_type).toBe("ephemeral");
    const text = String(answer?.body.text);
    const code = CODE.exec(text)?.[0] ?? "";
    expect(text).toContain(`Enrollment code for node-21: ${code} (one use, expires in 15 min).`);
    expect(text).toContain(`curl -fsSL ${plane.cp.url}/agent/install.sh | sh -s -- --host node-21 --code ${code}`);
    // Never in a channel: no message the bot posted carries it.
    expect(JSON.stringify(plane.slack.calls)).not.toContain(code);

    const audit = await plane.cp.deps.recovery.store.listAudit({ host: "node-21", order: "asc" });
    expect(audit.map((e) => [e.actor, e.action, e.outcome])).toEqual([
      ["U0ENROLLER", "command", "ok"],
      ["U0ENROLLER", "enroll", "ok"],
    ]);
    expect(JSON.stringify(audit)).not.toContain(code);
    // The code is the real thing: an agent enrolls with it, once.
    expect(await enrollWith(code, "node-21")).toBe(200);
    expect(await enrollWith(code, "node-21")).toBe(403);
  }, 90_000);

  it("refuses a user the authorization file does not allow, issuing nothing", async () => {
    const before = plane.slack.responses.length;
    const { body } = await plane.slash("U0STRANGER", "enroll node-22", "C0OPS", {
      response_url: plane.slack.responseUrl("enroll-2"),
    });
    expect(body.text).toMatch(/not allowed|not authorized|may not/i);
    expect(JSON.stringify(body)).not.toMatch(CODE);
    await new Promise((r) => setTimeout(r, 300));
    expect(plane.slack.responses.length).toBe(before);
    const audit = await plane.cp.deps.recovery.store.listAudit({ host: "node-22", order: "asc" });
    expect(audit.map((e) => [e.actor, e.action, e.outcome])).toEqual([["U0STRANGER", "command", "refused"]]);
  });
});

describe("clawops enroll against a control plane that serves Slack", () => {
  it("with CLAWOPS_ADMIN_TOKEN prints the code and the install command (operator API), audited", async () => {
    const run = await clawops(["enroll", "node-23"], { CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    const code = CODE.exec(run.out)?.[0] ?? "";
    expect(run.out).toContain(`Enrollment code for node-23: ${code} (one use, expires in 15 min).`);
    expect(run.out).toContain(
      `\ncurl -fsSL ${plane.cp.url}/agent/install.sh | sh -s -- --host node-23 --code ${code}\n`,
    );
    expect(await enrollWith(code, "node-23")).toBe(200);
    const audit = await plane.cp.deps.recovery.store.listAudit({ host: "node-23", order: "asc" });
    expect(audit.map((e) => [e.actor, e.source, e.action])).toEqual([["admin-api", "system", "enroll"]]);
  }, 90_000);

  it("without the token says how to enroll; with a wrong one, that it was refused", async () => {
    const none = await clawops(["enroll", "node-24"], {});
    expect(none.code).toBe(3);
    expect(none.err).toBe(
      `clawops: clawops at ${plane.cp.url} does not serve the local console (Slack is configured): set CLAWOPS_ADMIN_TOKEN to the control plane's (or pass --env-file with its env file) to enroll through the operator API.\n`,
    );
    const wrong = await clawops(["enroll", "node-24"], { CLAWOPS_ADMIN_TOKEN: "not-the-token" });
    expect(wrong.code).toBe(3);
    expect(wrong.err).toBe("clawops: Send `Authorization: Bearer <CLAWOPS_ADMIN_TOKEN>`. (unauthorized, HTTP 401)\n");
    expect(await plane.cp.deps.recovery.store.listAudit({ host: "node-24" })).toEqual([]);
  });
});
