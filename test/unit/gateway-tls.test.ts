import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { GatewayTlsData, StepResult } from "../../src/contract/catalog.ts";
import { freePort } from "../support/ports.ts";

/**
 * `gateway.tls` on certificates `openssl` makes at test time, laid out as OpenClaw 2026.9.6 keeps
 * them (`gateway.tls.certPath`, else `<state dir>/gateway/tls/gateway-cert.pem`), and a node:tls
 * server on loopback standing in for the gateway's TLS listener (no real gateway is started).
 */
let lab: string;
let server: Server | undefined;
let port: number;

function openssl(dir: string, name: string, days: number, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-sha256",
      "-days",
      String(days),
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      `/CN=${cn}`,
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

async function writeConfig(tls: object): Promise<void> {
  await writeFile(join(lab, "state", "openclaw.json"), JSON.stringify({ gateway: { port, tls } }));
}

async function probe(): Promise<GatewayTlsData> {
  const ctx = resolveProbeContext(
    { HOME: join(lab, "home"), OPENCLAW_STATE_DIR: join(lab, "state"), PATH: "/usr/bin:/bin" },
    { agentVersion: "0.0.0-test", procRoot: join(lab, "no-proc"), serviceUnitDirs: [] },
  );
  const [r] = (await runSteps(ctx, [{ step: "gateway.tls", args: { timeoutMs: 2_000 } }], {
    deadlineMs: 5_000,
  })) as StepResult[];
  expect(r?.status, JSON.stringify(r?.error)).toBe("ok");
  return r?.data as GatewayTlsData;
}

beforeAll(async () => {
  lab = await mkdtemp(join(tmpdir(), "clawops-tls-"));
  await mkdir(join(lab, "state", "gateway", "tls"), { recursive: true });
  await mkdir(join(lab, "home"), { recursive: true });
  port = await freePort();
  // The served pair: OpenClaw's generated one (its subject, CN=openclaw-gateway), 10 days left.
  const served = openssl(join(lab, "state", "gateway", "tls"), "gateway", 10, "openclaw-gateway");
  const [cert, key] = await Promise.all([readFile(served.cert), readFile(served.key)]);
  server = createServer({ cert, key, minVersion: "TLSv1.3" }, (s) => s.end());
  await new Promise<void>((ok) => server?.listen(port, "127.0.0.1", ok));
});

afterAll(async () => {
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  await rm(lab, { recursive: true, force: true });
});

describe("gateway.tls", () => {
  it("TLS off: nothing read", async () => {
    await writeConfig({ enabled: false });
    expect(await probe()).toEqual({ enabled: false, certPath: null });
  });

  it("the generated pair: the file's facts, the served certificate, and that they match; never the PEM", async () => {
    await writeConfig({ enabled: true });
    const d = await probe();
    const pem = await readFile(join(lab, "state", "gateway", "tls", "gateway-cert.pem"), "utf8");
    const fingerprint = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256"], { input: pem })
      .toString()
      .trim()
      .replace(/^.*Fingerprint=/i, "");
    const notAfter = execFileSync("openssl", ["x509", "-noout", "-enddate"], { input: pem })
      .toString()
      .trim()
      .replace(/^notAfter=/, "");
    expect(d).toMatchObject({
      enabled: true,
      certSource: "generated",
      certPath: join(lab, "state", "gateway", "tls", "gateway-cert.pem"),
      servedMatchesFile: true,
    });
    expect(d.file?.fingerprint256).toBe(fingerprint);
    expect(d.file?.notAfter).toBe(new Date(notAfter).toISOString());
    expect(d.file).toMatchObject({ subjectCN: "openclaw-gateway", selfSigned: true });
    expect(d.served?.fingerprint256).toBe(fingerprint);
    const wire = JSON.stringify(d);
    expect(wire).not.toContain("BEGIN");
    expect(wire).not.toContain(pem.split("\n")[1] as string);
  });

  it("a renewed file the gateway does not serve yet: servedMatchesFile false, both dates", async () => {
    const renewed = openssl(lab, "renewed", 365, "gw.example.internal");
    await writeConfig({ enabled: true, certPath: renewed.cert });
    const d = await probe();
    expect(d.certSource).toBe("config");
    expect(d.file?.subjectCN).toBe("gw.example.internal");
    expect(d.servedMatchesFile).toBe(false);
    expect(Date.parse(d.file?.notAfter as string)).toBeGreaterThan(Date.parse(d.served?.notAfter as string));
  });

  it("a certificate file that is not a certificate: a clear error, the served one still read", async () => {
    const key = join(lab, "state", "gateway", "tls", "gateway-key.pem");
    await writeConfig({ enabled: true, certPath: key });
    const d = await probe();
    expect(d.file).toBeUndefined();
    expect(d.fileError).toMatch(new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not a certificate`));
    expect(JSON.stringify(d)).not.toContain("PRIVATE KEY");
    expect(d.served?.subjectCN).toBe("openclaw-gateway");
    expect(d.servedMatchesFile).toBeUndefined();
  });

  it("a missing file and nothing listening: each said, no crash", async () => {
    await server?.close();
    server = undefined;
    await writeConfig({ enabled: true, certPath: "~/nope/cert.pem" });
    const d = await probe();
    expect(d.fileError).toBe(`${join(lab, "home", "nope", "cert.pem")} does not exist`);
    expect(d.servedError).toMatch(/TLS handshake on port \d+ failed: .*ECONNREFUSED/);
  });
});
