import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Database, Trx } from '../db/database.js';
import type { App } from '../module.js';
import { IdempotencyStore, type KeyScope } from './idempotency-store.js';
import { badRequest, conflict, unprocessable } from './problem.js';

/** Per-route settings of `config: { idempotent: { … } }`; `idempotent: true` takes the defaults. */
export interface IdempotentRouteOptions {
  /** How long the first answer is kept and replayed. Default 24 hours. */
  ttlMs?: number;
  /**
   * What makes two requests "the same" (hashed). Default: the route's params, query and body.
   * Give a normalized value when equivalent bodies differ in form (e.g. a case-insensitive code).
   */
  fingerprint?: (request: FastifyRequest) => unknown;
}

/**
 * The claim the kernel holds for a request sent with an Idempotency-Key (`request.idempotency`).
 * Routes may hand it to a service as is: it carries no HTTP.
 */
export interface IdempotencyClaim {
  readonly key: string;
  /**
   * Stores the answer inside the caller's transaction, so the change and its stored answer
   * commit together: a crash right after the commit cannot make a retry run the change again.
   * Optional: without it the answer is stored as the response leaves. Throws 409
   * `idempotency_in_progress` (rolling the transaction back) if the claim was lost meanwhile.
   */
  saveIn(trx: Trx, status: number, body: unknown): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Accept an `Idempotency-Key` header on this route (see docs/kernel.md). */
    idempotent?: boolean | IdempotentRouteOptions;
  }
  interface FastifyRequest {
    /** Set when this request holds an Idempotency-Key claim (first execution). */
    idempotency?: IdempotencyClaim;
  }
}

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const LEASE_MS = 30_000;
/** A stuck handler stops renewing its lease after this long; a retry may then run. */
const MAX_HOLD_MS = 10 * 60_000;
/** Printable ASCII, 1–255 characters, no leading or trailing space (proxies trim those). */
const KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;
/** Replayed with the body; cookies and per-response headers (request id, dates) are not. */
const KEPT_HEADERS = ['content-type', 'location', 'content-language'];

