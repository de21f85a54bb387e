/**
 * Two modules subscribed to one event, shared by the outbox tests and the child processes they
 * spawn (replica.fixture.ts). Not a test file. Every successful handler run inserts a row into
 * test_effects — not idempotent on purpose, so rows count runs.
 */
import { defineModule } from '../module.js';

declare module '../events.js' {
  interface DomainEvents {
    'test.happened': { n: number; userId?: string };
  }
}

/** In-process hooks the handlers consult (tests reset them). */
export const hooks = {
  failFirst: 0,
  calls: 0,
  metas: [] as Array<{ eventId: string; occurredAt: string; key: string }>,
};

export const alpha = defineModule({
  name: 'alpha',
  migrations: {
    '0001_effects': {
      async up(db) {
        await db.schema
          .createTable('test_effects')
          .addColumn('handler', 'varchar(20)', (c) => c.notNull())
          .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('n', 'integer', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createTable('test_items').addColumn('id', 'varchar(64)', (c) => c.primaryKey()).execute();
      },
    },
  },
  jobs: {
    record: async (payload: { n: number }, ctx) => {
      await ctx.db.insertInto('test_effects').values({ handler: 'job', event_id: '-', n: payload.n, at: Date.now() }).execute();
    },
  },
  on: {
    'test.happened': async (e, ctx, meta) => {
      hooks.metas.push(meta);
      if (hooks.calls++ < hooks.failFirst) throw new Error(`flaky ${hooks.calls}`);
      await ctx.db.insertInto('test_effects').values({ handler: 'alpha', event_id: meta.eventId, n: e.n, at: Date.now() }).execute();
    },
  },
});

export const beta = defineModule({
  name: 'beta',
  dependsOn: ['alpha'],
  on: {
    'test.happened': async (e, ctx, meta) => {
      if (process.env.OUTBOX_HANG === 'beta') {
        // A crash test kills this process here: alpha finished, beta did not.
        process.stdout.write(`hang ${meta.eventId}\n`);
        await new Promise(() => {});
      }
      await ctx.db.insertInto('test_effects').values({ handler: 'beta', event_id: meta.eventId, n: e.n, at: Date.now() }).execute();
    },
  },
});
