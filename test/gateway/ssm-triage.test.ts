import { userInfo } from "node:os";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRIAGE_STEP_NAMES, TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { TRIAGE_DEADLINE_MS } from "../../src/core/triage/triage.ts";
import { LAYERS } from "../../src/core/vocabulary/layers.ts";
import { SsmInventory } from "../../src/node/ssm-inventory.ts";
import { SsmTransport } from "../../src/node/ssm-transport.ts";
import { gatewayAtFileStart, type SharedGateway, sharedGateway } from "../support/gateway/control.ts";
import { quietLogger } from "../support/harness.ts";
import { REPO_ROOT, SsmStandIn } from "../support/ssm-standin.ts";

/**
 * The SSM path against a real OpenClaw gateway: the SSM stand-in runs the real document, whose
 * script runs the real agent one-shot beside the real gateway; the results come back through
 * the real SDK and are classified like results from the agent socket.
 */
const KEY = { accessKeyId: "AKIACLAWOPSGATEWAY01", secretAccessKey: "gateway-test-secret-key/0123456789abcdef" };
const REGION = "us-east-1";
const INSTANCE = "i-0a0b0c0d0e0f01234";
const quiet = quietLogger;

let gw: SharedGateway;
let ssm: SsmStandIn;
let client: SSMClient;
let transport: SsmTransport;

// The stopped gateway first (the file before it in the lane leaves it so: sequencer.ts), then the
// one start, for the healthy one.
gatewayAtFileStart("stopped");

beforeAll(async () => {
  gw = sharedGateway();
  ssm = new SsmStandIn({ ...KEY, region: REGION });
  ssm.instances.set(INSTANCE, {
    kind: "run",
    env: { ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin, CLAWOPS_HOME: REPO_ROOT },
  });
  await ssm.start();
  client = new SSMClient({ region: REGION, endpoint: ssm.url, credentials: KEY, maxAttempts: 1 });
  transport = new SsmTransport({
    client,
    inventory: SsmInventory.parse({ runAs: userInfo().username, hosts: [{ host: "lab-gw", instanceId: INSTANCE }] }),
    logger: quiet,
  });
});

afterAll(async () => {
  client?.destroy();
  await ssm?.stop();
});

describe("triage through SSM on a real gateway", () => {
  it("gateway down: the classifier ranks gateway-down first, as over the agent socket", async () => {
    await gw.stop();
    const outcome = await transport.dispatch(
      "lab-gw",
      { jobId: "job_ssm_gw_1", steps: TRIAGE_STEPS, deadlineMs: TRIAGE_DEADLINE_MS },
      () => {},
    );
    expect(outcome.status).toBe("done");
    if (outcome.status !== "done") return;
    const c12n = classifyResults(outcome.results, TRIAGE_STEP_NAMES);
    expect(c12n.findings[0]?.id).toBe("gateway-down");
  });

  it("healthy: every step comes back, no layer fails, and no token leaves the host", async () => {
    await gw.restoreHealthy();
    const outcome = await transport.dispatch(
      "lab-gw",
      { jobId: "job_ssm_gw_2", steps: TRIAGE_STEPS, deadlineMs: TRIAGE_DEADLINE_MS },
      () => {},
    );
    expect(outcome.status).toBe("done");
    if (outcome.status !== "done") return;
    expect(outcome.results.map((r) => r.step).sort()).toEqual([...TRIAGE_STEP_NAMES].sort());
    const ws = outcome.results.find((r) => r.step === "gateway.ws");
    expect(ws?.step === "gateway.ws" && ws.data?.outcome).toBe("hello-ok");
    const c12n = classifyResults(outcome.results, TRIAGE_STEP_NAMES);
    expect(LAYERS.filter((l) => c12n.matrix[l].status === "fail")).toEqual([]);
    for (const layer of ["process", "port", "transport", "auth", "config"] as const) {
      expect(c12n.matrix[layer].status, layer).toBe("ok");
    }
    // What crossed SSM (the raw stdout) and what was decoded carry no token.
    for (const inv of ssm.invocations) expect(inv.stdout.length).toBeLessThanOrEqual(24_000);
    expect(JSON.stringify(outcome.results)).not.toContain(gw.token);
  });
});
