import { Type, type Static } from 'typebox';

const RobotsRule = Type.Object(
  {
    /** `User-agent` lines of the group (`*` for every crawler). */
    userAgent: Type.Array(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\r\\n]+$' }), { minItems: 1, default: ['*'] }),
    allow: Type.Array(Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\r\\n]+$' }), { default: [] }),
    disallow: Type.Array(Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\r\\n]+$' }), { default: [] }),
    /** Seconds; honoured by some crawlers (not Google). */
    crawlDelay: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  { additionalProperties: false },
);

/** `modules.seo` in neptuno.yaml. */
export const SeoConfigSchema = Type.Object(
  {
    /**
     * The public site the metadata describes (the front-end's origin, e.g. https://www.example.com):
     * sitemap `<loc>`s, canonical and alternate URLs given as paths are made absolute with it.
     * Unset: `server.publicUrl`.
     */
    siteUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$', maxLength: 500 })),
    /** Locale of a page created without one, and the fallback of the public read. Unset: `i18n.defaultLocale`. */
    defaultLocale: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
    /** `Cache-Control: public, max-age` of GET /v1/public/seo/pages (front-ends and CDNs may keep the answer this long). */
    publicMaxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 60 }),
    /**
     * Each replica keeps page lookups and the built sitemap in memory. A change drops them at once
     * here and, through pub/sub, on every other replica; this TTL bounds what a lost message can cost.
     */
    cacheTtlSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
    /**
     * Every replica also compares the change counter in the database this often (a safety net for
     * lost messages, and how two processes sharing one SQLite file, which share no pub/sub, notice).
     */
    checkIntervalSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
    sitemap: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** URLs per sitemap file before /sitemap.xml becomes an index (the protocol's limit: 50,000). */
        maxUrls: Type.Integer({ minimum: 1, maximum: 50_000, default: 50_000 }),
        /** Bytes per sitemap file, uncompressed (the protocol's limit: 52,428,800). */
        maxBytes: Type.Integer({ minimum: 2048, maximum: 52_428_800, default: 52_428_800 }),
        /** `Cache-Control: public, max-age` of the sitemap files. */
        maxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 3600 }),
      },
      { additionalProperties: false, default: {} },
    ),
    robots: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** One group per rule. Default: everything allowed. */
        rules: Type.Array(RobotsRule, { default: [{ userAgent: ['*'], allow: ['/'], disallow: [] }] }),
        /** Staging and previews: `Disallow: /` for every crawler, whatever `rules` say. */
        disallowAll: Type.Boolean({ default: false }),
        /** Adds `Sitemap: <siteUrl>/sitemap.xml` (when the sitemap is enabled). */
        sitemap: Type.Boolean({ default: true }),
        /** More sitemap URLs to list (e.g. one another service serves). */
        extraSitemaps: Type.Array(Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 }), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type SeoConfig = Static<typeof SeoConfigSchema>;
