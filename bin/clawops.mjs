#!/usr/bin/env node
import "./require-node.mjs";
import "./compile-cache.mjs";

await import("../src/node/cli/main.mjs");
