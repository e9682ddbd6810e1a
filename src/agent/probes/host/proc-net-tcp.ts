/**
 * Parser for /proc/net/tcp and /proc/net/tcp6: which sockets listen on which port, by inode.
 * Pure, so the captured text of a real host is its test input.
 */
export type TcpSocket = {
  /** `127.0.0.1`, `::1`, `0.0.0.0`, `::`. */
  address: string;
  port: number;
  /** Kernel TCP state; 0x0A is LISTEN. */
  state: number;
  inode: number;
  uid: number;
};

export const TCP_LISTEN = 0x0a;

/**
 * `onlyState` (the agent asks for LISTEN sockets only) skips the other lines before their
 * addresses are decoded: on a busy host most lines are connections.
 */
export function parseProcNetTcp(text: string, onlyState?: number): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const state = cols[3];
    const uid = cols[7];
    const inode = cols[9];
    if (!local || !state || uid === undefined || inode === undefined) continue;
    if (onlyState !== undefined && Number.parseInt(state, 16) !== onlyState) continue;
    const [hexAddr, hexPort] = local.split(":");
    if (!hexAddr || !hexPort) continue;
    const address = decodeAddress(hexAddr);
    if (address === null) continue;
    sockets.push({
      address,
      port: Number.parseInt(hexPort, 16),
      state: Number.parseInt(state, 16),
      inode: Number(inode),
      uid: Number(uid),
    });
  }
  return sockets;
}

/** The kernel prints each 32-bit word of the address in host (little-endian) byte order. */
function decodeAddress(hex: string): string | null {
  if (hex.length === 8) return wordBytes(hex).join(".");
  if (hex.length !== 32) return null;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  // IPv4-mapped (::ffff:a.b.c.d) reads better in dotted form.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join(".")}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return compressIpv6(groups);
}

function wordBytes(word: string): number[] {
  const n = Number.parseInt(word, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function compressIpv6(groups: string[]): string {
  // Longest run of zero groups (length ≥ 2) becomes `::`.
  let best = { start: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  if (best.len < 2) return groups.join(":");
  const head = groups.slice(0, best.start).join(":");
  const tail = groups.slice(best.start + best.len).join(":");
  return `${head}::${tail}`;
}

/** `[::1]:19001` / `127.0.0.1:19001`, as `ss` and `openclaw gateway status` print them. */
export function formatHostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
