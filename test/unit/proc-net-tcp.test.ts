import { describe, expect, it } from "vitest";
import { parseLsofListeners, parseSsListeners } from "../../src/agent/probes/host/port-owners.ts";
import { formatHostPort, parseProcNetTcp, TCP_LISTEN } from "../../src/agent/probes/host/proc-net-tcp.ts";

// Shapes as the kernel prints them; port 0x4AA7 = 19111, the gateway listening on 127.0.0.1 and ::1.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 464 1 00000000ba8cb391 100 0 0 10 0
   1: 0100007F:4AA7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 88123 1 0000000000000000 100 0 0 10 0
   2: 0100007F:E1D4 0100007F:4AA7 01 00000000:00000000 00:00000000 00000000  1000        0 88200 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:4AA7 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 88124 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 999 1 0000000000000000 100 0 0 10 0
`;

describe("parseProcNetTcp", () => {
  it("decodes IPv4 sockets (little-endian words), state, uid and inode", () => {
    const sockets = parseProcNetTcp(TCP);
    expect(sockets).toHaveLength(3);
    expect(sockets[1]).toEqual({ address: "127.0.0.1", port: 19111, state: TCP_LISTEN, inode: 88123, uid: 0 });
    expect(sockets[0]).toMatchObject({ address: "0.0.0.0", port: 2024 });
    expect(sockets[2]).toMatchObject({ port: 57812, state: 1, uid: 1000 });
  });

  it("decodes IPv6 sockets, compressing zero runs", () => {
    const sockets = parseProcNetTcp(TCP6);
    expect(sockets.map((s) => [s.address, s.port, s.inode])).toEqual([
      ["::1", 19111, 88124],
      ["::", 8080, 777],
      ["::ffff:127.0.0.1", 80, 999],
    ]);
  });

  it("skips malformed lines", () => {
    expect(parseProcNetTcp("header\n\n garbage line\n 0: zz")).toEqual([]);
  });

  it("formats addresses like ss does", () => {
    expect(formatHostPort("::1", 19111)).toBe("[::1]:19111");
    expect(formatHostPort("127.0.0.1", 19111)).toBe("127.0.0.1:19111");
  });
});

describe("fallback listener parsers", () => {
  it("reads `ss -ltnpH`", () => {
    const text = `LISTEN 0      511    127.0.0.1:19001 0.0.0.0:* users:(("openclaw-gatewa",pid=28461,fd=67))
LISTEN 0      511        [::1]:19001    [::]:* users:(("openclaw-gatewa",pid=28461,fd=68))
LISTEN 0      128      0.0.0.0:19001 0.0.0.0:*
`;
    expect(parseSsListeners(text)).toEqual([
      { address: "127.0.0.1:19001", pid: 28461, command: "openclaw-gatewa" },
      { address: "[::1]:19001", pid: 28461, command: "openclaw-gatewa" },
      { address: "0.0.0.0:19001", pid: null, command: null },
    ]);
  });

  it("reads `lsof -F pcn`", () => {
    expect(parseLsofListeners("p812\ncopenclaw-gateway\nn127.0.0.1:19001\nn[::1]:19001\n")).toEqual([
      { address: "127.0.0.1:19001", pid: 812, command: "openclaw-gateway" },
      { address: "[::1]:19001", pid: 812, command: "openclaw-gateway" },
    ]);
  });
});