export const idempotencyKeyHeader = {
  type: 'string',
  description:
    'Optional. 1–255 printable ASCII characters, unique per operation. A retry with the same key gets the first ' +
    'answer again (header Idempotent-Replayed: true) for 24 h; the same key with another body or route: 422 ' +
    'idempotency_key_reused; while the first is still running: 409 idempotency_in_progress.',
};

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` fingerprint alike. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

class Claim implements IdempotencyClaim {
  finished = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: IdempotencyStore,
    readonly scope: KeyScope,
    readonly token: string,
    leaseMs: number,
    log: Logger | FastifyRequest['log'],
  ) {
    const started = Date.now();
    // The lease is what tells "still running" from "its process died": renew it while we run.
    this.timer = setInterval(() => {
      if (Date.now() - started > MAX_HOLD_MS) return this.stop();
      store.extend(scope, token, leaseMs).then(
        (held) => {
          if (!held) this.stop();
        },
        (err: unknown) => log.warn({ err }, 'Idempotency-Key lease renewal failed'),
      );
    }, Math.floor(leaseMs / 2));
    this.timer.unref();
  }

  get key() {
    return this.scope.key;
  }

  stop() {
    clearInterval(this.timer);
  }

  async saveIn(trx: Trx, status: number, body: unknown): Promise<void> {
    const answer = { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
    if (!(await this.store.complete(this.scope, this.token, answer, trx))) throw conflict('idempotency_in_progress');
  }
}

export interface InstallIdempotencyOptions {
  database: Database;
  /** Lease of a running first request, renewed every half lease. Default 30 s. */
  leaseMs?: number;
}

/**
 * Makes `config: { idempotent: true }` work on any route (Stripe's semantics, state in SQL so
 * it holds across restarts and replicas). Call before routes are registered.
 *
 * Which answers are kept: 2xx and 3xx. A 4xx or 5xx releases the key, so a retry runs again:
 * a refused or failed request changed nothing (the kernel's rule), and running it again is how
 * a retry can succeed. Requests refused before the handler (bad header, body validation,
 * authentication) never claim a key. Anonymous requests are not tracked (no actor to scope the key).
 */
export function installIdempotency(app: App, opts: InstallIdempotencyOptions): IdempotencyStore {
  const store = new IdempotencyStore(opts.database);
  const leaseMs = opts.leaseMs ?? LEASE_MS;

  async function claim(request: FastifyRequest, reply: FastifyReply) {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw badRequest('invalid_idempotency_key', {
        errors: [{ pointer: '/headers/idempotency-key', code: 'pattern', detail: '1-255 printable ASCII characters' }],
      });
    }
    const actor = await request.actor();
    if (!actor) return;
    const setting = request.routeOptions.config.idempotent;
    const options: IdempotentRouteOptions = typeof setting === 'object' ? setting : {};
    const what = options.fingerprint ? options.fingerprint(request) : { params: request.params, query: request.query, body: request.body };
    const scope: KeyScope = { actorType: actor.type, actorId: actor.id, key };
    const result = await store.claim({
      ...scope,
      route: `${request.method} ${request.routeOptions.url ?? request.url}`,
      fingerprint: createHash('sha256').update(stableJson(what)).digest('hex'),
      leaseMs,
      ttlMs: options.ttlMs ?? IDEMPOTENCY_TTL_MS,
    });
    switch (result.kind) {
      case 'mismatch':
        throw unprocessable('idempotency_key_reused');
      case 'in_progress':
        throw conflict('idempotency_in_progress', { headers: { 'retry-after': '1' } });
      case 'replay':
        // A string body is sent as stored, bypassing the route's serializer.
        return reply.code(result.answer.status).headers(result.answer.headers).header('idempotent-replayed', 'true').send(result.answer.body);
      case 'claimed':
        request.idempotency = new Claim(store, scope, result.token, leaseMs, request.log);
    }
  }

  async function record(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const held = request.idempotency as Claim | undefined;
    if (!held || held.finished) return payload;
    held.finished = true;
    held.stop();
    try {
      const status = reply.statusCode;
      if (status < 400 && (typeof payload === 'string' || payload === undefined || payload === null)) {
        const headers: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        if (!(await store.complete(held.scope, held.token, { status, headers, body: payload ?? '' }))) {
          request.log.warn('Idempotency-Key claim lost before the answer was stored');
        }
      } else {
        await store.release(held.scope, held.token);
      }
    } catch (err) {
      // The answer still goes out; the key's lease runs out and a retry is evaluated again.
      request.log.error({ err }, 'Could not store the Idempotency-Key answer');
    }
    return payload;
  }

  async function cleanup(request: FastifyRequest) {
    const held = request.idempotency as Claim | undefined;
    if (!held || held.finished) return;
    held.finished = true;
    held.stop();
    await store.release(held.scope, held.token).catch((err: unknown) => request.log.warn({ err }, 'Could not release an Idempotency-Key'));
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.idempotent) return;
    const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    route.schema = withKeyHeader(route.schema);
    // After the route's own guards: authentication decides whose key it is.
    route.preHandler = [...list(route.preHandler), claim] as RouteOptions['preHandler'];
    route.onSend = [...list(route.onSend), record] as RouteOptions['onSend'];
    route.onResponse = [...list(route.onResponse), cleanup] as RouteOptions['onResponse'];
  });
  return store;
}

/** The route's header schema with `idempotency-key` declared (so OpenAPI documents it). */
function withKeyHeader(schema: RouteOptions['schema']): RouteOptions['schema'] {
  const s = (schema ?? {}) as Record<string, unknown> & { headers?: { properties?: Record<string, unknown> } };
  const headers = (s.headers ?? { type: 'object' }) as { properties?: Record<string, unknown> };
  return { ...s, headers: { ...headers, properties: { ...headers.properties, 'idempotency-key': idempotencyKeyHeader } } };
}
