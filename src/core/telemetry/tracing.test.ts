import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { OtlpReceiver, type ReceivedSpan } from '../../testing/otlp.js';
import { opsHooks, opsModule } from '../metrics/ops.fixture.js';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

describe.each(targets)('traces reach a local OTLP/HTTP receiver ($name)', { timeout: 90_000 }, (target) => {
  let receiver: OtlpReceiver;
  let t: TestApp;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    opsHooks.outgoingUrl = `${receiver.url}/ping`;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    t = await createTestApp({
      target,
      modules: [opsModule],
      workers: true,
      logger: pino({ level: 'info' }, sink),
      config: { tracing: { endpoint: receiver.url, serviceName: 'ops-test' } },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const childOf = (parent: ReceivedSpan, match: (s: ReceivedSpan) => boolean) => receiver.waitForSpan((s) => s.parentSpanId === parent.spanId && match(s));

  it('records a request span (following the caller\'s traceparent) with a child span per SQL statement', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await t.app.inject({ method: 'GET', url: '/v1/ops/count', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.statusCode).toBe(200);
    const request = await receiver.waitForSpan((s) => s.kind === SERVER && s.traceId === traceId);
    expect(request).toMatchObject({
      name: 'GET /v1/ops/count',
      parentSpanId: '00f067aa0ba902b7',
      service: 'ops-test',
      attributes: { 'http.route': '/v1/ops/count', 'http.request.method': 'GET', 'http.response.status_code': 200 },
    });
    const statement = await childOf(request, (s) => String(s.attributes['db.statement']).includes('neptuno_jobs'));
    expect(statement).toMatchObject({ kind: CLIENT, traceId, attributes: { 'db.system': target.name === 'sqlite' ? 'sqlite' : 'postgresql', 'db.operation': 'select' } });
  });

  it('records outgoing calls (fetch) under the request', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/ops/outgoing' })).json()).toEqual({ status: 200 });
    const request = await receiver.waitForSpan((s) => s.name === 'GET /v1/ops/outgoing');
    const call = await childOf(request, (s) => s.kind === CLIENT);
    expect(call.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.full': `${receiver.url}/ping`, 'http.response.status_code': 200 });
  });

  it('records each job run as a span of its own, with its statements under it', async () => {
    await t.ctx.queue.enqueue('ops.fine', {});
    const job = await receiver.waitForSpan((s) => s.name === 'job ops.fine');
    expect(job).toMatchObject({ kind: CONSUMER, parentSpanId: null, attributes: { 'neptuno.job.name': 'ops.fine', 'neptuno.job.attempt': 1 } });
  });

  it('puts the trace and span ids in the request\'s log lines', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/ops/boom' });
    expect(res.statusCode).toBe(500);
    const span = await receiver.waitForSpan((s) => s.name === 'GET /v1/ops/boom');
    expect(span.status).toBe(2);
    const line = lines.find((l) => l.msg === 'request failed' && l.requestId === res.headers['x-request-id']);
    expect(line).toMatchObject({ traceId: span.traceId, spanId: span.spanId });
  });
});
