#!/usr/bin/env node
// Thin launcher: the agent is TypeScript run by Node >= 24 (native type stripping).
import "../src/agent/main.ts";
