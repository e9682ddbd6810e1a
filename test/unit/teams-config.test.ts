import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEAMS_VARS } from "../../src/adapters/teams/settings.ts";
import { parseAuthzConfig } from "../../src/core/authz/authz.ts";
import { controlPlaneSettings, loadNodeConfig } from "../../src/node/config/load.ts";
import { NODE_VARS } from "../../src/node/config/schema.ts";
import { configText } from "../../src/node/config/show.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { WORKER_VARS } from "../../src/worker/env-vars.ts";
import { freePort, quietLogger } from "../support/harness.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";
import { TeamsStandIn } from "../support/teams-standin.ts";

/**
 * Microsoft Teams' settings (issue 43): on when the app id, password and tenant are set, on Node
 * and Workers alike; some but not all is a problem naming what to set; `clawops config` shows
 * them, the password masked; the authorization file takes `teams:` ids; and the Node start
 * serves `POST /teams/messages`, proof first.
 */
const APP_ID = "0a1b2c3d-0000-4000-8000-00000000b07a";
const PASSWORD = "teams-secret-app-password-value";
const TENANT = "7e7e7e7e-0000-4000-8000-0000000000aa";

describe("Teams settings", () => {
  it("all three set: Teams is on with Microsoft's public-cloud URLs, the console off, the password masked", async () => {
    const loaded = await loadNodeConfig({
      MICROSOFT_APP_ID: APP_ID,
      MICROSOFT_APP_PASSWORD: PASSWORD,
      MICROSOFT_APP_TENANT_ID: TENANT,
    });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    const settings = controlPlaneSettings(loaded.config, quietLogger);
    expect(settings.teams).toEqual({
      appId: APP_ID,
      appPassword: PASSWORD,
      tenantId: TENANT,
      openIdMetadataUrl: "https://login.botframework.com/v1/.well-known/openidconfiguration",
      loginUrl: "https://login.microsoftonline.com",
      serviceUrl: "https://smba.trafficmanager.net/teams/",
    });
    expect(settings.console).toBe(false);
    const text = configText(loaded);
    expect(text).toContain("\nMicrosoft Teams\n");
    expect(text).toContain("Chats on: Microsoft Teams.");
    expect(text).not.toContain(PASSWORD);
  });

  it("some but not all set, or an app id that is not a GUID, is a problem naming the variable and never the password", async () => {
    const partial = await loadNodeConfig({ MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: PASSWORD });
    const problems = partial.ok ? "" : partial.problems.join("\n");
    expect(problems).toContain("MICROSOFT_APP_TENANT_ID is not set");
    expect(problems).not.toContain(PASSWORD);
    const bad = await loadNodeConfig({
      MICROSOFT_APP_ID: "clawops",
      MICROSOFT_APP_PASSWORD: PASSWORD,
      MICROSOFT_APP_TENANT_ID: TENANT,
    });
    expect(bad.ok ? "" : bad.problems.join("\n")).toContain("MICROSOFT_APP_ID is not a GUID");
  });

  it("the Worker reads the same table", () => {
    for (const [name, spec] of Object.entries(TEAMS_VARS)) {
      expect(WORKER_VARS[name as keyof typeof WORKER_VARS]).toBe(spec);
      expect(NODE_VARS[name as keyof typeof NODE_VARS]).toBe(spec);
    }
  });

  it("the authorization file takes teams:<Entra object id> users and teams:<conversation> channels, and refuses a malformed one", () => {
    const config = parseAuthzConfig(
      {
        actions: {
          freeze: {
            users: ["U0LEAD", "teams:11111111-2222-4333-8444-555555555555"],
            channels: ["teams:19:0123456789abcdef@thread.tacv2"],
          },
        },
      },
      "authz.json",
    );
    expect(config.actions.freeze?.users).toContain("teams:11111111-2222-4333-8444-555555555555");
    expect(() => parseAuthzConfig({ actions: { freeze: { users: ["teams:alice"] } } }, "authz.json")).toThrow(
      /teams:<Entra object id>/,
    );
  });
});

describe("docs/teams.md", () => {
  it("names every Teams setting and the route, and links the configuration section that exists", () => {
    const page = readFileSync("docs/teams.md", "utf8");
    for (const name of Object.keys(TEAMS_VARS)) expect(page).toContain(`\`${name}\``);
    expect(page).toContain("/teams/messages");
    expect(page).toContain("configuration.md#microsoft-teams");
    expect(readFileSync("docs/configuration.md", "utf8")).toContain("\n### Microsoft Teams\n");
  });
});

describe("Teams on the Node control plane", () => {
  let ms: TeamsStandIn;
  let plane: NodePlane;
  let cp: ControlPlane;

  beforeAll(async () => {
    ms = new TeamsStandIn({ appId: APP_ID, appPassword: PASSWORD, tenantId: TENANT });
    await ms.start();
    plane = await startNodePlane({
      name: "teams-node",
      config: {
        port: await freePort(),
        console: false,
        teams: {
          appId: APP_ID,
          appPassword: PASSWORD,
          tenantId: TENANT,
          openIdMetadataUrl: ms.metadataUrl,
          loginUrl: ms.loginUrl,
          serviceUrl: ms.serviceUrl,
        },
        watch: { intervalMs: 0 },
      },
    });
    cp = plane.cp;
  });

  afterAll(async () => {
    await plane?.close();
    await ms?.stop();
  });

  it("serves POST /teams/messages from the start's wiring: `openclaw hosts` answered in reply, an unsigned one 401, no console", async () => {
    const channel = "19:0123456789abcdef0123456789abcdef@thread.tacv2";
    const { post, activity } = ms.userMessage(channel, "<at>clawops</at> hosts");
    const headers = { "content-type": "application/json" };
    const unsigned = await fetch(`${cp.url}/teams/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify(activity),
    });
    expect(unsigned.status).toBe(401);
    const ok = await fetch(`${cp.url}/teams/messages`, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${await ms.token()}` },
      body: JSON.stringify(activity),
    });
    expect(ok.status).toBe(200);
    await expect.poll(() => ms.botPosts(channel).filter((p) => p.root === post.id).length).toBe(1);
    expect(JSON.stringify(ms.botPosts(channel)[0]?.activity)).toContain("No hosts");
    expect((await fetch(`${cp.url}/console`)).status).toBe(404);
  });
});
