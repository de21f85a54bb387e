#!/usr/bin/env node
// npm create neptuno@latest my-campaign [-- --template retail --modules wallet,payments --yes --no-install]
import { parseArgs } from 'node:util';
import { runCreate } from './cli.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    template: { type: 'string', short: 't' },
    modules: { type: 'string', short: 'm' },
    yes: { type: 'boolean', short: 'y' },
    'no-install': { type: 'boolean' },
  },
});
try {
  await runCreate({ dir: positionals[0], template: values.template, modules: values.modules, yes: values.yes, install: !values['no-install'] });
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
