import { Type, type Static } from 'typebox';

const Prefix = Type.String({ pattern: '^/v1/', maxLength: 200 });

/** `modules.legal` in neptuno.yaml. */
export const LegalConfigSchema = Type.Object(
  {
    /**
     * Routes that answer 428 `consent_required` to a signed-in user or guest until they accepted
     * the current version of every required document. Only API routes are guarded (under /v1,
     * outside /v1/admin, /v1/auth and /v1/public); /v1/legal itself never is. A route may also
     * opt in or out with its route option `config: { consent: true | false | ['terms'] }`.
     */
    guard: Type.Object(
      {
        /** Route templates starting with one of these (`/v1/coupons`, `/v1/wallet/purchases`). */
        prefixes: Type.Array(Prefix, { default: [] }),
        /** Every route of these modules (by module name, whatever their prefix). */
        modules: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 60 }), { default: [] }),
        /** Route templates starting with one of these are never guarded (wins over the two above). */
        exempt: Type.Array(Prefix, { default: [] }),
        /** Slugs the guard demands; empty: every document whose current version is required. */
        documents: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 64 }), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * What happens to a deleted account's consents (`user.deleted`): `anonymize` keeps the record
     * (slug, version, time: the proof that consent was given, and the stats) without IP and user
     * agent; `delete` erases it.
     */
    onUserDeleted: Type.Union([Type.Literal('anonymize'), Type.Literal('delete')], { default: 'anonymize' }),
    /** Each replica keeps the current versions and who is up to date in memory; changes drop them at once (pub/sub), this bounds a lost message. */
    cacheTtlSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
    /** Replicas also compare the change counter in the database this often (lost messages; processes sharing one SQLite file). */
    checkIntervalSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
    /** `Cache-Control: public, max-age` of GET /v1/public/legal/:slug. */
    publicMaxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 60 }),
  },
  { additionalProperties: false, default: {} },
);

export type LegalConfig = Static<typeof LegalConfigSchema>;
