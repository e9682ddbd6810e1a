import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { CONSOLE_SECRET_FILE } from "./secret-file.mjs";

export { CONSOLE_SECRET_FILE, readConsoleSecret } from "./secret-file.mjs";

/**
 * The per-install console secret: made at first start (32 random bytes, base64url), kept in
 * the data folder with mode 0600 so only the account clawops runs as can read it. A file
 * found with looser permissions is tightened, and said so.
 */
export function loadOrCreateConsoleSecret(dataDir: string, warn: (message: string) => void = () => {}): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, CONSOLE_SECRET_FILE);
  try {
    writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const mode = statSync(path).mode & 0o777;
  if (mode !== 0o600) {
    chmodSync(path, 0o600);
    warn(`${path} was mode ${mode.toString(8)}; set to 600`);
  }
  const secret = readFileSync(path, "utf8").trim();
  if (secret.length < 32) throw new Error(`${path} does not hold a console secret; delete it and start again`);
  return secret;
}
