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

/**
 * `NAME=value` lines with a secret-looking name lose their value. A quoted value may span
 * lines (a PEM key in double quotes, as dotenv allows): every line up to the closing quote
 * goes with it, or a key body would be left behind without its BEGIN line.
 */
export function maskDotenv(text: string): string {
  const out: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const [, lead = "", name = "", eq = "", value = ""] = m;
    const quote = /^["'`]/.exec(value)?.[0];
    let end = i;
    if (quote && !value.slice(1).includes(quote)) {
      while (end + 1 < lines.length && !(lines[end + 1] ?? "").includes(quote)) end++;
      if (end + 1 < lines.length) end++;
    }
    if (isSecretEnvName(name) && value.trim() !== "") {
      out.push(`${lead}${name}${eq}[REDACTED:secret-pair]`);
    } else {
      out.push(...lines.slice(i, end + 1));
    }
    i = end;
  }
  return out.join("\n");
}
