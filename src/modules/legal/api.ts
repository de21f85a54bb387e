import { Type } from 'typebox';
import { DateTime } from '../../core/http/datetime.js';

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', minLength: 1, maxLength: 64 });
export const Version = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', minLength: 1, maxLength: 40 });
const TitleTexts = Type.Object(
  { es: Type.String({ minLength: 1, maxLength: 300 }), en: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
);
const ContentTexts = Type.Object(
  { es: Type.String({ minLength: 1, maxLength: 200_000 }), en: Type.String({ minLength: 1, maxLength: 200_000 }) },
  { additionalProperties: false },
);
const PartialTexts = Type.Object({ es: Type.Optional(Type.String()), en: Type.Optional(Type.String()) });
const Texts = Type.Object({ es: Type.String(), en: Type.String() });

/** POST /v1/admin/legal/documents: the shape, plus an optional effectiveAt. */
export const PublishBody = Type.Object(
  {
    slug: Slug,
    version: Version,
    title: TitleTexts,
    content: Type.Optional(ContentTexts),
    url: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 })),
    required: Type.Boolean(),
    effectiveAt: Type.Optional(DateTime()),
  },
  { additionalProperties: false },
);

const Nullable = <T extends ReturnType<typeof Type.String> | typeof Texts>(s: T) => Type.Union([s, Type.Null()]);

export const HeadSchema = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  version: Type.String(),
  title: Texts,
  url: Nullable(Type.String()),
  required: Type.Boolean(),
  effectiveAt: Type.String({ format: 'date-time' }),
  publishedAt: Type.String({ format: 'date-time' }),
});

export const AdminDocumentSchema = Type.Object({
  ...HeadSchema.properties,
  content: Nullable(Texts),
  publishedBy: Nullable(Type.String()),
  current: Type.Boolean(),
});

export const PublicDocumentSchema = Type.Object({
  slug: Type.String(),
  version: Type.String(),
  /** `es`, `en` (from Accept-Language or ?lang=) or `both`: which texts are in title and content. */
  lang: Type.String(),
  title: PartialTexts,
  content: Type.Union([PartialTexts, Type.Null()]),
  url: Nullable(Type.String()),
  required: Type.Boolean(),
  effectiveAt: Type.String({ format: 'date-time' }),
});

export const PendingSchema = Type.Object({
  slug: Type.String(),
  version: Type.String(),
  title: Texts,
  url: Nullable(Type.String()),
  required: Type.Boolean(),
  effectiveAt: Type.String({ format: 'date-time' }),
});

export const ConsentSchema = Type.Object({
  slug: Type.String(),
  version: Type.String(),
  actorType: Type.String(),
  actorId: Type.String(),
  acceptedAt: Type.String({ format: 'date-time' }),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
});

export const StatsSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      slug: Type.String(),
      version: Type.String(),
      required: Type.Boolean(),
      current: Type.Boolean(),
      effectiveAt: Type.String({ format: 'date-time' }),
      acceptedByUsers: Type.Integer(),
      acceptedByGuests: Type.Integer(),
    }),
  ),
});
