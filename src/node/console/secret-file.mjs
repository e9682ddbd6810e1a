// @ts-check
/** Reading the console secret, in plain JavaScript: the CLI reads it before it loads any TypeScript (src/node/cli/main.mjs). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Where the console secret lives in the data folder; the CLI reads it from there. */
export const CONSOLE_SECRET_FILE = "console-secret";

/**
 * The secret as the CLI finds it: null when this data folder has none (clawops never started here).
 * @param {string} dataDir
 * @returns {string | null}
 */
export function readConsoleSecret(dataDir) {
  try {
    const secret = readFileSync(join(dataDir, CONSOLE_SECRET_FILE), "utf8").trim();
    return secret.length >= 32 ? secret : null;
  } catch {
    return null;
  }
}
