import { isSecretFieldName } from "./redact.ts";

/**
 * OpenClaw also reads `$OPENCLAW_STATE_DIR/.env` (GATEWAY-FACTS: "from the shell,
 * ~/.openclaw/.env, or launchctl env"), a frequent source of token drift, so a bundle shows
 * which names it sets. Values under a secret-looking name never leave; the rest go through
 * the usual text redaction like every bundle file.
 */
export const SECRET_ENV_NAME = /TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE|CREDENTIAL|AUTH|DSN/i;

export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name) || isSecretFieldName(name);
}

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*)$/;

export function maskDotenv(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const m = ASSIGNMENT.exec(line);
      if (!m) return line;
      const [, lead = "", name = "", eq = "", value = ""] = m;
      return isSecretEnvName(name) && value.trim() !== "" ? `${lead}${name}${eq}[REDACTED:secret-pair]` : line;
    })
    .join("\n");
}
