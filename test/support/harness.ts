/**
 * The test harness: one import for the small things tests share (docs/testing.md, "The harness").
 *
 *   until(what, ms, probe)       poll until truthy (the Workers pool imports ./until.ts itself)
 *   freePort()                   a free loopback port
 *   quietLogger, collectingLogger()
 *   testDeps({...})              CoreDeps with working defaults, for core driven in process
 *   RecordingChat, RecordingJobs what was posted / which jobs were started, kept
 *   enrolledHost(name, at)       a host record as the incident tests keep one
 *   seedHost(store, name, over)  put an enrolled host in a store (key "x", seen now)
 *
 * The planes stay in their own files, so a unit test importing this does not load them:
 *   startSlackPlane       ./slack-plane.ts     a real Node control plane, the Slack stand-in, signed requests
 *   startGatewayPlane     ./gateway-plane.ts   the same on the shared real gateway with a real agent
 *   startWorkerdPlane     ./workerd-plane.ts   wrangler.toml's Worker in workerd (+ a real agent)
 *   startNodePlane        ./node-plane.ts      a Node control plane in this process, console on, no Slack
 *   startBundleStandIns   ./bundle-standins.ts the Slack, Jira and GitHub stand-ins and bundle services
 *   runNode, runProcess   ./run-node.ts        a process run to its end, both outputs kept
 *   SimAgents             ./sim-agents.ts      scripted agents doing the real handshake over real sockets
 *   connectScriptedAgent  test/workers/scripted-agent.ts   the same inside the Workers pool
 *
 * `npm run lint:tests` (scripts/lint-tests.ts) refuses a test that builds this wiring itself.
 */
export { type CollectingLogger, collectingLogger, type LogLine, quietLogger } from "./loggers.ts";
export { freePort } from "./ports.ts";
export { enrolledHost, RecordingChat, RecordingJobs, seedHost, testDeps } from "./test-deps.ts";
export { until } from "./until.ts";
