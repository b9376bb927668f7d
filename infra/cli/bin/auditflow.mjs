#!/usr/bin/env node
// Installed entry point: the CLI as `pnpm build` compiles it (tsc -b into dist/), on plain node.
await import('../dist/main.js');
