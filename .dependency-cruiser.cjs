/**
 * The layer rules of clawops (docs/architecture.md), checked in `npm test` (`npm run lint:layers`).
 * A violation fails the run with the rule's name and the import that broke it.
 *
 *   contract  the step catalog, wire frames, approval claims, SSM framing: shared by agent and control plane
 *   core      the domain, in four floors, each importing only itself and the floors below:
 *               base       root files, vocabulary, requests, messages, ports, classify, known-issues, audit, authz, paging
 *               plumbing   chat, hosts, jobs, hub, incidents
 *               workflows  triage, bundles, fleet, freezes, confirmations, recover, tickets, expiries, upgrade
 *               entries    commands, alerts, watch, router
 *             (folders on one floor never import each other around a loop: scripts/core-folders.ts)
 *   adapters  core's ports implemented for one outside system (Slack, SQL, HTTP, the console feed)
 *   node, worker  one runtime each: its wiring and runtime-only parts
 *   agent     the process on each gateway host
 *
 * Type-only imports count: a cycle through types still ties the modules' reading order together.
 */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "No import cycles anywhere in src: split the shared part into its own module.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "contract-is-self-contained",
      comment: "src/contract is what the agent and the control plane share: it imports nothing else of src.",
      severity: "error",
      from: { path: "^src/contract/" },
      to: { path: "^src/", pathNot: "^src/contract/" },
    },
    {
      name: "agent-imports-only-contract",
      comment: "The agent ships alone to every gateway host: it imports src/contract and itself only.",
      severity: "error",
      from: { path: "^src/agent/" },
      to: { path: "^src/", pathNot: "^src/(agent|contract)/" },
    },
    {
      name: "core-floor-base",
      comment:
        "core's base floor (the root files, vocabulary, requests, messages, ports, classify, known-issues, audit, authz, paging) holds types, ports and pure functions: it imports no higher floor (docs/architecture.md).",
      severity: "error",
      from: {
        path: "^src/core/([^/]+\\.ts$|(vocabulary|requests|messages|ports|classify|known-issues|audit|authz|paging)/)",
      },
      to: {
        path: "^src/core/(chat|hosts|jobs|hub|incidents|triage|bundles|fleet|freezes|confirmations|recover|tickets|expiries|upgrade|commands|alerts|watch|router)/",
      },
    },
    {
      name: "core-floor-plumbing",
      comment:
        "core's plumbing floor (chat, hosts, jobs, hub, incidents) imports the base floor and itself, never a workflow or an entry.",
      severity: "error",
      from: { path: "^src/core/(chat|hosts|jobs|hub|incidents)/" },
      to: {
        path: "^src/core/(triage|bundles|fleet|freezes|confirmations|recover|tickets|expiries|upgrade|commands|alerts|watch|router)/",
      },
    },
    {
      name: "core-floor-workflows",
      comment:
        "core's workflows (triage, bundles, fleet, freezes, confirmations, recover, tickets, expiries, upgrade) import the floors below them, never an entry.",
      severity: "error",
      from: { path: "^src/core/(triage|bundles|fleet|freezes|confirmations|recover|tickets|expiries|upgrade)/" },
      to: { path: "^src/core/(commands|alerts|watch|router)/" },
    },
    {
      name: "core-folder-on-a-floor",
      comment:
        "Every folder of src/core sits on one floor: add a new folder to the floor rules above (and to docs/architecture.md) before it imports anything.",
      severity: "error",
      from: {
        path: "^src/core/[^/]+/",
        pathNot:
          "^src/core/(vocabulary|requests|messages|ports|classify|known-issues|audit|authz|paging|chat|hosts|jobs|hub|incidents|triage|bundles|fleet|freezes|confirmations|recover|tickets|expiries|upgrade|commands|alerts|watch|router)/",
      },
      to: {},
    },
    {
      name: "core-imports-no-runtime",
      comment: "src/core runs unchanged on Node and in workerd: no node: or cloudflare: modules, no runtime folder.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^(node:|cloudflare:)|^src/(node|worker|agent)/" },
    },
    {
      name: "core-imports-no-node-builtin",
      comment: "src/core runs unchanged on Node and in workerd: no Node built-in modules.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "core-imports-no-adapter",
      comment: "src/core talks to the outside through its ports (src/core/ports/); adapters implement them.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/adapters/" },
    },
    {
      name: "adapters-import-no-runtime",
      comment: "An adapter is runtime-neutral: the Node and Worker wiring imports adapters, never the other way.",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: "^src/(node|worker|agent)/" },
    },
    {
      name: "runtimes-stay-apart",
      comment: "The Node and Worker runtimes share code through core and adapters, not through each other.",
      severity: "error",
      from: { path: "^src/(node|worker)/" },
      to: { path: "^src/(node|worker)/", pathNot: "^src/$1/" },
    },
    {
      name: "node-only-logging-and-metrics",
      comment:
        "pino and prom-client are the Node control plane's (src/node/logger.ts, metrics.ts): core, adapters, the Worker and the agent use the Logger and Metrics ports.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/node/" },
      to: { path: "node_modules/(pino|prom-client)/" },
    },
    {
      name: "src-imports-no-test",
      comment: "Fakes and stand-ins live in test/support and are never shipped.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^test/" },
    },
    {
      name: "no-unresolvable",
      comment: "Every import resolves to a file or an installed package.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: "^cloudflare:" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "types", "node", "default"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
