import { DEFAULT_STEP_DEADLINE_MS, type GatewayStatusData } from "../../contract/catalog.ts";
import { ProbeError } from "./errors.ts";
import { execCommand } from "./exec.ts";
import { budget, type Probe } from "./probe.ts";
import { redactText } from "./redact.ts";

const STDERR_TAIL_CHARS = 1_500;

/**
 * The OpenClaw CLI's own view (`openclaw gateway status --json`): service manager, the port
 * as the CLI sees it, and its zero-scope probe. It takes 2.8–8.2 s (GATEWAY-FACTS §3), so it
 * runs under a hard timeout, in parallel with the fast probes.
 */
export const probeGatewayStatus: Probe<"gateway.status"> = async (ctx, args, run) => {
  const secrets = await run.readings.knownSecrets();
  const res = await execCommand(ctx.openclawBin, ["gateway", "status", "--json"], {
    env: { ...ctx.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeoutMs: budget(run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["gateway.status"]),
    signal: run.signal,
  });
  if (res.spawnError) {
    throw new ProbeError("cli_unavailable", `cannot run ${ctx.openclawBin}: ${res.spawnError.message}`);
  }
  const data: GatewayStatusData = { exitCode: res.exitCode, timedOut: res.timedOut };
  const stderr = res.stderr.trim();
  if (stderr) data.stderrTail = redactText(stderr.slice(-STDERR_TAIL_CHARS), secrets);
  if (res.timedOut || res.aborted) return data;
  const parsed = parseJsonOutput(res.stdout);
  if (parsed.ok) data.json = summarizeGatewayStatus(parsed.value);
  else data.parseError = parsed.error;
  return data;
};

/** stdout is one JSON document; tolerate a stray banner line before it. */
export function parseJsonOutput(stdout: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const text = stdout.trim();
  if (!text) return { ok: false, error: "no output on stdout" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (first) {
    const start = text.indexOf("{");
    const end = text.lastIndexOf("}");
    if (start > 0 && end > start) {
      try {
        return { ok: true, value: JSON.parse(text.slice(start, end + 1)) };
      } catch {
        // Fall through to the first error, which names the real problem.
      }
    }
    return { ok: false, error: `stdout is not JSON: ${(first as Error).message}` };
  }
}

/** The fields of `gateway status --json` the classifier reads; the rest stays on the host. */
export function summarizeGatewayStatus(raw: unknown): NonNullable<GatewayStatusData["json"]> {
  const root = record(raw);
  const service = record(root.service);
  const config = record(root.config);
  const gateway = record(root.gateway);
  const port = record(root.port);
  const rpc = record(root.rpc);
  const failure = record(rpc.connectFailure);
  const out: NonNullable<GatewayStatusData["json"]> = {};
  setString(out, "serviceLabel", service.label);
  if (typeof service.loaded === "boolean") out.serviceLoaded = service.loaded;
  setString(out, "runtimeStatus", record(service.runtime).status);
  setString(out, "portStatus", port.status);
  if (typeof rpc.ok === "boolean") out.rpcOk = rpc.ok;
  setString(out, "rpcCapability", rpc.capability);
  setString(out, "connectFailureKind", failure.kind);
  setString(out, "connectFailureDetailCode", failure.detailCode);
  setString(out, "rpcError", rpc.error);
  setString(out, "configCliPath", record(config.cli).path);
  setString(out, "configServicePath", record(config.daemon).path);
  // gateway.version is null when the CLI could not reach the gateway; rpc.server.version then too.
  setString(out, "gatewayVersion", gateway.version ?? record(rpc.server).version);
  if (Array.isArray(root.extraServices)) out.extraServices = root.extraServices.length;
  return out;
}

function setString<K extends string>(out: Partial<Record<K, unknown>>, key: K, value: unknown): void {
  if (typeof value === "string" && value !== "") out[key] = value;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
