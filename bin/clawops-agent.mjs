#!/usr/bin/env node
import "./require-node.mjs";

await import("../src/agent/main.ts");
