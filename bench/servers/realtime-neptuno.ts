// Neptuno under bench/realtime.ts: every shipped module (guests authenticate the clients) plus a
// bench module declaring the public channel `bench:shared`; the control port publishes through
// ctx.realtime.publish, exactly what a module does. SQLite in a temporary directory, or
// PostgreSQL + Redis when BENCH_DATABASE_URL / BENCH_REDIS_URL are set (replicas share a
// schema and key prefix).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/core/app.js';
import { defineModule } from '../../src/core/module.js';
import { buildConfig } from '../../src/testing/app.js';
import { builtinModules } from '../../src/modules/index.js';
import { startControl } from '../realtime/control.js';

const bench = defineModule({ name: 'bench', channels: [{ pattern: 'bench:shared', authorize: () => true }] });
const modules = [...builtinModules, bench];

const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-rt-'));
const { config, moduleConfigs } = buildConfig(
  {
    env: 'production',
    database: { url: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}` },
    redis: { url: process.env.BENCH_REDIS_URL ?? null, prefix: process.env.BENCH_REDIS_PREFIX ?? 'neptuno:' },
    server: { host: '127.0.0.1', port: 0 },
    log: { level: process.env.BENCH_LOG_LEVEL ?? 'info' },
    // Every client comes from 127.0.0.1: the per-IP limits would (rightly) stop the bench.
    realtime: { limits: { connectionsPerIp: 100_000, connectsPerMinutePerIp: 1_000_000 } },
    modules: { guests: { createPerIpPerHour: 0 } },
  },
  modules,
);
const app = await createApp({
  config,
  moduleConfigs,
  modules,
  secret: 'bench-secret-bench-secret-bench-secret-01',
  databaseSchema: process.env.BENCH_DATABASE_SCHEMA,
});
const url = await app.listen();
const control = await startControl((channel, data) => app.ctx.realtime.publish(channel, data));
console.log(`control ${control}`);
console.log(`listening ${url}`);
process.on('SIGTERM', () => void app.close().then(() => (rmSync(dir, { recursive: true, force: true }), process.exit(0))));
