import { Type, type Static } from 'typebox';

/** `modules.guests` in neptuno.yaml. */
export const GuestsConfigSchema = Type.Object(
  {
    /**
     * Generated names are "<prefix> <4 digits>", the prefix in the language the visitor's
     * browser asked for (Accept-Language) when the guest is created. One string: every language.
     */
    namePrefix: Type.Union(
      [
        Type.Object({ es: Type.String({ minLength: 1, maxLength: 30 }), en: Type.String({ minLength: 1, maxLength: 30 }) }, { additionalProperties: false }),
        Type.String({ minLength: 1, maxLength: 30 }),
      ],
      { default: { es: 'Invitado', en: 'Guest' } },
    ),
    /** Guests never merged and idle longer than this are deleted by the hourly cron. */
    maxIdleDays: Type.Integer({ minimum: 1, default: 30 }),
    /** Browser lifetime of the cookie; the server-side idle limit is what really ends a guest. */
    cookieMaxAgeDays: Type.Integer({ minimum: 1, maximum: 400, default: 400 }),
    /** New guests per client IP per hour (POST /v1/public/guest and ensureGuest); 0 turns the limit off. */
    createPerIpPerHour: Type.Integer({ minimum: 0, default: 300 }),
    /** Activity (last IP, request count, last activity) is written at most this often per process. */
    activityFlushSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
    /**
     * How long a replica trusts a verified guest cookie without reading the guest row again.
     * Merges and deletions reach every replica at once through pub/sub; this only bounds a lost
     * message. 0 reads the row on every request.
     */
    resolverCacheSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 10 }),
  },
  { additionalProperties: false, default: {} },
);

export type GuestsConfig = Static<typeof GuestsConfigSchema>;
