import { Type, type Static } from 'typebox';

/** `modules.tracking` in neptuno.yaml (docs/tracking.md). */
export const TrackingConfigSchema = Type.Object(
  {
    /**
     * Name of the site in the visitor hash (two sites on one Neptuno never share visitor ids).
     * null: the host of server.publicUrl.
     */
    site: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], { default: null }),
    /**
     * Origins whose pages may send events, besides the ones the kernel trusts (server.publicUrl,
     * server.cors.origins, modules.auth.trustedOrigins). Wildcards such as `https://*.example.com`.
     */
    origins: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { default: [], maxItems: 100 }),
    /** Do-Not-Track (`DNT: 1`) and Global Privacy Control (`Sec-GPC: 1`): true drops such visitors' events. */
    honorDoNotTrack: Type.Boolean({ default: true }),
    /** Drop requests whose user agent is a known bot or crawler (the isbot list). */
    filterBots: Type.Boolean({ default: true }),
    /** Raw events (and the per-hour visitor sets) older than this are deleted by a daily cron. Rollups stay. */
    retentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }),
    /** Rollups older than this are deleted (0: kept forever). */
    rollupRetentionDays: Type.Integer({ minimum: 0, maximum: 36500, default: 0 }),
    limits: Type.Object(
      {
        /** Events in one request. */
        batch: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
        /** Properties of one event, and their total size as JSON (bytes). */
        props: Type.Integer({ minimum: 0, maximum: 50, default: 20 }),
        propsBytes: Type.Integer({ minimum: 64, maximum: 8192, default: 1024 }),
        /** Requests per minute from one visitor (IP + user agent of the day), across replicas. */
        requestsPerMinute: Type.Integer({ minimum: 1, maximum: 100_000, default: 120 }),
        /** Requests per minute from one IP, whatever the user agent (a NAT of a whole office shares one). */
        requestsPerMinutePerIp: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 3000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Writes: events wait in memory for the commit in progress, then go in one transaction (at most
     * maxBatch events). A request is answered after its events are committed.
     */
    writer: Type.Object(
      { maxBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }) },
      { additionalProperties: false, default: {} },
    ),
    /** Live visitors (last 5 minutes) published on the realtime `admin` channel at most this often. */
    live: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        intervalMs: Type.Integer({ minimum: 1000, maximum: 300_000, default: 5000 }),
        windowMinutes: Type.Integer({ minimum: 1, maximum: 60, default: 5 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Optional country lookup: path of a MaxMind GeoLite2/GeoIP2 Country or City .mmdb file (never downloaded by Neptuno). */
    geoip: Type.Object(
      { database: Type.Union([Type.String({ minLength: 1, maxLength: 1000 }), Type.Null()], { default: null }) },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Gamification points for tracking events of known players (guests and users): `pageview`,
     * `click:<name>`, `custom:<name>` or `<name>` (any type) → a gamification event type, e.g.
     * `{ pageview: visit_page }`. Awarded through the gamification service (its caps apply), once per event.
     */
    gamification: Type.Record(Type.String({ minLength: 1, maxLength: 120 }), Type.String({ minLength: 1, maxLength: 64 }), { default: {} }),
    /**
     * Server-side tracking: API calls of these routes ('METHOD /route/template', e.g.
     * 'POST /v1/coupons/redeem') are recorded as events of type `api` named after the route.
     */
    serverRoutes: Type.Array(Type.String({ pattern: '^(GET|POST|PUT|PATCH|DELETE) /\\S{0,300}$' }), { default: [], maxItems: 200 }),
    /** Seconds between the browser script's heartbeats while the page is visible (time on page). */
    heartbeatSeconds: Type.Integer({ minimum: 5, maximum: 600, default: 15 }),
  },
  { additionalProperties: false, default: {} },
);
export type TrackingConfig = Static<typeof TrackingConfigSchema>;
