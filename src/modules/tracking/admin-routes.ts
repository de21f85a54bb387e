import { Type } from 'typebox';
import { DateTimeQuery, parseDateTime } from '../../core/http/datetime.js';
import { badRequest } from '../../core/http/problem.js';
import type { App, ModuleContext } from '../../core/module.js';
import { Problem } from './api.js';
import type { TrackingConfig } from './config.js';
import type { Dimension } from './queries.js';
import { rangeOf, type Range } from './range.js';

const DAY = 86_400_000;
const MAX_RANGE_DAYS = 400;
const MAX_FUNNEL_DAYS = 92;

const RangeQuery = {
  from: Type.Optional(DateTimeQuery({ description: 'Start (ISO 8601 date or date-time, floored to the hour). Default: 7 days before `to`.' })),
  to: Type.Optional(DateTimeQuery({ description: 'End, exclusive (ceiled to the hour). Default: now.' })),
};
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 }));
const Open = { additionalProperties: true } as const;
const Row = Type.Object({ value: Type.String(), views: Type.Integer(), visitors: Type.Integer(), events: Type.Integer() }, Open);

function parseRange(q: { from?: string; to?: string }, maxDays: number): { from: Date; to: Date } {
  const to = q.to === undefined ? new Date() : parseDateTime(q.to);
  if (!to) throw badRequest('validation_failed', { errors: [{ pointer: '/querystring/to', code: 'format', detail: 'Not a real date' }] });
  const from = q.from === undefined ? new Date(to.getTime() - 7 * DAY) : parseDateTime(q.from);
  if (!from) throw badRequest('validation_failed', { errors: [{ pointer: '/querystring/from', code: 'format', detail: 'Not a real date' }] });
  if (from.getTime() >= to.getTime()) throw badRequest('tracking_range_invalid', { errors: [{ pointer: '/querystring/to', code: 'range', detail: '`to` must be after `from`' }] });
  if (to.getTime() - from.getTime() > maxDays * DAY) throw badRequest('tracking_range_too_long', { params: { days: maxDays } });
  return { from, to };
}
const range = (q: { from?: string; to?: string }): Range => {
  const r = parseRange(q, MAX_RANGE_DAYS);
  return rangeOf(r.from, r.to);
};

/** Mounted under /v1/admin/tracking; the kernel requires the admin role. */
export async function trackingAdminRoutes(app: App, ctx: ModuleContext<TrackingConfig>) {
  const q = () => ctx.services.tracking.queries;
  const tags = ['tracking', 'admin'];
  const breakdown = (path: string, dim: Dimension, summary: string) =>
    app.get(
      path,
      {
        schema: {
          tags,
          summary,
          querystring: Type.Object({ ...RangeQuery, limit: Limit }, { additionalProperties: false }),
          response: { 200: Type.Object({ data: Type.Array(Row) }), 400: Problem },
        },
      },
      async (request) => ({ data: await q().breakdown(range(request.query), dim, request.query.limit ?? 20) }),
    );

  app.get(
    '/summary',
    {
      schema: {
        tags,
        summary: 'Views, unique visitors, events, visits, bounce rate and average time on page in a range',
        querystring: Type.Object(RangeQuery, { additionalProperties: false }),
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            views: Type.Integer(),
            visitors: Type.Integer(),
            events: Type.Integer(),
            visits: Type.Integer(),
            bounceRate: Type.Number(),
            avgTimeOnPageMs: Type.Integer(),
            viewsPerVisitor: Type.Number(),
          }),
          400: Problem,
        },
      },
    },
    async (request) => q().summary(range(request.query)),
  );

  app.get(
    '/timeseries',
    {
      schema: {
        tags,
        summary: 'Views, unique visitors and events per hour or per day',
        querystring: Type.Object({ ...RangeQuery, interval: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'day' })) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ interval: Type.String(), data: Type.Array(Type.Object({ at: Type.String(), views: Type.Integer(), visitors: Type.Integer(), events: Type.Integer() })) }),
          400: Problem,
        },
      },
    },
    async (request) => {
      const interval = request.query.interval ?? 'day';
      const r = parseRange(request.query, interval === 'hour' ? 31 : MAX_RANGE_DAYS);
      return q().timeseries(rangeOf(r.from, r.to), interval);
    },
  );

  breakdown('/pages', 'page', 'Top pages: views, visitors, average time on page, entries and bounce rate');
  breakdown('/referrers', 'referrer', 'Top referring sites (page views arriving from another site)');
  breakdown('/countries', 'country', 'Views and visitors by country (needs modules.tracking.geoip.database)');
  breakdown('/events', 'event', 'Clicks and custom events by name');

  app.get(
    '/campaigns',
    {
      schema: {
        tags,
        summary: 'Page views and visitors by UTM campaign, source or medium',
        querystring: Type.Object(
          { ...RangeQuery, limit: Limit, by: Type.Optional(Type.Union([Type.Literal('campaign'), Type.Literal('source'), Type.Literal('medium')], { default: 'campaign' })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(Row) }), 400: Problem },
      },
    },
    async (request) => ({ data: await q().breakdown(range(request.query), `utm_${request.query.by ?? 'campaign'}`, request.query.limit ?? 20) }),
  );

  app.get(
    '/events/:name/properties',
    {
      schema: {
        tags,
        summary: "An event's properties: each key and value with its count",
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
        querystring: Type.Object({ ...RangeQuery, limit: Limit }, { additionalProperties: false }),
        response: {
          200: Type.Object({ data: Type.Array(Type.Object({ key: Type.String(), value: Type.String(), events: Type.Integer(), visitors: Type.Integer() })) }),
          400: Problem,
        },
      },
    },
    async (request) => ({ data: await q().properties(range(request.query), request.params.name, request.query.limit ?? 20) }),
  );

  const Step = Type.Object(
    {
      type: Type.Optional(Type.Union([Type.Literal('pageview'), Type.Literal('click'), Type.Literal('custom'), Type.Literal('engagement'), Type.Literal('api')])),
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      path: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    },
    { additionalProperties: false, minProperties: 1 },
  );
  app.post(
    '/funnels',
    {
      schema: {
        tags,
        summary: 'A funnel: people who did each step in order, each within `windowMinutes` of their first step',
        body: Type.Object(
          {
            steps: Type.Array(Step, { minItems: 2, maxItems: 10 }),
            from: Type.Optional(RangeQuery.from),
            to: Type.Optional(RangeQuery.to),
            windowMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, default: 60 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            windowMinutes: Type.Integer(),
            steps: Type.Array(Type.Object({ step: Type.Integer(), people: Type.Integer(), conversionFromPrevious: Type.Number(), conversionFromStart: Type.Number() }, Open)),
          }),
          400: Problem,
        },
      },
    },
    async (request) => {
      const { steps, windowMinutes = 60 } = request.body;
      const r = parseRange(request.body, MAX_FUNNEL_DAYS);
      return ctx.services.tracking.funnels.run(steps, r.from, r.to, windowMinutes * 60_000);
    },
  );

  app.get(
    '/live',
    {
      schema: {
        tags,
        summary: 'Visitors seen in the last minutes (also pushed on the realtime `admin` channel)',
        response: {
          200: Type.Object({ visitors: Type.Integer(), pages: Type.Array(Type.Object({ path: Type.String(), visitors: Type.Integer() })), windowMinutes: Type.Integer() }),
        },
      },
    },
    async () => ctx.services.tracking.live.snapshot(),
  );
}
