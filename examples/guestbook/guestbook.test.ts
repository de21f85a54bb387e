import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, targets, type TestApp } from 'neptuno/testing';
import guestbook from './module.js';

describe.each(targets)('guestbook example module on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [guestbook], workers: true, config: { modules: { guestbook: { bannedWords: ['casino'] } } } });
  });
  afterAll(() => t?.close());

  const post = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/v1/guestbook/entries', payload });

  it('publishes an entry through its moderation job', async () => {
    const res = await post({ name: 'Ana', message: '¡Hola desde la feria!' });
    expect(res.statusCode).toBe(201);
    const { id, status } = res.json();
    expect(status).toBe('pending');
    await expect.poll(async () => (await t.app.inject(`/v1/guestbook/entries/${id}`)).json().status, { timeout: 5000 }).toBe('published');
    const list = (await t.app.inject('/v1/guestbook/entries?limit=10')).json();
    expect(list.data.map((e: { id: string }) => e.id)).toContain(id);
  });

  it('moderates once: a job delivered again changes nothing', async () => {
    const { id } = (await post({ name: 'Eva', message: 'hola' })).json();
    await expect.poll(async () => (await t.ctx.services.guestbook.get(id)).status, { timeout: 5000 }).toBe('published');
    await t.ctx.db.updateTable('guestbook_entries').set({ message: 'casino' }).where('id', '=', id).execute();
    await t.ctx.services.guestbook.moderate(id);
    expect((await t.ctx.services.guestbook.get(id)).status).toBe('published');
  });

  it('hides entries with a banned word from its yaml config', async () => {
    const { id } = (await post({ name: 'Bot', message: 'Gana en el CASINO' })).json();
    await expect.poll(async () => (await t.app.inject(`/v1/guestbook/entries/${id}`)).json().status, { timeout: 5000 }).toBe('hidden');
  });

  it('paginates with a cursor and rejects a forged one', async () => {
    for (let i = 0; i < 3; i++) await post({ name: `P${i}`, message: `m${i}` });
    await expect.poll(async () => (await t.app.inject('/v1/guestbook/entries?limit=100')).json().data.length, { timeout: 5000 }).toBe(5);
    const first = (await t.app.inject('/v1/guestbook/entries?limit=3')).json();
    expect(first.data).toHaveLength(3);
    const second = (await t.app.inject(`/v1/guestbook/entries?limit=3&cursor=${first.nextCursor}`)).json();
    expect(second.data).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.data, ...second.data].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(5);
    const forged = await t.app.inject('/v1/guestbook/entries?cursor=bm9wZQ');
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('invalid_cursor');
    expect((await t.app.inject('/v1/guestbook/entries?limit=101')).statusCode).toBe(400);
  });

  it('rejects bad input with field errors and stores nothing', async () => {
    const res = await post({ name: 'x\u0007', message: '' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.length).toBeGreaterThanOrEqual(2);
    const missing = await t.app.inject('/v1/guestbook/entries/3f1c1d57-9d4a-4a8e-8f59-4b8e9d2b7a11');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('entry_not_found');
  });
});
