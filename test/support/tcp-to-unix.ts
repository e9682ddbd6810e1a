/**
 * Run inside a netns (test/support/netns-bridge.ts): listens on <address>:<port> (127.0.0.1 by
 * default) and carries each connection to the Unix socket <path>, which a process outside the
 * netns serves.
 *
 *   node tcp-to-unix.ts <port> <path> [address]
 */
import { connect, createServer } from "node:net";

const [port, path, address = "127.0.0.1"] = process.argv.slice(2);
if (!port || !path) {
  process.stderr.write("usage: tcp-to-unix.ts <port> <path> [address]\n");
  process.exit(64);
}
createServer((inside) => {
  const outside = connect(path);
  inside.pipe(outside).pipe(inside);
  inside.on("error", () => outside.destroy());
  outside.on("error", () => inside.destroy());
}).listen(Number(port), address, () => process.stdout.write("bridge-up\n"));
