import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { LazyRequestLogger } from './request-logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('LazyRequestLogger', () => {
  it('writes lines with the request bindings, only at enabled levels', async () => {
    const { lines, logger } = capture();
    const log = new LazyRequestLogger(logger, { requestId: 'r-1' }, {});
    log.debug('hidden');
    log.info({ status: 200 }, 'request');
    log.error(new Error('boom'), 'failed');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ requestId: 'r-1', status: 200, msg: 'request', level: 30 });
    expect(lines[1]).toMatchObject({ requestId: 'r-1', msg: 'failed', level: 50 });
    expect((lines[1].err as { message: string }).message).toBe('boom');
    expect(log.bindings()).toEqual({ requestId: 'r-1' });
    expect(log.isLevelEnabled('debug')).toBe(false);
  });

  it('builds no pino child when nothing is logged', () => {
    const { logger } = capture();
    let children = 0;
    const parent = Object.create(logger, { child: { value: (...a: Parameters<typeof logger.child>) => (children++, logger.child(...a)) } });
    const log = new LazyRequestLogger(parent, { requestId: 'r-2' }, {});
    log.debug('below the level');
    expect(children).toBe(0);
    log.info('now');
    log.info('again');
    expect(children).toBe(1);
  });
});
