import { Type } from 'typebox';

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() }, { additionalProperties: true });

const EventTypeSchema = Type.Union([Type.Literal('pageview'), Type.Literal('click'), Type.Literal('custom'), Type.Literal('engagement')]);
const PropValue = Type.Union([Type.String({ maxLength: 200 }), Type.Number({ minimum: -1e15, maximum: 1e15 }), Type.Boolean(), Type.Null()]);

const eventFields = {
  type: EventTypeSchema,
  /** The page's full URL (location.href): path and UTM parameters are read from it. */
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  /** click / custom: what happened (data-track="signup", "outbound", "quiz_completed"). */
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^|]+$' })),
  /** document.referrer on page views; only its host is kept, and only when it is another site. */
  referrer: Type.Optional(Type.String({ maxLength: 2048 })),
  /** String, number, boolean or null values; count and size bounded by modules.tracking.limits. */
  props: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 40, pattern: '^[^|]+$' }), PropValue, { maxProperties: 50 })),
  /** engagement: visible milliseconds since the page's previous report (at most 30 minutes). */
  duration: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_800_000 })),
};

export const EventItem = Type.Object(eventFields, { additionalProperties: false });

/** One event (its fields at the top level) or a batch (`events`). */
export const EventsBody = Type.Object(
  {
    type: Type.Optional(eventFields.type),
    url: Type.Optional(eventFields.url),
    name: eventFields.name,
    referrer: eventFields.referrer,
    props: eventFields.props,
    duration: eventFields.duration,
    events: Type.Optional(Type.Array(EventItem, { minItems: 1, maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const IngestResult = Type.Object({ accepted: Type.Integer(), ignored: Type.Optional(Type.String()) });
