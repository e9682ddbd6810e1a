import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/adapters/http/app.ts";
import { SlackWebApiChat } from "../../src/adapters/slack/web-api.ts";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import { verifyArchive } from "../../src/core/bundles/archive.ts";
import { collectBundleOnRecoverFailure } from "../../src/core/bundles/bundle.ts";
import { scanText } from "../../src/core/bundles/scan.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import type { BundleServices } from "../../src/core/ports/bundles.ts";
import { type CoreDeps, capabilityOn } from "../../src/core/ports/deps.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../../src/core/ports/transport.ts";
import { makeBundleLab, SECRETS } from "../support/bundle-lab.ts";
import { type BundleStandIns, startBundleStandIns } from "../support/bundle-standins.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { collectingLogger, seedHost, testDeps } from "../support/harness.ts";
import { MemoryBlobStore } from "../support/memory-blob-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import type { SlackStandIn } from "../support/slack-standin.ts";
import type { GithubStandIn, JiraStandIn } from "../support/ticket-standins.ts";

/**
 * Repro bundles end to end in one process: the real `bundle.collect` probe (and the fast
 * triage probes) on a lab host with secrets planted in every source it reads, the control
 * plane's second scan, the zip and manifest, the Slack external upload flow against the
 * stand-in, and Jira/GitHub stand-ins.
 */

/** Runs jobs with the real agent probe code on the lab host (what the agent would send). */
class LabTransport implements HostTransport {
  loseAfterStep: string | null = null;
  async isOnline(): Promise<boolean> {
    return true;
  }
  async dispatch(_host: string, job: JobSpec, onProgress: (r: StepResult) => void): Promise<JobOutcome> {
    const ctx = resolveProbeContext(env, {
      procRoot: join(lab, "no-proc"),
      serviceUnitDirs: [],
      gatewayPortOverride: 1,
    });
    const results = await runSteps(ctx, job.steps, { deadlineMs: job.deadlineMs, onResult: onProgress });
    return { status: "done", results };
  }
}

const BOT_TOKEN = "xoxb-test-bot-token-0000";
let standIns: BundleStandIns;
let slack: SlackStandIn;
let jira: JiraStandIn;
let github: GithubStandIn;

function makeDeps(transport: HostTransport, services: Partial<BundleServices> = {}) {
  const logger = collectingLogger();
  const blobs = new MemoryBlobStore();
  let n = 0;
  const bundles = standIns.services({ blobs, retry: { attempts: 3, baseMs: 10 }, ...services });
  const store = new InMemoryStore();
  const deps = testDeps({
    store,
    transport,
    chat: new SlackWebApiChat({ token: BOT_TOKEN, apiUrl: slack.url, logger }),
    ids: { id: (p) => `${p}_${(++n).toString().padStart(6, "0")}${Math.random().toString(36).slice(2, 8)}` },
    logger,
    bundles: capabilityOn(bundles),
  });
  return { deps, blobs, logger, store, bundles };
}

const enroll = (store: InMemoryStore, name: string) => seedHost(store, name);

function everything(zip: Uint8Array): Record<string, string> {
  return Object.fromEntries(Object.entries(unzipSync(zip)).map(([k, v]) => [k, strFromU8(v)]));
}

let lab: string;
let env: Record<string, string>;
let logPath: string;

beforeAll(async () => {
  ({ dir: lab, env, logPath } = await makeBundleLab());
  standIns = await startBundleStandIns(BOT_TOKEN);
  ({ slack, jira, github } = standIns);
});

afterAll(async () => {
  await standIns.stop();
  await rm(lab, { recursive: true, force: true });
});

afterEach(() => {
  expect(slack.violations).toEqual([]);
  expect(jira.violations).toEqual([]);
  expect(github.violations).toEqual([]);
});

async function runCommand(deps: CoreDeps, text: string) {
  const reply = await handleCommand(deps, {
    text,
    user: "U123",
    channel: "C1",
    requestKey: `k-${Math.random()}`,
    source: "slack",
  });
  expect(reply.error).toBeUndefined();
  await reply.later?.();
  return reply;
}

