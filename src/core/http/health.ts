import { Type } from 'typebox';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { App } from '../module.js';

export type HealthCheck = () => Promise<void>;

export interface HealthCheckOptions {
  /**
   * true (default): readiness fails while this check fails (the database, Redis, storage).
   * false: reported as `degraded` only (SMTP, payment providers): a load balancer must not take
   * every replica out because a third party is down.
   */
  critical?: boolean;
}

class CheckTimeout extends Error {
  constructor() {
    super('timed out');
  }
}

/**
 * What a failed check says publicly: the timeout, or the error's code (ECONNREFUSED, 28P01…) —
 * never its message, which may carry a URL, a host name or a user name. The full error goes to
 * the log.
 */
function publicReason(err: unknown): string {
  if (err instanceof CheckTimeout) return 'timed out';
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code)) return code;
  const inner = err instanceof AggregateError ? (err.errors[0] as { code?: unknown }) : undefined;
  if (typeof inner?.code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(inner.code)) return inner.code;
  return 'error';
}

/**
 * The dependencies readiness covers, each with a name. The kernel adds the database, the queue
 * and Redis; modules and kernel parts add theirs (`ctx.health.add('storage', …)`).
 */
export class Health {
  private readonly checks = new Map<string, { run: HealthCheck; critical: boolean }>();

  constructor(
    private readonly timeoutMs: number,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {}

  add(name: string, run: HealthCheck, opts: HealthCheckOptions = {}): void {
    this.checks.set(name, { run, critical: opts.critical ?? true });
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /** Runs every check at once, each bounded by the timeout. */
  async run(): Promise<{ results: Record<string, string>; failing: string[]; degraded: string[] }> {
    const entries = [...this.checks];
    const outcomes = await Promise.allSettled(entries.map(([, c]) => this.bounded(c.run)));
    const results: Record<string, string> = {};
    const failing: string[] = [];
    const degraded: string[] = [];
    outcomes.forEach((o, i) => {
      const [name, { critical }] = entries[i];
      if (o.status === 'fulfilled') {
        results[name] = 'ok';
        return;
      }
      results[name] = `fail: ${publicReason(o.reason)}`;
      (critical ? failing : degraded).push(name);
      this.log?.warn({ err: o.reason, check: name }, 'readiness check failed');
    });
    return { results, failing, degraded };
  }

  private bounded(check: HealthCheck): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      Promise.resolve().then(check),
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), this.timeoutMs);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** `neptuno_dependency_up{dependency}`: 1 while the check passes, read when scraped. */
  metrics(registry: Registry): void {
    new Gauge({
      name: 'neptuno_dependency_up',
      help: 'Whether a dependency answers its readiness check (1) or not (0): database, queue, redis, storage, smtp…',
      labelNames: ['dependency'],
      registers: [registry],
      collect: async () => {
        const { results } = await this.run();
        const gauge = registry.getSingleMetric('neptuno_dependency_up') as Gauge<'dependency'>;
        for (const [dependency, result] of Object.entries(results)) gauge.set({ dependency }, result === 'ok' ? 1 : 0);
      },
    });
  }
}

/** Liveness (the process answers) and readiness (every dependency answers, each named). */
export function installHealth(app: App, health: Health) {
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
        summary: 'Readiness: every configured dependency answers (database, queue, Redis, storage…); names the ones that failed',
        response: {
          200: Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]), checks: Checks }),
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
      const { results, failing, degraded } = await health.run();
      if (!failing.length) return { status: degraded.length ? ('degraded' as const) : ('ok' as const), checks: results };
      return reply
        .code(503)
        .type('application/problem+json; charset=utf-8')
        .send({
          type: 'https://neptuno.dev/problems/not-ready',
          title: 'Not ready',
          status: 503,
          code: 'not_ready',
          detail: `Failing checks: ${failing.join(', ')}`,
          checks: results,
        });
    },
  );
}
