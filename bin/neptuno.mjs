#!/usr/bin/env node
// Runs the CLI from dist/ (plain JavaScript, built by `npm install`); rebuilds it first, in a
// fraction of a second, when a source file changed since the last build.
import { buildDist, distIsStale } from '../scripts/build.mjs';

if (distIsStale()) await buildDist();
await import('../dist/src/cli/main.js');
