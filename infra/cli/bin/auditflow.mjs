#!/usr/bin/env node
// Installed entry point: the sources are TypeScript, loaded through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