describe("/openclaw bundle: secrets planted in every source", () => {
  it("no planted secret survives in any file, message, upload or ticket; manifest verifies", async () => {
    const { deps, blobs, logger, store } = makeDeps(new LabTransport());
    await enroll(store, "lab-1");
    await runCommand(deps, "bundle lab-1 --ticket OPS-12 --ticket acme/infra#7");

    // Slack: the external upload flow, in order, into the incident thread.
    const methods = slack.calls.map((c) => c.method);
    expect(methods).toContain("files.getUploadURLExternal");
    expect(methods.indexOf("upload")).toBeGreaterThan(methods.indexOf("files.getUploadURLExternal"));
    expect(methods.indexOf("files.completeUploadExternal")).toBeGreaterThan(methods.indexOf("upload"));
    const upload = [...slack.uploads.values()][0];
    expect(upload?.bytes).toBeTruthy();
    const zip = upload?.bytes as Uint8Array;
    const parent = slack.topLevel("C1")[0];
    expect(upload?.completed?.threadTs).toBe(parent?.ts);

    const { manifest, problems } = await verifyArchive(zip);
    expect(problems).toEqual([]);
    const files = everything(zip);
    expect(Object.keys(files).sort()).toEqual(
      expect.arrayContaining([
        "versions.json",
        "timeline.json",
        "config/openclaw.json",
        "env.txt",
        "cli/status-all.txt",
        "cli/gateway-status.json",
        "cli/doctor-lint.json",
        "logs/around-last-start.log",
        "logs/around-last-disconnect.log",
        "logs/policy-hits.log",
        "triage.json",
        "manifest.json",
        "redaction-report.json",
      ]),
    );
    // The same bytes went to Jira, and the blob store holds them.
    expect(jira.attachments).toHaveLength(1);
    expect(jira.attachments[0]?.issueKey).toBe("OPS-12");
    expect(Buffer.compare(Buffer.from(jira.attachments[0]?.bytes ?? []), Buffer.from(zip))).toBe(0);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]).toMatchObject({ repo: "acme/infra", issue: 7 });
    expect(github.comments[0]?.body).toContain("/bundles/");

    // Content a user checks: versions, timeline, session ids and policy lines kept.
    const versions = JSON.parse(files["versions.json"] ?? "{}");
    expect(versions.cli.version).toBe("2026.9.6");
    expect(versions.gatewayPackage.version).toBe("2026.9.6");
    const timeline = JSON.parse(files["timeline.json"] ?? "{}");
    expect(timeline.firstClose1000.at).toBe("2026-11-22T09:05:00.000Z");
    expect(timeline.changesBeforeFirstClose1000.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(["gateway-start", "token-rotation", "config-edit"]),
    );
    expect(timeline.closeCodes.map((c: { code: number }) => c.code)).toEqual([1000, 1008, 4001]);
    expect(
      timeline.events.some(
        (e: { kind: string; detail: string }) => e.kind === "upgrade" && e.detail.includes("2026.9.6"),
      ),
    ).toBe(true);
    expect(files["logs/policy-hits.log"]).toContain("dmPolicy denied");
    expect(files["logs/around-last-disconnect.log"]).toContain("session=agent:main:s42");
    // Binary junk in the log: replaced by a marker and the file says it is partial.
    expect(files["logs/around-last-disconnect.log"]).toContain("[binary data:");
    const disconnect = manifest.files.find((f) => f.name === "logs/around-last-disconnect.log");
    expect(disconnect?.complete).toBe(false);
    expect(disconnect?.reason).toContain("binary");

    // CLI output really ran and was redacted, not skipped.
    expect(files["cli/status-all.txt"]).toContain("# exit 0");
    expect(files["cli/status-all.txt"]).toContain("Authorization: Basic [REDACTED:basic-auth]");
    expect(files["cli/doctor-lint.json"]).toContain("# stderr");
    expect(files["config/openclaw.json"]).toContain('"mode": "token"');
    expect(files["env.txt"]).toContain("ANTHROPIC_API_KEY=[REDACTED:");

    // The redaction report names kinds and files, with counts.
    const report = JSON.parse(files["redaction-report.json"] ?? "{}");
    expect(report.total).toBeGreaterThan(10);
    expect(report.byFile.map((r: { file: string }) => r.file)).toEqual(
      expect.arrayContaining(["config/openclaw.json", "env.txt", "cli/status-all.txt", "logs/around-last-start.log"]),
    );
    expect(Object.keys(report.byKind)).toEqual(
      expect.arrayContaining(["known-secret", "private-key", "slack-token", "bearer", "basic-auth", "url-credentials"]),
    );

    // Not one planted secret anywhere: files, Slack calls, tickets, blob, log.
    const stored = (await blobs.get(`${manifest.bundleId}.zip`))?.bytes;
    expect(stored && Buffer.compare(Buffer.from(stored), Buffer.from(zip))).toBe(0);
    const haystacks = {
      ...files,
      slack: JSON.stringify(slack.calls),
      jira: jira.allText(),
      github: github.allText(),
      log: logger.text(),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} found in ${where}`).toBe(false);
      }
      expect(text).not.toContain("BEGIN PRIVATE KEY");
      // The control plane's own scan agrees.
      // (Ticket requests carry clawops' own credentials in their headers: scanned by body below.)
      if (where !== "jira" && where !== "github") expect(scanText(where, text)).toEqual([]);
    }

    for (const c of github.comments) expect(scanText("github comment", c.body)).toEqual([]);

    // The signed link downloads the same bytes; a tampered or expired one does not.
    const summary = slack.thread("C1", parent?.ts ?? "").find((m) => m.text.includes("Repro bundle"));
    const link = /(http:\/\/\S+\/bundles\/\S+)/.exec(summary?.text ?? "")?.[1] ?? "";
    expect(link).toContain("sig=");
    const app = createApp({ deps, runLater: () => {} });
    const path = link.replace("http://127.0.0.1:9", "http://x");
    const ok = await app.request(path);
    expect(ok.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await ok.arrayBuffer()), Buffer.from(zip))).toBe(0);
    // One hex digit of the signature changed (always to a different one): refused.
    const forged = path.replace(/sig=([0-9a-f])/, (_, d: string) => `sig=${d === "0" ? "1" : "0"}`);
    expect(forged).not.toBe(path);
    expect((await app.request(forged)).status).toBe(403);
    const later = createApp({
      deps: { ...deps, clock: { now: () => Date.now() + 700_000 } },
      runLater: () => {},
    });
    expect((await later.request(path)).status).toBe(403);
  }, 60_000);
});

describe("fail-closed and partial bundles", () => {
  it("second scan refuses a bundle the host failed to redact, and says why without quoting it", async () => {
    const leak = "sk-ant-api03-LEAKEDleakedLEAKEDleaked99";
    const transport = new FakeHostTransport().addHost("leaky", {
      results: [
        {
          step: "bundle.collect",
          status: "ok",
          durationMs: 5,
          data: {
            collectedAt: new Date().toISOString(),
            files: [{ name: "cli/status-all.txt", content: `provider key ${leak}\n`, complete: true }],
            redactions: [],
            skipped: [],
          },
        },
      ],
    });
    const { deps, blobs, store } = makeDeps(transport);
    await enroll(store, "leaky");
    const before = slack.calls.length;
    await runCommand(deps, "bundle leaky --ticket OPS-13");
    const calls = slack.calls.slice(before);
    expect(calls.map((c) => c.method)).not.toContain("files.getUploadURLExternal");
    expect(jira.attachments.some((a) => a.issueKey === "OPS-13")).toBe(false);
    const text = JSON.stringify(calls);
    expect(text).toContain("refused");
    expect(text).toContain("cli/status-all.txt");
    expect(text).toContain("provider-key");
    expect(text).not.toContain(leak);
    expect(await blobs.cleanup(Number.MAX_SAFE_INTEGER)).toBe(0);
    const job = (await store.listJobs({ host: "leaky" }))[0];
    expect(job?.status).toBe("rejected");
  });

  it("an agent that goes offline mid-collection gives a clear bundle marked incomplete", async () => {
    const transport = new FakeHostTransport().addHost("flaky", {
      results: [
        {
          result: {
            step: "versions",
            status: "ok",
            durationMs: 3,
            data: { agent: "0.1.0", openclaw: "2026.9.6", os: "Linux", node: "v24" },
          },
        },
        {
          // Still collecting when the connection drops: never arrives.
          delayMs: 10_000,
          result: {
            step: "bundle.collect",
            status: "ok",
            durationMs: 1,
            data: { collectedAt: new Date().toISOString(), files: [], redactions: [], skipped: [] },
          },
        },
      ],
      loseConnectionAfterMs: 50,
    });
    const { deps, store } = makeDeps(transport);
    await enroll(store, "flaky");
    const before = slack.uploads.size;
    await runCommand(deps, "bundle flaky");
    const upload = [...slack.uploads.values()][before];
    const zip = upload?.bytes as Uint8Array;
    const { manifest, problems } = await verifyArchive(zip);
    expect(problems).toEqual([]);
    expect(manifest.complete).toBe(false);
    expect(manifest.incomplete.join("\n")).toMatch(/connection lost/);
    expect(manifest.incomplete.join("\n")).toContain("bundle.collect: no result");
    const files = everything(zip);
    expect(files["MISSING.txt"]).toContain("did not arrive");
    expect(upload?.completed?.initialComment).toContain("INCOMPLETE");
  });

  it("large logs are bounded to the wire frame and the cut files say so", async () => {
    const big = Array.from(
      { length: 30_000 },
      (_, i) => `2026-11-22T08:${String(i % 60).padStart(2, "0")}:00.000Z [agent] line ${i} ${"x".repeat(40)}`,
    );
    await writeFile(
      logPath,
      `${big.join("\n")}\n2026-11-22T09:00:00.000Z [gateway] loading configuration…\n${big.join("\n")}\n`,
    );
    const ctx = resolveProbeContext(env, {
      procRoot: join(lab, "no-proc"),
      serviceUnitDirs: [],
      gatewayPortOverride: 1,
    });
    const [result] = await runSteps(
      ctx,
      [{ step: "bundle.collect", args: { maxBytes: 64 * 1024, contextLines: 1000 } }],
      {
        deadlineMs: 40_000,
      },
    );
    expect(result?.status).toBe("ok");
    const data = result?.step === "bundle.collect" ? result.data : undefined;
    expect(Buffer.byteLength(JSON.stringify(data?.files))).toBeLessThanOrEqual(64 * 1024);
    expect(data?.capped).toMatch(/cut to fit/);
    const start = data?.files.find((f) => f.name === "logs/around-last-start.log");
    expect(start?.complete).toBe(false);
    expect(start?.reason).toMatch(/transfer limit/);
  }, 60_000);

  it("is callable by the recover runbook when a recover run fails", async () => {
    const transport = new FakeHostTransport().addHost("rec", { results: [], loseConnectionAfterMs: 10 });
    const { deps, store } = makeDeps(transport);
    await enroll(store, "rec");
    const outcome = await collectBundleOnRecoverFailure(deps, {
      host: "rec",
      channel: "C1",
      user: "clawops",
      requestKey: "recover:run-1",
      reason: "gateway did not come back after restart",
    });
    expect(outcome.status).toBe("stored");
    const again = await collectBundleOnRecoverFailure(deps, {
      host: "rec",
      channel: "C1",
      user: "clawops",
      requestKey: "recover:run-1",
      reason: "same run",
    });
    expect(again.status).toBe("failed");
  });

  it("ticket failures are retried, reported in the thread, and the bundle is kept", async () => {
    const { deps, store, blobs } = makeDeps(
      new FakeHostTransport().addHost("tix", { results: [], loseConnectionAfterMs: 5 }),
    );
    await enroll(store, "tix");
    jira.failNext = 5;
    const before = slack.calls.length;
    const attemptsBefore = jira.requests.length;
    await runCommand(deps, "bundle tix --ticket OPS-99");
    jira.failNext = 0;
    expect(jira.requests.length - attemptsBefore).toBe(3);
    const text = JSON.stringify(slack.calls.slice(before));
    expect(text).toContain("OPS-99");
    expect(text).toContain("HTTP 503");
    expect(text).toContain("the bundle is kept");
    expect(await blobs.cleanup(Number.MAX_SAFE_INTEGER)).toBe(1);
  });

  it("tickets are configured per Slack workspace", async () => {
    const { deps, store } = makeDeps(
      new FakeHostTransport().addHost("ws2", { results: [], loseConnectionAfterMs: 5 }),
      {
        ticketsByWorkspace: {
          T0SECOND: { github: { apiUrl: github.url, token: "gh-app-token-xyz789", repo: "second/ops" } },
        },
      },
    );
    await enroll(store, "ws2");
    const refused = await handleCommand(deps, {
      text: "bundle ws2 --ticket OPS-5",
      user: "U1",
      channel: "C1",
      requestKey: "k-ws-1",
      source: "slack",
      workspace: "T0SECOND",
    });
    expect(refused.error?.code).toBe("ticket_not_configured");
    const before = github.comments.length;
    const reply = await handleCommand(deps, {
      text: "bundle ws2 --ticket #5",
      user: "U1",
      channel: "C1",
      requestKey: "k-ws-2",
      source: "slack",
      workspace: "T0SECOND",
    });
    expect(reply.error).toBeUndefined();
    await reply.later?.();
    expect(github.comments.slice(before).map((c) => `${c.repo}#${c.issue}`)).toEqual(["second/ops#5"]);
    // Another workspace falls back to the control plane's default repository.
    await runCommand(deps, "bundle ws2 --ticket #6");
    expect(github.comments.slice(before).map((c) => `${c.repo}#${c.issue}`)).toEqual(["second/ops#5", "acme/infra#6"]);
  });
});
