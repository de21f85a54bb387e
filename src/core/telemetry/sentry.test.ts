import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { SentryReceiver } from '../../testing/sentry.js';
import { opsHooks, opsModule } from '../metrics/ops.fixture.js';
import { REDACTED, scrubEvent, scrubText, scrubValue } from './scrub.js';

type Event = Record<string, unknown> & { tags?: Record<string, unknown>; exception?: { values: Array<{ type: string; value: string }> } };
const tagsOf = (e: Record<string, unknown>) => (e as Event).tags ?? {};

describe('the scrubbing list', () => {
  it('redacts secret and personal keys at any depth, and credentials and emails inside any text', () => {
    const out = scrubValue({
      headers: { Authorization: 'Bearer abc', cookie: 'sid=1', 'x-api-key': 'k', 'user-agent': 'curl/8' },
      user_password: 'hunter2',
      nested: [{ email: 'ana@example.com', phone: '+57 300', card_number: '4111111111111111', body: { note: 'x' }, ok: 'fine' }],
      message: 'login failed for ana@example.com (password=hunter2) with Bearer abc.def and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
      url: 'postgres://app:s3cret@db:5432/app?sslmode=require',
      stripe: 'key sk_live_51HabcdefghijKLMNOP',
    }) as Record<string, unknown>;
    const text = JSON.stringify(out);
    for (const leaked of ['hunter2', 'ana@example.com', 'sid=1', 's3cret', 'sk_live_51', 'eyJhbGci', '4111111111111111', '+57 300', 'abc.def']) {
      expect(text).not.toContain(leaked);
    }
    expect(out.headers).toEqual({ Authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, 'user-agent': 'curl/8' });
    expect((out.nested as Array<Record<string, unknown>>)[0]).toMatchObject({ email: REDACTED, body: REDACTED, ok: 'fine' });
    expect(out.url).toBe('postgres://[redacted]@db:5432/app?sslmode=require');
    expect(scrubText('token: abc123 and secret=xyz')).toBe('token: [redacted] and secret=[redacted]');
  });

  it('keeps only the id of a user and the structure Sentry needs', () => {
    const event = scrubEvent({ event_id: 'a'.repeat(32), user: { id: 'u1', email: 'ana@example.com', ip_address: '1.2.3.4' }, exception: { values: [{ type: 'Error', value: 'x' }] } });
    expect(event.user).toEqual({ id: 'u1' });
    expect(event.event_id).toBe('a'.repeat(32));
    expect(event.exception).toEqual({ values: [{ type: 'Error', value: 'x' }] });
  });
});

describe.each(targets)('errors reach a Sentry-compatible receiver, scrubbed ($name)', { timeout: 60_000 }, (target) => {
  let receiver: SentryReceiver;
  let t: TestApp;
  beforeAll(async () => {
    receiver = await SentryReceiver.start();
    t = await createTestApp({ target, modules: [opsModule], workers: true, config: { sentry: { dsn: receiver.dsn('42', 'publickey'), release: 'v-test' } } });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('reports a 500 with request id, route template, actor kind and tenant; never cookies, tokens, the query or the body', async () => {
    const notFound = await t.app.inject({ method: 'GET', url: '/v1/ops/nothing-here' });
    expect(notFound.statusCode).toBe(404);
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/ops/boom?token=q-secret&email=ana@example.com',
      headers: { cookie: 'neptuno.session=cookie-secret', authorization: 'Bearer bearer-secret', 'x-test-tenant': 'acme', 'user-agent': 'ops-test/1.0' },
    });
    expect(res.statusCode).toBe(500);
    const requestId = res.headers['x-request-id'];
    const event = (await receiver.waitForEvent((e) => tagsOf(e).request_id === requestId)) as Event;
    expect(event.tags).toMatchObject({ kind: 'request', route: '/v1/ops/boom', method: 'GET', status: 500, actor_kind: 'user', tenant: 'acme' });
    expect(event).toMatchObject({ environment: 'test', release: 'v-test', transaction: 'GET /v1/ops/boom', platform: 'node' });
    expect(event.exception!.values[0]).toMatchObject({ type: 'Error' });
    expect(event.exception!.values[0].value).toContain('boom for [email]');
    expect(event.exception!.values[0].value).not.toContain('hunter2');
    expect((event.contexts as Record<string, unknown>).request).toEqual({
      method: 'GET',
      route: '/v1/ops/boom',
      path: '/v1/ops/boom',
      headers: { 'user-agent': 'ops-test/1.0' },
    });
    const envelope = receiver.envelopes.find((e) => e.raw.includes(String(requestId)))!;
    expect(envelope).toMatchObject({ project: '42', key: 'publickey' });
    expect(envelope.header).toMatchObject({ event_id: event.event_id });
    expect(envelope.items[0].header.type).toBe('event');
    for (const leaked of ['cookie-secret', 'bearer-secret', 'q-secret', 'ana@example.com', 'hunter2']) expect(envelope.raw).not.toContain(leaked);
    // The stack trace is there, parsed into frames.
    const frames = (event.exception!.values[0] as unknown as { stacktrace: { frames: Array<{ filename: string }> } }).stacktrace.frames;
    expect(frames.some((f) => f.filename.includes('ops.fixture'))).toBe(true);
    // 4xx are not errors to report.
    expect(receiver.events().filter((e) => tagsOf(e).kind === 'request')).toHaveLength(1);
  });

  it('reports a failed job with its name and attempt, and a failed event handler with its module and event', async () => {
    await t.ctx.queue.enqueue('ops.flaky', {}, { attempts: 1 });
    const job = await receiver.waitForEvent((e) => tagsOf(e).job === 'ops.flaky');
    expect(tagsOf(job)).toMatchObject({ kind: 'job', attempt: 1 });
    expect(job.transaction).toBe('job ops.flaky');

    opsHooks.handlerFails = 1;
    opsHooks.handlerCalls = 0;
    await t.ctx.tx(async (trx) => void trx.emit('ops.happened', { n: 1 }), { awaitDelivery: true });
    const handler = await receiver.waitForEvent((e) => tagsOf(e).kind === 'event');
    expect(tagsOf(handler)).toMatchObject({ module: 'ops', event: 'ops.happened' });
    expect((handler as Event).exception!.values[0].value).toBe('ops handler failed');
  });
});

describe('crashes', () => {
  it('reports an uncaught exception, scrubbed, then exits 1', { timeout: 90_000 }, async () => {
    const receiver = await SentryReceiver.start();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash.fixture.ts', import.meta.url))], {
        env: { ...process.env, SENTRY_DSN: receiver.dsn('7') },
        stdio: 'ignore',
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      const event = (await receiver.waitForEvent((e) => tagsOf(e).kind === 'crash')) as Event;
      expect(event.release).toBe('crash-test');
      expect(event.exception!.values[0].value).toBe('crashed while holding token=[redacted] for [email]');
      expect(receiver.envelopes[0].project).toBe('7');
    } finally {
      await receiver.close();
    }
  });
});
