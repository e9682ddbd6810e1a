import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { promisify } from "node:util";

/**
 * A TLS-terminating proxy on loopback in front of a plain-HTTP control plane, so a real agent can
 * enroll over `https://` and connect over `wss://` as real hosts do (their control plane sits
 * behind TLS): test/unit/agent-bundle.test.ts and `npm run bench -- --only agent-mem --tls`. Each
 * accepted TLS connection is piped byte for byte to the target's port; HTTP and the WebSocket
 * upgrade pass through untouched. The certificate is a throwaway one (`selfSignedCert`) in a temp
 * folder; `caFile` is what the agent trusts through NODE_EXTRA_CA_CERTS. `stop()` closes the
 * server and every connection and removes the folder.
 */
export interface TlsProxy {
  /** `https://127.0.0.1:<port>`: the server URL to enroll and run the agent with. */
  url: string;
  /** The self-signed certificate (PEM), for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** TLS connections accepted so far (handshake done): proof the agent came through the proxy. */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * A throwaway self-signed certificate (ECDSA P-256, one day, for `localhost` and `127.0.0.1`) made
 * with the `openssl` CLI in `dir`: the key and certificate files, PEM.
 */
export async function selfSignedCert(dir: string): Promise<{ keyFile: string; certFile: string }> {
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  await promisify(execFile)(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1"],
      ...["-keyout", keyFile, "-out", certFile],
    ],
    { timeout: 20_000 },
  );
  return { keyFile, certFile };
}

export async function startTlsProxy(target: { host: string; port: number }): Promise<TlsProxy> {
  const dir = mkdtempSync(join(tmpdir(), "clawops-tls-proxy-"));
  const sockets = new Set<Socket>();
  let accepted = 0;
  try {
    const { keyFile, certFile: caFile } = await selfSignedCert(dir);
    const server = createTlsServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (client) => {
      accepted++;
      const upstream = netConnect({ host: target.host, port: target.port });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.once("close", () => sockets.delete(s));
      }
      // Either side ending or failing ends the other: no half-open pair outlives its peer.
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.once("close", () => upstream.destroy());
      upstream.once("close", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    // A failed handshake (the agent not trusting the certificate) ends that connection only.
    server.on("tlsClientError", (_err, s) => s.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const port = (server.address() as { port: number }).port;
    return {
      url: `https://127.0.0.1:${port}`,
      caFile,
      connections: () => accepted,
      async stop() {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
