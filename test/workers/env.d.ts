// Types for `cloudflare:workers` in the workerd tests: the bindings vitest.workers.config.ts
// sets, and the main module, so `exports.default.fetch` is typed.
declare namespace Cloudflare {
  interface Env {
    SLACK_SIGNING_SECRET: string;
    SLACK_BOT_TOKEN: string;
    SLACK_API_URL: string;
    /** The outbound recorder's read-back endpoint (GET lists, DELETE clears). */
    SLACK_STANDIN_CALLS_URL: string;
    CLAWOPS_AUTHZ: string;
    CLAWOPS_FREEZE_POLICY: string;
    CLAWOPS_INCIDENT_CHANNEL: string;
    CLAWOPS_FREEZE_WARN_MIN: string;
    CLAWOPS_PAGERDUTY_ROUTING_KEY: string;
    PAGERDUTY_EVENTS_URL: string;
    DISCORD_PUBLIC_KEY: string;
    DISCORD_APPLICATION_ID: string;
    DISCORD_API_URL: string;
    /** The private half of DISCORD_PUBLIC_KEY (PKCS#8, hex): the tests sign as Discord with it. */
    DISCORD_TEST_PRIVATE_KEY: string;
    MATTERMOST_URL: string;
    MATTERMOST_COMMAND_TOKEN: string;
    MICROSOFT_APP_ID: string;
    MICROSOFT_APP_TENANT_ID: string;
    TEAMS_SERVICE_URL: string;
    /** The private half of the Bot Framework key the stand-in publishes (PKCS#8 PEM): the tests sign connector tokens with it. */
    TEAMS_TEST_PRIVATE_KEY: string;
    /** Jira's webhook secret (X-Hub-Signature: sha256=…), issue 41. */
    JIRA_WEBHOOK_SECRET: string;
    JIRA_BASE_URL: string;
    WATCH_SHARDS: DurableObjectNamespace<import("../../src/worker/rpc.ts").WatchShardRpc>;
    DIRECTORY: DurableObjectNamespace<import("../../src/worker/rpc.ts").DirectoryRpc>;
    BUNDLES: R2Bucket;
    HOSTS: DurableObjectNamespace<import("../../src/worker/rpc.ts").HostAgentRpc>;
    FANOUT_SHARDS: DurableObjectNamespace<import("../../src/worker/rpc.ts").FanoutShardRpc>;
  }
  interface GlobalProps {
    mainModule: typeof import("../../src/worker/index.ts");
  }
}
