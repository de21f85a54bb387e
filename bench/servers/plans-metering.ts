import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/core/app.js';
import { defineModule } from '../../src/core/module.js';
import { buildConfig } from '../../src/testing/app.js';
import { plans } from '../../src/modules/index.js';

// An authenticated GET on a module route, with the plans module's API-call metering on or off
// (BENCH_METERING=on|buffered|off): the cost of counting every call in the database, exactly.
const bench = defineModule({
  name: 'bench',
  start(ctx) {
    // `Authorization: Bench <userId>` is a user: no session lookup, so the difference is the meter.
    ctx.access.addResolver((req) => {
      const h = req.headers.authorization;
      return h?.startsWith('Bench ') ? { type: 'user', id: h.slice(6), role: 'user', tenantId: null, via: 'bench' } : null;
    });
  },
  routes(app, ctx) {
    app.get('/ping', { config: { scope: 'unscoped' }, preHandler: ctx.access.requireUser }, async () => ({ ok: true }));
  },
});
const modules = [plans, bench];
const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-'));
const { config, moduleConfigs } = buildConfig(
  {
    env: 'production',
    database: { url: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}` },
    redis: { url: process.env.BENCH_REDIS_URL ?? null },
    server: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
    modules: {
      plans: {
        apiCalls: { enabled: process.env.BENCH_METERING !== 'off', mode: process.env.BENCH_METERING === 'buffered' ? 'buffered' : 'exact' },
        plans: { pro: { names: { es: 'Pro', en: 'Pro' }, price: { amount: 2900, currency: 'USD' }, limits: { apiCallsPerMonth: 1_000_000_000 } } },
        defaultPlan: 'pro',
      },
    },
  },
  modules,
);
const app = await createApp({ config, moduleConfigs, modules, secret: 'bench-secret-bench-secret-bench-secret-01' });
const url = await app.listen();
console.log(`listening ${url}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
