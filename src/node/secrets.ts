import type { GetParametersCommandOutput, SSMClient } from "@aws-sdk/client-ssm";
import { ClawopsError } from "../core/errors.ts";
import { NODE_SECRET_NAMES } from "./config/schema.ts";

/**
 * The secrets the Node control plane reads, from the environment or from SSM Parameter Store:
 * the variables its configuration marks secret (src/node/config/schema.ts).
 */
export const SECRET_NAMES = NODE_SECRET_NAMES;
export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Partial<Record<SecretName, string>>;

/**
 * Resolves each secret from the environment first; a secret the environment lacks is read from
 * Parameter Store at `<CLAWOPS_SSM_PARAMETER_PATH><NAME>` (a SecureString, fetched with
 * WithDecryption) when that variable is set. Values are returned, never logged: callers log only
 * which names came from where (`sources`).
 */
export async function resolveSecrets(
  env: Readonly<Record<string, string | undefined>>,
  ssm: () => SSMClient,
): Promise<{ secrets: Secrets; sources: Partial<Record<SecretName, "env" | "ssm">> }> {
  const secrets: Secrets = {};
  const sources: Partial<Record<SecretName, "env" | "ssm">> = {};
  for (const name of SECRET_NAMES) {
    const value = env[name];
    if (value) {
      secrets[name] = value;
      sources[name] = "env";
    }
  }
  const path = env.CLAWOPS_SSM_PARAMETER_PATH;
  const wanted = SECRET_NAMES.filter((n) => !secrets[n]);
  if (!path || wanted.length === 0) return { secrets, sources };
  if (!/^\/[A-Za-z0-9_.\-/]*\/$/.test(path)) {
    throw new ClawopsError(
      "bad_config",
      `CLAWOPS_SSM_PARAMETER_PATH must be a Parameter Store path that starts and ends with "/", e.g. /clawops/prod/.`,
    );
  }
  const names = wanted.map((n) => `${path}${n}`);
  let answer: GetParametersCommandOutput;
  try {
    // Loaded here, not at start: installs without Parameter Store never load the AWS SDK.
    const { GetParametersCommand } = await import("@aws-sdk/client-ssm");
    answer = await ssm().send(new GetParametersCommand({ Names: names, WithDecryption: true }));
  } catch (err) {
    const e = err as { name?: string; message?: string };
    throw new ClawopsError(
      "secrets_unavailable",
      `Reading secrets from Parameter Store under ${path} failed (${e.name ?? "Error"}: ${(e.message ?? "").slice(0, 200)}). Check the control plane's IAM policy (ssm:GetParameters on that path, kms:Decrypt) and AWS_REGION.`,
    );
  }
  for (const p of answer.Parameters ?? []) {
    const name = SECRET_NAMES.find((n) => p.Name === `${path}${n}`);
    if (!name || !p.Value) continue;
    if (p.Type !== "SecureString") {
      throw new ClawopsError(
        "bad_config",
        `Parameter ${p.Name} is a ${p.Type}, not a SecureString: store secrets encrypted (aws ssm put-parameter --type SecureString).`,
      );
    }
    secrets[name] = p.Value;
    sources[name] = "ssm";
  }
  return { secrets, sources };
}
