import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toWsError } from "../../src/agent/probes/gateway-ws-client.ts";
import { STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import type { GatewayDescriptor } from "../support/gateway/descriptor.ts";
import { RealGateway } from "../support/gateway/gateway.ts";
import { ensureOpenclaw } from "../support/gateway/install.ts";
import { type Netns, openNetns } from "../support/netns.ts";
import {
  createNetnsLab,
  exitCode,
  NETNS_GATEWAY_PORT,
  type NetnsLab,
  spawnNetnsGateway,
  triageInNetns,
  type WsConnect,
  waitReady,
  wsConnect,
} from "../support/netns-gateway.ts";

/**
 * Faults a single loopback lab cannot make, produced live in a private network namespace
 * (`unshare -rn`): a SECOND real gateway (own HOME, state dir, config and file log) runs there,
 * so a `lan` bind reaches no real network, and the real agent runs its whole triage catalog
 * there too (`clawops-agent oneshot`). Never more than one netns gateway at a time (one test's,
 * or the lan-bound one two tests share), and no other of this file's: each netns lab copies the
 * gateway section of a lab that is set up and never started, so the file runs in the gateway-own
 * lane beside the shared gateway's lane. Each test (or group) kills the namespace's process
 * groups when it ends.
 */
let baseLab: RealGateway;
let gw: GatewayDescriptor;
let scratch: string;

/** The gateway's own refusal, as the agent's gateway.ws step records one, on otherwise healthy evidence. */
function classifyRefusal(url: string, h: WsConnect) {
  const d = healthyData();
  d.ws = {
    url,
    outcome: "rejected",
    challenged: h.challenged,
    tokenSource: "config",
    error: toWsError(h.error, "connect rejected"),
    ...(h.close ? { close: h.close } : {}),
  };
  return classifyResults(toResults(d), STEP_NAMES);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "clawops-netns-"));
  baseLab = await RealGateway.create(await ensureOpenclaw());
  gw = baseLab.describe();
});
afterAll(async () => {
  await baseLab?.dispose();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("live faults in a private network namespace", () => {
  it("gateway.bind=lan with gateway.auth.mode=none: exit 78, refusing-to-bind outranks gateway-down", async () => {
    let ns: Netns | undefined;
    try {
      ns = await openNetns();
      const lab = await createNetnsLab(gw, join(scratch, "bind"), (g) => ({
        ...g,
        bind: "lan",
        auth: { mode: "none" },
      }));
      const run = spawnNetnsGateway(ns, gw, lab);
      const code = await exitCode(run, 60_000);
      expect(code, run.output().slice(-2000)).toBe(78);
      expect(run.output()).toContain("Refusing to bind gateway to lan without auth");

      const { classification: c } = await triageInNetns(ns, gw, lab);
      const ids = c.findings.map((f) => f.id);
      expect(c.findings[0]?.id, JSON.stringify(ids)).toBe("refusing-to-bind");
      expect(c.findings[0]?.evidence.join("\n")).toContain("Refusing to bind gateway to lan without auth");
      expect(ids, JSON.stringify(c.findings.map((f) => [f.id, f.evidence]))).toContain("gateway-down");
      expect(ids.indexOf("refusing-to-bind")).toBeLessThan(ids.indexOf("gateway-down"));
    } finally {
      await ns?.close();
    }
  }, 240_000);

  // One lan-bound gateway, reached from 127.0.0.1 and from the namespace's own 10.77.0.1, for
  // the two refusals a gateway makes to a client it serves: by Origin, then by device pairing.
  describe("a gateway bound to lan with token auth", () => {
    let ns: Netns;
    let lab: NetnsLab;
    let token: string;
    beforeAll(async () => {
      ns = await openNetns(["10.77.0.1"]);
      token = `netns-${randomBytes(18).toString("hex")}`;
      lab = await createNetnsLab(gw, join(scratch, "lan"), (g) => ({
        ...g,
        bind: "lan",
        auth: { mode: "token", token },
      }));
      await waitReady(spawnNetnsGateway(ns, gw, lab), 90_000);
    }, 240_000);
    afterAll(async () => {
      await ns?.close();
    });

    it("a Control UI client from a disallowed Origin: the gateway's CONTROL_UI_ORIGIN_NOT_ALLOWED, then the agent's top finding; from an allowed one, device identity required", async () => {
      const ui = await wsConnect(ns, lab, `ws://127.0.0.1:${NETNS_GATEWAY_PORT}`, {
        origin: "https://evil.example",
        clientId: "openclaw-control-ui",
        mode: "webchat",
      });
      expect(ui.challenged).toBe(true);
      expect(ui.error?.details?.code).toBe("CONTROL_UI_ORIGIN_NOT_ALLOWED");
      expect(ui.error?.details?.reason).toBe("origin not allowed");
      expect(ui.close?.code).toBe(1008);

      const { classification: c, results } = await triageInNetns(ns, gw, lab);
      const log = await readFile(lab.fileLog, "utf8");
      expect(log).toMatch(/closed before connect .*origin=https:\/\/evil\.example/);
      expect(c.findings[0]?.id, JSON.stringify(c.findings.map((f) => f.id))).toBe("origin-not-allowed");
      expect(c.findings[0]?.evidence.join("\n")).toContain("origin=https://evil.example");
      expect(JSON.stringify(results)).not.toContain(token);

      // From an allowed Origin (the gateway's own host) the same client passes the origin check
      // and meets the next guard: a Control UI must bring a device identity.
      const sameOrigin = await wsConnect(ns, lab, `ws://127.0.0.1:${NETNS_GATEWAY_PORT}`, {
        origin: `http://127.0.0.1:${NETNS_GATEWAY_PORT}`,
        clientId: "openclaw-control-ui",
        mode: "webchat",
      });
      expect(sameOrigin.error?.details?.code, JSON.stringify(sameOrigin)).toBe("CONTROL_UI_DEVICE_IDENTITY_REQUIRED");
      expect(sameOrigin.close?.code).toBe(1008);
      const d = classifyRefusal(`ws://127.0.0.1:${NETNS_GATEWAY_PORT}`, sameOrigin);
      expect(d.findings[0]?.id).toBe("device-identity-required");
      expect(d.findings.map((f) => f.id)).not.toContain("origin-not-allowed");
    }, 240_000);

    it("a device-signed cli client from a non-loopback address: NOT_PAIRED / PAIRING_REQUIRED → pairing-required; the token-only cli probe is never asked to pair", async () => {
      const url = `ws://10.77.0.1:${NETNS_GATEWAY_PORT}`;

      // What the agent's gateway.ws probe sends (cli/cli, token, no device), from 10.77.0.1:
      // operator + shared token may skip the device identity, so there is nothing to pair.
      const tokenOnly = await wsConnect(ns, lab, url);
      expect(tokenOnly.ok, JSON.stringify(tokenOnly)).toBe(true);

      // The same client with a device identity it never paired: a remote device needs approval.
      const device = await wsConnect(ns, lab, url, { device: true });
      expect(device.ok).toBe(false);
      expect(device.error?.code).toBe("NOT_PAIRED");
      expect(device.error?.details?.code).toBe("PAIRING_REQUIRED");
      expect(device.error?.message).toMatch(/^pairing required/);
      expect(device.close?.code).toBe(1008);
      const c = classifyRefusal(url, device);
      expect(c.findings[0]?.id, JSON.stringify(device)).toBe("pairing-required");
      expect(c.findings.map((f) => f.id)).not.toContain("token-missing");
      expect(JSON.stringify(device)).not.toContain(token);

      // The same device from loopback is approved silently (why the shared lab cannot show it).
      const local = await wsConnect(ns, lab, `ws://127.0.0.1:${NETNS_GATEWAY_PORT}`, { device: true });
      expect(local.ok, JSON.stringify(local)).toBe(true);
    }, 240_000);
  });
});
