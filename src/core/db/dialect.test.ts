import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Generated } from 'kysely';
import { isolatedDatabase, targets, type IsolatedDatabase } from '../../testing/targets.js';
import { createDatabase, type Database, type Trx } from './database.js';
import type { TxConsequences } from '../outbox/outbox.js';
import { boolValue, columnTypes, dialectOf, forUpdate, lockKey, timestampParam, toIso, toIsoOrNull, typedDb, typedTrx, type Timestamp } from './dialect.js';

interface Tables {
  dialect_things: { id: Generated<number>; flag: boolean | number; at: Timestamp; gone_at: Timestamp | null };
}

describe.each(targets)('dialect helpers on %s', (target) => {
  let iso: IsolatedDatabase;
  let database: Database;

  beforeAll(async () => {
    iso = await isolatedDatabase(target);
    database = createDatabase({ url: iso.url, schema: iso.schema });
    const t = columnTypes(database.db);
    await database.db.schema
      .createTable('dialect_things')
      .addColumn('id', t.autoIncrement, (c) => c.primaryKey())
      .addColumn('flag', t.boolean, (c) => c.notNull())
      .addColumn('at', t.timestamp, (c) => c.notNull())
      .addColumn('gone_at', t.timestamp)
      .execute();
  });
  afterAll(async () => {
    await database.destroy();
    await iso.cleanup();
  });

  it('knows the dialect from the Kysely instance alone', () => {
    expect(dialectOf(database.db)).toBe(database.dialect);
    expect(columnTypes(database.dialect)).toEqual(columnTypes(database.db));
  });

  it('stores ISO timestamps that read back, order and compare as time', async () => {
    const db = typedDb<Tables>(database);
    const times = ['2026-03-01T10:00:00.000Z', '2025-12-31T23:59:59.999Z', '2026-03-01T09:00:00.000Z'];
    for (const at of times) await db.insertInto('dialect_things').values({ flag: boolValue(database.dialect, at > '2026'), at, gone_at: null }).execute();

    const rows = await db.selectFrom('dialect_things').select(['at', 'gone_at', 'flag']).orderBy('at').execute();
    expect(rows.map((r) => toIso(r.at))).toEqual([...times].sort());
    expect(rows.map((r) => toIsoOrNull(r.gone_at))).toEqual([null, null, null]);
    expect(rows.map((r) => Boolean(r.flag))).toEqual([false, true, true]);

    const before = await db
      .selectFrom('dialect_things')
      .select('at')
      .where(sql<boolean>`at < ${timestampParam(database.dialect, '2026-03-01T09:30:00.000Z')}`)
      .execute();
    expect(before.map((r) => toIso(r.at)).sort()).toEqual(['2025-12-31T23:59:59.999Z', '2026-03-01T09:00:00.000Z']);
  });

  it('locks rows and keys inside a transaction on either dialect', async () => {
    const count = await database.tx(async (trx) => {
      await lockKey(trx, database.dialect, 'dialect-test');
      const t = typedTrx<Tables>(trx);
      const rows = await t.selectFrom('dialect_things').select('id').$call(forUpdate(database.dialect)).execute();
      return rows.length;
    });
    expect(count).toBe(3);
  });
});

// Type-level check (tsc): typedTrx keeps what ctx.tx adds to the transaction.
export function keepsConsequences(trx: Trx & TxConsequences) {
  const t = typedTrx<Tables>(trx);
  return [t.selectFrom('dialect_things').select('id'), t.afterCommit(() => {})] as const;
}
