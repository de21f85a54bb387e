import { Type, type Static } from 'typebox';

/**
 * `modules.gamification` in neptuno.yaml. The definition sections (eventTypes, badges, levels,
 * challenges) seed the database at start-up; once an admin edits a definition through
 * /v1/admin/gamification/*, the database row wins and yaml changes to that key are ignored.
 */
const Closed = { additionalProperties: false } as const;

export const KEY_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
export const Key = Type.String({ pattern: KEY_PATTERN, maxLength: 64 });

/** A text per locale; missing locales fall back to English, then Spanish, then the key. */
export const Names = Type.Object(
  { es: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), en: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  Closed,
);

export const EventTypeDef = Type.Object(
  {
    points: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    /** Awards per actor per UTC day; further events that day are answered `daily_cap`. */
    dailyCap: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Seconds between two awards of this event to one actor. */
    cooldownSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Awards per actor, ever (1 for sign-up). */
    lifetimeCap: Type.Optional(Type.Integer({ minimum: 1 })),
    /** false: only the server may award it (through the service), clients get 400. */
    client: Type.Optional(Type.Boolean()),
    names: Type.Optional(Names),
  },
  Closed,
);

export const BadgeRule = Type.Union([
  Type.Object({ type: Type.Literal('count'), event: Key, min: Type.Integer({ minimum: 1 }) }, Closed),
  Type.Object({ type: Type.Literal('first'), event: Key }, Closed),
  Type.Object({ type: Type.Literal('points'), min: Type.Integer({ minimum: 0 }) }, Closed),
  Type.Object({ type: Type.Literal('streak'), min: Type.Integer({ minimum: 1 }) }, Closed),
  Type.Object({ type: Type.Literal('level'), level: Key }, Closed),
  /** Only granted by a challenge reward or by another module through the service. */
  Type.Object({ type: Type.Literal('manual') }, Closed),
]);

