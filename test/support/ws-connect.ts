import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { parseArgs } from "node:util";
import WebSocket from "ws";

/**
 * One gateway handshake as a given client would make it, for faults the agent's own `cli`
 * probe cannot make (it sends no Origin and no device identity):
 *
 *   node ws-connect.ts <ws-url> [--origin URL] [--client-id ID] [--mode MODE] [--device]
 *
 * The token comes from CLAWOPS_WS_TOKEN (never argv). `--origin` sends a browser's Origin
 * header; `--device` signs the connect with a fresh Ed25519 device identity, as OpenClaw's own
 * client does (v3 payload `v3|deviceId|clientId|mode|role|scopes|signedAtMs|token|nonce|platform|`,
 * device id = sha256 of the raw public key). Waits for `connect.challenge`, sends `connect`,
 * and prints one JSON line: the `res` (ok or the gateway's error frame) and the close frame.
 * Run inside a netns (test/support/netns.ts) against a gateway that lives there.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    origin: { type: "string" },
    "client-id": { type: "string", default: "cli" },
    mode: { type: "string", default: "cli" },
    device: { type: "boolean", default: false },
  },
});
const url = positionals[0];
if (!url || positionals.length !== 1) {
  process.stderr.write("usage: ws-connect.ts <ws-url> [--origin URL] [--client-id ID] [--mode MODE] [--device]\n");
  process.exit(64);
}
const token = process.env.CLAWOPS_WS_TOKEN || undefined;
const clientId = values["client-id"];
const mode = values.mode;
const platform = "linux";
const role = "operator";
const scopes = ["operator.read"];

function deviceFor(nonce: string) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = (publicKey.export({ format: "jwk" }) as { x: string }).x; // raw key, base64url
  const id = createHash("sha256").update(Buffer.from(raw, "base64url")).digest("hex");
  const signedAt = Date.now();
  const payload = [
    "v3",
    id,
    clientId,
    mode,
    role,
    scopes.join(","),
    String(signedAt),
    token ?? "",
    nonce,
    platform,
    "",
  ];
  const signature = sign(null, Buffer.from(payload.join("|"), "utf8"), privateKey).toString("base64url");
  return { id, publicKey: raw, signature, signedAt, nonce };
}

const out: { challenged: boolean; ok?: boolean; error?: unknown; close?: { code: number; reason: string } } = {
  challenged: false,
};
const ws = new WebSocket(url, {
  ...(values.origin ? { headers: { origin: values.origin } } : {}),
  perMessageDeflate: false,
  handshakeTimeout: 10_000,
});
const timer = setTimeout(() => {
  out.error = { message: "no close within 20 s" };
  ws.terminate();
}, 20_000);
ws.on("message", (data) => {
  const frame = JSON.parse(String(data)) as {
    type?: string;
    event?: string;
    id?: string;
    ok?: boolean;
    error?: unknown;
    payload?: { nonce?: string };
  };
  if (frame.type === "event" && frame.event === "connect.challenge") {
    out.challenged = true;
    const nonce = frame.payload?.nonce ?? "";
    ws.send(
      JSON.stringify({
        type: "req",
        id: "probe-connect",
        method: "connect",
        params: {
          minProtocol: 4,
          maxProtocol: 4,
          client: { id: clientId, version: "0.0.0-test", platform, mode },
          role,
          scopes,
          caps: [],
          ...(token ? { auth: { token } } : {}),
          ...(values.device ? { device: deviceFor(nonce) } : {}),
          locale: "en-US",
          userAgent: "clawops-test/0.0.0",
        },
      }),
    );
  } else if (frame.type === "res" && frame.id === "probe-connect") {
    out.ok = frame.ok === true;
    if (frame.error) out.error = frame.error;
    if (frame.ok) ws.close(1000, "done");
  }
});
ws.on("close", (code, reason) => {
  clearTimeout(timer);
  out.close = { code, reason: reason.toString() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
});
ws.on("error", (err) => {
  out.error ??= { message: err.message };
});
