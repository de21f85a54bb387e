import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/core/app.js';
import { buildConfig } from '../../src/testing/app.js';
import { builtinModules } from '../../src/modules/index.js';

// The real kernel with every module it ships and its default middleware: request id, helmet,
// CORS, cookies, problem handling, metrics and one JSON log line per request (to stdout).
const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-'));
const { config, moduleConfigs } = buildConfig(
  {
    env: 'production',
    database: { url: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}` },
    redis: { url: process.env.BENCH_REDIS_URL ?? null },
    server: { host: '127.0.0.1', port: 0 },
    log: { level: process.env.BENCH_LOG_LEVEL ?? 'info' },
  },
  builtinModules,
);
const app = await createApp({ config, moduleConfigs, modules: builtinModules, secret: 'bench-secret-bench-secret-bench-secret-01' });
const url = await app.listen();
console.log(`listening ${url}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
