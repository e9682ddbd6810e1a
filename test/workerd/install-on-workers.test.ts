import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { freeLoopbackPort } from "../support/local-worker.ts";
import { killGroup } from "../support/netns.ts";
import { postSlashCommand, waitHostOnline } from "../support/slack-signing.ts";
import { startWorkerdPlane, type WorkerdPlane } from "../support/workerd-plane.ts";

/**
 * The Workers control plane serves the agent (issue 33, item 1; it answered 501 before):
 * wrangler.toml's build step writes the agent and its install files beside the Worker
 * (scripts/worker-assets.ts, [assets]), the operator API's enrollment answer carries the one
 * install command, and that command, run as printed (`--foreground`: no systemd here), downloads
 * the agent from workerd, checks its SHA-256, enrolls and runs it; it comes online and a signed
 * `/openclaw triage` gets its answer. Real workerd (wrangler's unstable_startWorker), real curl
 * and sh, the real agent; the agent's gateway does not exist.
 */
const SECRET = "workerd-install-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-workerd-install-bot-token";
const ADMIN_TOKEN = "workerd-install-admin-token-4a7c";
const HOST = "wk-install-1";
const CHANNEL = "C0WKINSTALL";

let plane: WorkerdPlane;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-wk-install-"));
  plane = await startWorkerdPlane({ name: "wk-install", secret: SECRET, botToken: BOT_TOKEN, adminToken: ADMIN_TOKEN });
}, 120_000);

afterAll(async () => {
  await plane?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("the install command from a Worker", () => {
  it("installs the agent the Worker serves, enrolls it, and the host answers a triage", async () => {
    const res = await plane.admin("/api/admin/enrollment-codes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ host: HOST }),
    });
    expect(res.status).toBe(200);
    const offer = (await res.json()) as { code: string; command: string; text: string };
    expect(offer.command).toBe(
      `curl -fsSL ${plane.url}/agent/install.sh | sh -s -- --host ${HOST} --code ${offer.code}`,
    );
    // Built with this Worker from the same sources (dist/worker-assets, written by the build step).
    const release = JSON.parse(
      readFileSync(new URL("../../dist/worker-assets/agent-files/release.json", import.meta.url), "utf8"),
    ) as { sha256: string };

    const home = join(work, "home");
    const opt = join(work, "opt");
    mkdirSync(home, { recursive: true });
    const install = spawn("sh", ["-c", `${offer.command} --foreground --prefix ${opt}`], {
      env: {
        PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: home,
        OPENCLAW_STATE_DIR: join(home, ".openclaw"),
        OPENCLAW_GATEWAY_PORT: String(await freeLoopbackPort()),
        CLAWOPS_OPENCLAW_BIN: join(home, "no-such-openclaw"),
      },
      cwd: home,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    install.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    try {
      await waitHostOnline(plane.url, SECRET, HOST, { timeoutMs: 90_000, describe: () => output });
      expect(output).toContain(`clawops-install: SHA-256 ${release.sha256} verified`);
      const { body } = await postSlashCommand(plane.url, SECRET, { text: `triage ${HOST}`, channel_id: CHANNEL });
      expect(body.text).toContain(`Triage of ${HOST} started`);
      const n = TRIAGE_STEPS.length;
      const texts = () => [...plane.slack.messages.values()].map((m) => m.text);
      await plane.slack.waitFor(
        () => texts().some((t) => new RegExp(`^Triage ${HOST}: \\d+ failing layers?`).test(t)),
        120_000,
        "the triage answer",
      );
      expect(texts().some((t) => t.includes(`Triage of ${HOST} finished: ${n}/${n} probes`))).toBe(true);
    } finally {
      killGroup(install, "SIGTERM");
      await new Promise((r) => (install.exitCode === null ? install.once("exit", r) : r(null)));
    }
  }, 300_000);
});
