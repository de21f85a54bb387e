import { Type, type TSchema } from 'typebox';
import { DateTime } from '../../core/http/datetime.js';
import { CHANGE_FREQS, type ChangeFreq } from './schema.js';

/** `{ type: [t, 'null'] }`: with Ajv's coerceTypes a union would turn null into 0 or ''. */
function Nullable<T>(schema: TSchema & { type: string }) {
  return Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

const Text = (max: number) => Type.String({ maxLength: max });
/** A path (`/about`) or an absolute http(s) URL; checked further in pages.ts. */
const Href = Type.String({ minLength: 1, maxLength: 2000 });
/** BCP 47-ish tag (`es`, `en-US`, `pt-BR`), or `x-default` for alternates. */
const LocaleTag = Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 35 });
const Hreflang = Type.String({ pattern: '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*|x-default)$', maxLength: 35 });
const NullableChangeFreq = Type.Unsafe<ChangeFreq | null>({ type: ['string', 'null'], enum: [...CHANGE_FREQS, null] });

export const OpenGraphSchema = Type.Object(
  {
    title: Type.Optional(Text(300)),
    description: Type.Optional(Text(1000)),
    /** `website`, `article`, `product`… */
    type: Type.Optional(Type.String({ maxLength: 50, pattern: '^[a-z][a-z0-9_.:]*$' })),
    image: Type.Optional(Href),
    imageAlt: Type.Optional(Text(300)),
    siteName: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);

export const TwitterSchema = Type.Object(
  {
    card: Type.Optional(Type.Union([Type.Literal('summary'), Type.Literal('summary_large_image'), Type.Literal('app'), Type.Literal('player')])),
    title: Type.Optional(Text(300)),
    description: Type.Optional(Text(1000)),
    image: Type.Optional(Href),
    /** `@account` of the site and of the author. */
    site: Type.Optional(Type.String({ maxLength: 50, pattern: '^@?[A-Za-z0-9_]{1,15}$' })),
    creator: Type.Optional(Type.String({ maxLength: 50, pattern: '^@?[A-Za-z0-9_]{1,15}$' })),
  },
  { additionalProperties: false },
);

export const AlternateSchema = Type.Object({ hreflang: Hreflang, href: Href }, { additionalProperties: false });

/** What an admin writes (POST creates, PATCH changes the given fields; null clears one). */
const writable = {
  title: Type.Optional(Nullable<string>(Text(300))),
  description: Type.Optional(Nullable<string>(Text(1000))),
  canonicalUrl: Type.Optional(Nullable<string>(Href)),
  image: Type.Optional(Nullable<string>(Href)),
  openGraph: Type.Optional(Nullable<Record<string, string>>(OpenGraphSchema)),
  twitter: Type.Optional(Nullable<Record<string, string>>(TwitterSchema)),
  alternates: Type.Optional(Type.Array(AlternateSchema, { maxItems: 50 })),
  noindex: Type.Optional(Type.Boolean()),
  priority: Type.Optional(Nullable<number>(Type.Number({ minimum: 0, maximum: 1 }))),
  changefreq: Type.Optional(NullableChangeFreq),
  lastmod: Type.Optional(Nullable<string>(DateTime())),
};

export const PageCreateBody = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 1000 }), locale: Type.Optional(LocaleTag), ...writable },
  { additionalProperties: false },
);

export const PagePatchBody = Type.Object(
  { path: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })), locale: Type.Optional(LocaleTag), ...writable },
  { additionalProperties: false, minProperties: 1 },
);

const NStr = Nullable<string>(Type.String());
const Alternates = Type.Array(AlternateSchema);

export const AdminPageSchema = Type.Object({
  id: Type.String(),
  path: Type.String(),
  locale: Type.String(),
  title: NStr,
  description: NStr,
  canonicalUrl: NStr,
  image: NStr,
  openGraph: Nullable<Record<string, string>>(OpenGraphSchema),
  twitter: Nullable<Record<string, string>>(TwitterSchema),
  alternates: Alternates,
  noindex: Type.Boolean(),
  priority: Nullable<number>(Type.Number()),
  changefreq: NullableChangeFreq,
  lastmod: NStr,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** What front-ends read at render time: every URL absolute, the canonical resolved. */
export const PublicPageSchema = Type.Object({
  path: Type.String(),
  locale: Type.String(),
  /** This page's absolute URL on the site. */
  url: Type.String(),
  title: NStr,
  description: NStr,
  /** The canonical URL given, else the page's own URL. */
  canonicalUrl: Type.String(),
  /** `index, follow` or `noindex, follow`: the `<meta name="robots">` content. */
  robots: Type.String(),
  noindex: Type.Boolean(),
  image: NStr,
  openGraph: Type.Record(Type.String(), Type.String()),
  twitter: Type.Record(Type.String(), Type.String()),
  alternates: Alternates,
  lastmod: NStr,
  updatedAt: Type.String({ format: 'date-time' }),
});

export const PublicPageQuery = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 1000 }),
    /** Exact locale; omitted: Accept-Language (es/en), then the default locale, then any. */
    locale: Type.Optional(LocaleTag),
  },
  { additionalProperties: false },
);
