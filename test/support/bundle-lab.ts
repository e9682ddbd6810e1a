import { chmod, mkdir, mkdtemp, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SECRETS = {
  gatewayToken: "gwtok-9f8e7d6c5b4a3210ffee",
  gatewayPassword: "Gw-Passw0rd-XYZ123abc",
  anthropic: "sk-ant-api03-AAAAbbbbCCCCddddEEEEffff1234",
  openai: "sk-proj-ZZZZyyyyXXXXwwwwVVVV1234",
  slackBot: "xoxb-1234567890-abcdefghijkl-XYZ",
  slackApp: "xapp-1-A0123-456789-abcdef0123",
  bearer: "eyJhbGciOiJIUzI1NiJ9.bearerPayload123.sigPart456",
  basic: "dXNlcjpzM2NyZXQtcGFzcw==",
  urlPassword: "hunter2-S3cretPw",
  pemBody: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7plantedkey",
  deviceToken: "devtok-77aa88bb99cc00dd",
  githubToken: "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
} as const;

const PEM = `-----BEGIN PRIVATE KEY-----\n${SECRETS.pemBody}\nAAAABBBBCCCC\n-----END PRIVATE KEY-----`;

export type BundleLab = { dir: string; env: Record<string, string>; logPath: string };

/**
 * A gateway host for bundle tests: config, env, log and a stand-in `openclaw` executable, with
 * a known secret planted in every source `bundle.collect` reads.
 */
export async function makeBundleLab(): Promise<BundleLab> {
  const lab = await mkdtemp(join(tmpdir(), "clawops-bundle-"));
  const state = join(lab, "state");
  await mkdir(state, { recursive: true });
  const logPath = join(lab, "openclaw.log");
  await writeFile(
    join(state, "openclaw.json"),
    JSON.stringify({
      gateway: {
        mode: "local",
        port: 1,
        auth: { mode: "token", token: SECRETS.gatewayToken, password: SECRETS.gatewayPassword },
      },
      models: { providers: { anthropic: { apiKey: SECRETS.anthropic } } },
      proxy: { url: `https://admin:${SECRETS.urlPassword}@proxy.example/` },
      channels: { slack: { botToken: SECRETS.slackBot, appToken: SECRETS.slackApp } },
      logging: { file: logPath },
      agents: { defaults: { workspace: join(lab, "ws") } },
    }),
  );
  await writeFile(join(state, "openclaw.json.bak"), '{"gateway":{"mode":"local"}}');
  // The config was edited (token rotated) at 09:01:30, before the first close(1000) at 09:05.
  const edited = new Date("2026-11-22T09:01:30.000Z");
  await utimes(join(state, "openclaw.json"), edited, edited);
  const lines = [
    "2026-11-22T09:00:00.000Z [gateway] loading configuration…",
    "2026-11-22T09:00:07.000Z [gateway] ready",
    `2026-11-22T09:01:00.000Z [ws] request headers Authorization: Bearer ${SECRETS.bearer}`,
    `2026-11-22T09:02:00.000Z [reload] config hot reload applied (gateway.auth.token) token=${SECRETS.gatewayToken}`,
    "2026-11-22T09:02:01.000Z [ws] closed conn=aa code=4001 reason=gateway auth changed session=agent:main:main",
    "2026-11-22T09:03:00.000Z [ws] closed before connect conn=bb code=1008 reason=unauthorized phase=auth cause=unauthorized",
    "2026-11-22T09:03:30.000Z [policy] dmPolicy denied first payload session=agent:main:s42",
    `2026-11-22T09:04:00.000Z [slack] socket mode with ${SECRETS.slackApp} and ${SECRETS.slackBot}`,
    "\u0000\u0001\u0002binary\u0000junk\u0003\u0004\u0005\u0006\u0007",
    PEM,
    "2026-11-22T09:05:00.000Z [ws] gateway closed (1000) session=agent:main:s42",
  ];
  await writeFile(logPath, `${lines.join("\n")}\n`);
  // Laid out like an npm install: the launcher inside a package whose manifest names `openclaw`.
  await mkdir(join(lab, "pkg", "bin"), { recursive: true });
  await writeFile(join(lab, "pkg", "package.json"), JSON.stringify({ name: "openclaw", version: "2026.9.6" }));
  const bin = join(lab, "pkg", "bin", "openclaw");
  await writeFile(
    bin,
    `#!/bin/sh
case "$*" in
  "--version") echo "OpenClaw 2026.9.6 (eb377ac)" ;;
  "status --all") printf 'Gateway  ws://127.0.0.1:1\\nAuth header: Authorization: Basic ${SECRETS.basic}\\nOpenAI key ${SECRETS.openai}\\n' ;;
  "gateway status --json") printf '{"service":{"label":"openclaw-gateway"},"gateway":{"token":"${SECRETS.gatewayToken}"},"remote":"https://admin:${SECRETS.urlPassword}@gw.example"}\\n' ;;
  "doctor --lint --json") printf '{"ok":false,"findings":[{"checkId":"x","severity":"warning","message":"device deviceToken: ${SECRETS.deviceToken}"}],"deviceToken":"${SECRETS.deviceToken}"}\\n'; echo "stderr has ${SECRETS.githubToken}" >&2 ;;
  *) echo "unknown $*" >&2; exit 2 ;;
esac
`,
  );
  await chmod(bin, 0o755);
  const env = {
    HOME: lab,
    PATH: process.env.PATH ?? "",
    OPENCLAW_STATE_DIR: state,
    OPENCLAW_GATEWAY_TOKEN: SECRETS.gatewayToken,
    ANTHROPIC_API_KEY: SECRETS.anthropic,
    GITHUB_TOKEN: SECRETS.githubToken,
    OPENCLAW_PROXY_URL: `https://admin:${SECRETS.urlPassword}@proxy.example/`,
    CLAWOPS_OPENCLAW_BIN: bin,
  };
  return { dir: lab, env, logPath };
}
