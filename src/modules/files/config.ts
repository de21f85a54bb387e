import { Type, type Static } from 'typebox';

const Variant = Type.Object(
  {
    /** Longest side when `height` is unset; with both, the box the image is fitted into. */
    width: Type.Integer({ minimum: 1, maximum: 8192 }),
    height: Type.Optional(Type.Integer({ minimum: 1, maximum: 8192 })),
    /** sharp's fit: `cover` crops to fill the box, `inside` keeps the whole image. */
    fit: Type.Union([Type.Literal('cover'), Type.Literal('inside')], { default: 'inside' }),
  },
  { additionalProperties: false },
);

export const PurposeSchema = Type.Object(
  {
    /** Public: permanent, immutable links anyone may fetch. Private: signed links that expire. */
    public: Type.Boolean({ default: false }),
    /** Largest upload, in bytes. */
    maxBytes: Type.Integer({ minimum: 1, maximum: 2_000_000_000, default: 10_485_760 }),
    /**
     * Allowed types, as detected from the content (magic bytes), never from the name or the
     * declared type. `text/csv`, `text/plain` and `application/json` have no magic bytes: they are
     * accepted when the content is UTF-8 text (JSON must also parse... at its head) and the file is declared or named so.
     */
    types: Type.Array(Type.String({ minLength: 3, maxLength: 127 }), { minItems: 1 }),
    /** Who may upload it: any signed-in user, or admins only. */
    uploadedBy: Type.Union([Type.Literal('user'), Type.Literal('admin')], { default: 'user' }),
    /** Unattached uploads older than this are deleted by the `orphans` cron; null: never. */
    orphanHours: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { default: 24 }),
    /** Images: re-encoded (which drops EXIF/GPS) into these variants by a job; `full` is always made. */
    variants: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }), Variant, { default: {} }),
    /** Images with more pixels than this are refused (decompression bombs), at upload and by sharp. */
    maxPixels: Type.Integer({ minimum: 1, maximum: 268_402_689, default: 40_000_000 }),
  },
  { additionalProperties: false },
);

export type Purpose = Static<typeof PurposeSchema>;

/** A purpose in neptuno.yaml: only `types` is required; the rest take PurposeSchema's defaults. */
export const PurposeInputSchema = Type.Object(
  Object.fromEntries(Object.entries(PurposeSchema.properties).map(([k, v]) => [k, k === 'types' ? v : Type.Optional(v)])) as {
    [K in keyof typeof PurposeSchema.properties]: (typeof PurposeSchema.properties)[K];
  },
  { additionalProperties: false },
);
/** A purpose as user modules declare it (defaults filled in by definePurpose). */
export type PurposeInput = Partial<Purpose> & Pick<Purpose, 'types'>;

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];

const DEFAULT_PURPOSES: Record<string, PurposeInput> = {
  avatar: {
    public: true,
    maxBytes: 5 * 1024 * 1024,
    types: IMAGE_TYPES,
    variants: { sm: { width: 64, height: 64, fit: 'cover' }, md: { width: 256, height: 256, fit: 'cover' } },
  },
  badge: { public: true, maxBytes: 2 * 1024 * 1024, types: IMAGE_TYPES, uploadedBy: 'admin', variants: { sm: { width: 128, fit: 'inside' }, lg: { width: 512, fit: 'inside' } } },
  document: { public: false, maxBytes: 20 * 1024 * 1024, types: ['application/pdf', 'image/jpeg', 'image/png'], orphanHours: null },
  import: {
    public: false,
    maxBytes: 50 * 1024 * 1024,
    types: ['text/csv', 'text/plain', 'application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  },
  // Files the data export and report jobs write (kept a week for their download links).
  export: { public: false, maxBytes: 200 * 1024 * 1024, types: ['text/csv', 'text/plain', 'application/json', 'application/pdf', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], uploadedBy: 'admin', orphanHours: 168 },
  report: { public: false, maxBytes: 200 * 1024 * 1024, types: ['text/csv', 'text/plain', 'application/json', 'application/pdf', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], uploadedBy: 'admin', orphanHours: 168 },
};

/** `modules.files` in neptuno.yaml. */
export const FilesConfigSchema = Type.Object(
  {
    /** Purposes by name; these replace the built-in ones of the same name (avatar, badge, document, import). */
    purposes: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,39}$' }), PurposeInputSchema, { default: {} }),
    /** Bytes each user may keep stored (all purposes; variants not counted). */
    quotaBytes: Type.Integer({ minimum: 0, default: 200 * 1024 * 1024 }),
    /** Uploads per user per minute. */
    uploadsPerMinute: Type.Integer({ minimum: 1, default: 30 }),
    /** Life of signed links to private files, in seconds (default: storage.signedUrlExpiresIn). */
    linkExpiresIn: Type.Union([Type.Integer({ minimum: 1, maximum: 604_800 }), Type.Null()], { default: null }),
  },
  { additionalProperties: false, default: {} },
);

export type FilesConfig = Static<typeof FilesConfigSchema>;
export { DEFAULT_PURPOSES };
