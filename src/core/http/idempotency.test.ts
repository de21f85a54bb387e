import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { problem } from './problem.js';
import { IDEMPOTENCY_TABLE, IdempotencyStore } from './idempotency-store.js';

/** Test-only switches the routes read: what the next execution does. */
const behaviour = { fail: null as null | 'server' | 'client', gate: null as null | { entered: () => void; release: Promise<void> } };

/** A module that opts in the way the guide says: `config: { idempotent: true }`. */
const orders = defineModule({
  name: 'idem-test',
  migrations: {
    '0001_orders': {
      async up(db) {
        await db.schema.createTable('idem_test_orders').addColumn('id', 'varchar(40)', (c) => c.primaryKey()).addColumn('item', 'varchar(100)', (c) => c.notNull()).execute();
      },
    },
  },
  start: (ctx) => {
    ctx.access.addResolver((req) => {
      const id = req.headers['x-test-user'];
      return typeof id === 'string' ? { type: 'user', id, role: 'user', tenantId: null, via: 'test' } : null;
    });
  },
  routes: (app, ctx) => {
    const Body = Type.Object({ item: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
    const execute = async (item: string, saveIn?: (trx: never, body: unknown) => Promise<void>) => {
      const gate = behaviour.gate;
      if (gate) {
        behaviour.gate = null;
        gate.entered();
        await gate.release;
      }
      const fail = behaviour.fail;
      behaviour.fail = null;
      if (fail === 'server') throw new Error('boom');
      if (fail === 'client') throw problem(409, 'conflict');
      return ctx.tx(async (trx) => {
        const order = { id: randomUUID(), item };
        await trx.insertInto('idem_test_orders').values(order).execute();
        await saveIn?.(trx as never, order);
        return order;
      });
    };
    app.post('/orders', { preHandler: ctx.access.requireActor, config: { idempotent: true }, schema: { body: Body } }, async (request, reply) => {
      const order = await execute(request.body.item);
      return reply.code(201).header('location', `/v1/idem-test/orders/${order.id}`).header('set-cookie', 'seen=1').send(order);
    });
    // Stores its answer inside its own transaction.
    app.post('/orders-tx', { preHandler: ctx.access.requireActor, config: { idempotent: true }, schema: { body: Body } }, async (request, reply) => {
      const order = await execute(request.body.item, (trx, body) => request.idempotency!.saveIn(trx, 201, body) as Promise<void>);
      return reply.code(201).send(order);
    });
  },
});

describe.each(targets)('Idempotency-Key on $name', (target) => {
  let t: TestApp;
  const post = (key: string | undefined, item: string, opts: { user?: string; url?: string; app?: TestApp } = {}) =>
    (opts.app ?? t).app.inject({
      method: 'POST',
      url: opts.url ?? '/v1/idem-test/orders',
      headers: { 'x-test-user': opts.user ?? 'ana', ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload: { item },
    });
  const executions = async (app = t) => Number((await app.ctx.db.selectFrom('idem_test_orders').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [orders] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('50 concurrent requests with one key execute once; each gets the first answer or 409 in progress', async () => {
    const before = await executions();
    const answers = await Promise.all(Array.from({ length: 50 }, () => post('concurrent-1', 'book')));
    const ok = answers.filter((a) => a.statusCode === 201);
    const busy = answers.filter((a) => a.statusCode === 409);
    expect(ok.length + busy.length).toBe(50);
    for (const b of busy) {
      expect(b.json()).toMatchObject({ code: 'idempotency_in_progress', status: 409 });
      expect(b.headers['retry-after']).toBe('1');
    }
    expect(new Set(ok.map((a) => a.body)).size).toBe(1);
    expect(await executions()).toBe(before + 1);
    const replay = await post('concurrent-1', 'book');
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(ok[0].body);
    expect(await executions()).toBe(before + 1);
  });

  it('replays status, body and the headers that matter, not cookies; other bodies or routes under the key get 422', async () => {
    const first = await post('order-2', 'pen');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post('order-2', 'pen');
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.headers['set-cookie']).toBeUndefined();
    const other = await post('order-2', 'ink', { user: 'ana' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    const otherRoute = await post('order-2', 'pen', { url: '/v1/idem-test/orders-tx' });
    expect(otherRoute.statusCode).toBe(422);
    // Spanish on request.
    const es = await t.app.inject({ method: 'POST', url: '/v1/idem-test/orders', headers: { 'x-test-user': 'ana', 'idempotency-key': 'order-2', 'accept-language': 'es' }, payload: { item: 'ink' } });
    expect(es.json().title).toBe('Idempotency-Key ya usada');
  });

  it('keys belong to their actor: the same key from another user is a new request', async () => {
    const a = await post('shared-key', 'cup', { user: 'ana' });
    const b = await post('shared-key', 'cup', { user: 'bob' });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().id).not.toBe(a.json().id);
  });

  it('refuses malformed keys with 400 before running anything', async () => {
    const before = await executions();
    for (const key of ['', ' x', 'x ', 'x'.repeat(256), 'clé']) {
      const res = await post(key, 'mug');
      expect(res.statusCode, JSON.stringify(key)).toBe(400);
      expect(res.json().code).toBe('invalid_idempotency_key');
    }
    expect(await executions()).toBe(before);
    expect((await post('k'.repeat(255), 'mug')).statusCode).toBe(201);
    expect((await post('with inner spaces ~!', 'mug')).statusCode).toBe(201);
  });

  it('does not keep 5xx or 4xx answers: a retry with the same key runs again', async () => {
    const before = await executions();
    behaviour.fail = 'server';
    expect((await post('flaky-1', 'hat')).statusCode).toBe(500);
    behaviour.fail = 'client';
    expect((await post('flaky-1', 'hat')).statusCode).toBe(409);
    const ok = await post('flaky-1', 'hat');
    expect(ok.statusCode).toBe(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
    expect(await executions()).toBe(before + 1);
    // Validation failures never claim the key.
    const invalid = await t.app.inject({ method: 'POST', url: '/v1/idem-test/orders', headers: { 'x-test-user': 'ana', 'idempotency-key': 'never-claimed' }, payload: { nope: 1 } });
    expect(invalid.statusCode).toBe(400);
    expect((await post('never-claimed', 'hat')).statusCode).toBe(201);
  });

  it('a first request whose lease ran out (its process died) is taken over; saveIn keeps the change exactly once', async () => {
    for (const url of ['/v1/idem-test/orders-tx']) {
      const before = await executions();
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      let release!: () => void;
      behaviour.gate = { entered, release: new Promise<void>((r) => (release = r)) };
      const first = post('lease-1', 'box', { url });
      await inside;
      expect((await post('lease-1', 'box', { url })).statusCode).toBe(409);
      // As if the first request's process had died: its lease runs out without renewal.
      await t.ctx.db.updateTable(IDEMPOTENCY_TABLE).set({ locked_until: 0 }).where('key', '=', 'lease-1').execute();
      const second = await post('lease-1', 'box', { url });
      expect(second.statusCode).toBe(201);
      release();
      // The stale first request lost its claim: its transaction rolls back instead of redeeming twice.
      const stale = await first;
      expect(stale.statusCode).toBe(409);
      expect(await executions()).toBe(before + 1);
      const replay = await post('lease-1', 'box', { url });
      expect(replay.json()).toEqual(second.json());
      expect(replay.headers['idempotent-replayed']).toBe('true');
    }
  });

  it('a replay after a restart (a new app on the same database) returns the stored answer', async () => {
    const first = await post('restart-1', 'lamp');
    const firstTx = await post('restart-2', 'lamp', { url: '/v1/idem-test/orders-tx' });
    const before = await executions();
    await t.neptuno.close();
    const restarted = await createTestApp({ target, modules: [orders], replicaOf: t });
    try {
      const replay = await post('restart-1', 'lamp', { app: restarted });
      expect(replay.statusCode).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toBe(first.body);
      const replayTx = await post('restart-2', 'lamp', { url: '/v1/idem-test/orders-tx', app: restarted });
      expect(replayTx.json()).toEqual(firstTx.json());
      expect(await executions(restarted)).toBe(before);
      // The OpenAPI operation declares the header.
      const doc = restarted.app.swagger() as { paths: Record<string, { post: { parameters?: { in: string; name: string }[] } }> };
      expect(doc.paths['/v1/idem-test/orders'].post.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key' }));
      // Expired keys are pruned (the kernel's hourly cron calls this).
      const store = new IdempotencyStore(restarted.ctx.database);
      expect(await store.prune(Date.now() + 25 * 3_600_000)).toBeGreaterThanOrEqual(2);
      expect((await post('restart-1', 'lamp', { app: restarted })).headers['idempotent-replayed']).toBeUndefined();
    } finally {
      await restarted.neptuno.close();
    }
  });
});
