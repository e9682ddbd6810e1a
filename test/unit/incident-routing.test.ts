import { describe, expect, it } from "vitest";
import { incidentChannelFor, parseIncidentRouting } from "../../src/core/incidents/routing.ts";

describe("incident routing (CLAWOPS_INCIDENT_CHANNEL, CLAWOPS_HOST_CHANNELS)", () => {
  const routing = parseIncidentRouting("C0DEFAULT", "tag:edge=C0EDGE, node-1*=C0NODE1X,node-*=C0NODES");

  it("sends a host to the first rule that matches, by tag or by name glob", () => {
    expect(incidentChannelFor(routing, { name: "node-3", tags: ["edge"] })).toBe("C0EDGE");
    expect(incidentChannelFor(routing, { name: "node-12" })).toBe("C0NODE1X");
    expect(incidentChannelFor(routing, { name: "node-3" })).toBe("C0NODES");
  });

  it("falls back to the default channel, and to nowhere without one", () => {
    expect(incidentChannelFor(routing, { name: "db-1" })).toBe("C0DEFAULT");
    expect(incidentChannelFor(parseIncidentRouting(undefined, "node-*=C0NODES"), { name: "db-1" })).toBeUndefined();
    expect(incidentChannelFor(undefined, { name: "db-1" })).toBeUndefined();
  });

  it("routes to another chat's channel as that chat names it", () => {
    const r = parseIncidentRouting(
      "C0DEFAULT",
      "tag:edge=discord:1234567890123456789,db-*=mattermost:4xp9fdt7pbgeddg6ch5ju8ijha,web-*=teams:19:abc123@thread.tacv2",
    );
    expect(incidentChannelFor(r, { name: "node-3", tags: ["edge"] })).toBe("discord:1234567890123456789");
    expect(incidentChannelFor(r, { name: "db-1" })).toBe("mattermost:4xp9fdt7pbgeddg6ch5ju8ijha");
    expect(incidentChannelFor(r, { name: "web-2" })).toBe("teams:19:abc123@thread.tacv2");
    expect(() => parseIncidentRouting(undefined, "node-*=discord:")).toThrow(/is not <host glob>=<channel id>/);
  });

  it("stops on a malformed entry and names it", () => {
    expect(() => parseIncidentRouting(undefined, "node-*:C0NODES")).toThrow(
      /"node-\*:C0NODES" is not <host glob>=<channel id>/,
    );
  });
});
