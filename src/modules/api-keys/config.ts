import { Type, type Static } from 'typebox';

/** `modules.api-keys` in neptuno.yaml. */
export const ApiKeysConfigSchema = Type.Object(
  {
    /** Requests per minute for a key created without its own limit. */
    defaultRateLimitPerMinute: Type.Integer({ minimum: 1, default: 600 }),
    /** Upper bound a user may ask for. */
    maxRateLimitPerMinute: Type.Integer({ minimum: 1, default: 10_000 }),
    /** Active (not revoked) keys one user may hold. */
    maxKeysPerUser: Type.Integer({ minimum: 1, default: 50 }),
    /** Longest lifetime a key may ask for; 0 allows keys that never expire. */
    maxLifetimeDays: Type.Integer({ minimum: 0, default: 0 }),
    /** Permissions modules check that no role lists explicitly (roles granting `*` cover them); keys may be scoped to these too. */
    extraScopes: Type.Array(Type.String({ pattern: '^[a-z0-9_.-]+(:[a-z0-9_.*-]+)*$' }), { default: [] }),
    /** How long an owner's role is cached for key requests (a role change applies within this). */
    ownerCacheSeconds: Type.Integer({ minimum: 0, default: 30 }),
  },
  { additionalProperties: false, default: {} },
);

export type ApiKeysConfig = Static<typeof ApiKeysConfigSchema>;
