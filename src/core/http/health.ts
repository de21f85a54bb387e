import { Type } from 'typebox';
import type { App } from '../module.js';

export type HealthCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: HealthCheck): Promise<void> {
  return Promise.race([
    check(),
    new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref()),
  ]);
}

/** Liveness (the process answers) and readiness (every dependency answers, each named). */
export function installHealth(app: App, checks: Record<string, HealthCheck>) {
  app.get(
    '/health/live',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const Checks = Type.Record(Type.String(), Type.String());
  app.get(
    '/health/ready',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: database, Redis (when configured) and the job queue answer',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), checks: Checks }),
          503: Type.Object({
            type: Type.String(),
            title: Type.String(),
            status: Type.Integer(),
            code: Type.String(),
            detail: Type.String(),
            checks: Checks,
          }),
        },
      },
    },
    async (_req, reply) => {
      const names = Object.keys(checks);
      const results = await Promise.allSettled(names.map((n) => withTimeout(checks[n])));
      const out: Record<string, string> = {};
      const failing: string[] = [];
      results.forEach((r, i) => {
        out[names[i]] = r.status === 'fulfilled' ? 'ok' : `fail: ${(r.reason as Error)?.message ?? r.reason}`;
        if (r.status === 'rejected') failing.push(names[i]);
      });
      if (!failing.length) return { status: 'ok' as const, checks: out };
      return reply
        .code(503)
        .type('application/problem+json; charset=utf-8')
        .send({
          type: 'https://neptuno.dev/problems/not-ready',
          title: 'Not ready',
          status: 503,
          code: 'not_ready',
          detail: `Failing checks: ${failing.join(', ')}`,
          checks: out,
        });
    },
  );
}
