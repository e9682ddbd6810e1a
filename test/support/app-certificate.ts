import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * An app registration's certificate as an operator makes one for a Teams bot (docs/teams.md):
 * RSA 2048, self-signed, one day, made with the `openssl` CLI at test time; its private key as
 * PKCS#8 PEM (what OpenSSL 3 writes) and its SHA-1 and SHA-256 thumbprints as `openssl x509
 * -fingerprint` prints them (colon-separated, upper case), as they would be copied.
 */
export interface AppCertificate {
  certificate: string;
  privateKey: string;
  sha1: string;
  sha256: string;
  /** The same key as PKCS#1 (`BEGIN RSA PRIVATE KEY`), a format clawops refuses with how to convert it. */
  pkcs1Key: string;
}

export async function makeAppCertificate(cn = "clawops-teams-bot"): Promise<AppCertificate> {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), "clawops-app-cert-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    await run(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        `/CN=${cn}`,
        "-days",
        "1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ],
      { timeout: 30_000 },
    );
    const fingerprint = async (alg: string) =>
      (await run("openssl", ["x509", "-in", certFile, "-noout", "-fingerprint", `-${alg}`])).stdout
        .split("=")[1]
        ?.trim() ?? "";
    const pkcs1Key = (await run("openssl", ["rsa", "-in", keyFile, "-traditional"])).stdout;
    return {
      certificate: readFileSync(certFile, "utf8"),
      privateKey: readFileSync(keyFile, "utf8"),
      sha1: await fingerprint("sha1"),
      sha256: await fingerprint("sha256"),
      pkcs1Key,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