export const Reward = Type.Object(
  {
    points: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    badge: Type.Optional(Key),
    /** Coupon code handed to the coupons module (`grantReward`), when it is enabled. */
    coupon: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  Closed,
);

export const BadgeDef = Type.Object(
  {
    names: Names,
    descriptions: Type.Optional(Names),
    imageUrl: Type.Optional(Type.String({ maxLength: 2000 })),
    rule: BadgeRule,
    /** Badge rewards may give points and a coupon (a badge reward badge would be a chain; use a rule instead). */
    reward: Type.Optional(Type.Object({ points: Reward.properties.points, coupon: Reward.properties.coupon }, Closed)),
  },
  Closed,
);

export const LevelDef = Type.Object(
  { threshold: Type.Integer({ minimum: 0 }), names: Names },
  Closed,
);

export const ChallengeDef = Type.Object(
  {
    names: Names,
    descriptions: Type.Optional(Names),
    /** Every step must reach its count (events awarded while the challenge is open). */
    steps: Type.Array(Type.Object({ event: Key, count: Type.Integer({ minimum: 1 }) }, Closed), { minItems: 1, maxItems: 20 }),
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.Optional(Type.String({ format: 'date-time' })),
    reward: Type.Optional(Reward),
  },
  Closed,
);

export type EventTypeDef = Static<typeof EventTypeDef>;
export type BadgeRule = Static<typeof BadgeRule>;
export type BadgeDef = Static<typeof BadgeDef>;
export type LevelDef = Static<typeof LevelDef>;
export type ChallengeDef = Static<typeof ChallengeDef>;
export type NamesT = Static<typeof Names>;

export const GamificationConfigSchema = Type.Object(
  {
    /** What points are called on screens, per locale. */
    pointsName: Type.Object(
      { es: Type.String({ default: 'puntos' }), en: Type.String({ default: 'points' }) },
      { ...Closed, default: {} },
    ),
    /** Anonymous callers of POST /events get a guest identity (when the guests module runs). */
    autoGuest: Type.Boolean({ default: true }),
    eventTypes: Type.Record(Type.String({ pattern: KEY_PATTERN }), EventTypeDef, {
      default: {
        signup_completed: { points: 100, lifetimeCap: 1, client: false, names: { es: 'Completar el registro', en: 'Complete sign-up' } },
        share: { points: 50, dailyCap: 5, names: { es: 'Compartir', en: 'Share' } },
        visit_page: { points: 5, cooldownSeconds: 60, dailyCap: 20, names: { es: 'Visitar una página', en: 'Visit a page' } },
        quiz_completed: { points: 30, dailyCap: 3, names: { es: 'Completar un quiz', en: 'Complete a quiz' } },
      },
    }),
    badges: Type.Record(Type.String({ pattern: KEY_PATTERN }), BadgeDef, {
      default: {
        first_share: {
          names: { es: 'Primer compartido', en: 'First share' },
          descriptions: { es: 'Compartiste la campaña por primera vez.', en: 'You shared the campaign for the first time.' },
          rule: { type: 'first', event: 'share' },
        },
        ambassador: {
          names: { es: 'Embajador', en: 'Ambassador' },
          descriptions: { es: 'Compartiste 10 veces.', en: 'You shared 10 times.' },
          rule: { type: 'count', event: 'share', min: 10 },
        },
        week_streak: {
          names: { es: 'Semana en racha', en: 'Week streak' },
          descriptions: { es: 'Participaste 7 días seguidos.', en: 'You played 7 days in a row.' },
          rule: { type: 'streak', min: 7 },
        },
        gold_member: {
          names: { es: 'Nivel oro', en: 'Gold level' },
          rule: { type: 'level', level: 'gold' },
        },
        challenger: {
          names: { es: 'Retador', en: 'Challenger' },
          descriptions: { es: 'Completaste el reto de bienvenida.', en: 'You completed the welcome challenge.' },
          rule: { type: 'manual' },
        },
      },
    }),
    levels: Type.Record(Type.String({ pattern: KEY_PATTERN }), LevelDef, {
      default: {
        bronze: { threshold: 0, names: { es: 'Bronce', en: 'Bronze' } },
        silver: { threshold: 250, names: { es: 'Plata', en: 'Silver' } },
        gold: { threshold: 1000, names: { es: 'Oro', en: 'Gold' } },
        platinum: { threshold: 5000, names: { es: 'Platino', en: 'Platinum' } },
      },
    }),
    challenges: Type.Record(Type.String({ pattern: KEY_PATTERN }), ChallengeDef, {
      default: {
        welcome: {
          names: { es: 'Reto de bienvenida', en: 'Welcome challenge' },
          descriptions: { es: 'Comparte, visita 5 páginas y completa un quiz.', en: 'Share, visit 5 pages and complete a quiz.' },
          steps: [
            { event: 'share', count: 1 },
            { event: 'visit_page', count: 5 },
            { event: 'quiz_completed', count: 1 },
          ],
          reward: { points: 150, badge: 'challenger' },
        },
      },
    }),
    streak: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** Missed days forgiven before a streak breaks; refilled when a new streak starts. */
        freezes: Type.Integer({ minimum: 0, maximum: 30, default: 1 }),
      },
      { ...Closed, default: {} },
    ),
    leaderboards: Type.Object(
      {
        periods: Type.Array(Type.Union([Type.Literal('all'), Type.Literal('weekly'), Type.Literal('monthly')]), {
          default: ['all', 'weekly', 'monthly'],
        }),
        defaultLimit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
        /** Guests appear on leaderboards (they keep their points when they sign up). */
        includeGuests: Type.Boolean({ default: true }),
        /**
         * Entries show players' display names (a user's name, a guest's display name). false: a
         * stable pseudonym ("Player 7KQ2MX") for everyone. Internal ids are never shown.
         */
        showNames: Type.Boolean({ default: true }),
        /**
         * Boards are published to the public realtime channels `gamification:leaderboard:{period}`
         * at most once per this many ms per replica, however many awards arrive meanwhile
         * (docs/gamification.md#realtime). 0: leaderboards are not published live.
         */
        liveIntervalMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 250 }),
      },
      { ...Closed, default: {} },
    ),
    /** Daily per-event counters older than this are pruned by the nightly cron. */
    keepDailyCountersDays: Type.Integer({ minimum: 2, default: 3 }),
  },
  { ...Closed, default: {} },
);

export type GamificationConfig = Static<typeof GamificationConfigSchema>;
