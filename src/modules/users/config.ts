import { Type, type Static } from 'typebox';

const FieldName = '^[a-zA-Z][a-zA-Z0-9_]{0,39}$';

/** One custom profile field declared in neptuno.yaml. */
export const CustomFieldSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('string'), Type.Literal('integer'), Type.Literal('boolean'), Type.Literal('enum')]),
    /** A required field must have a value after every PATCH (it can be set, never cleared). */
    required: Type.Optional(Type.Boolean()),
    /** string: maximum length (default 500); integer: maximum value. */
    max: Type.Optional(Type.Integer()),
    /** integer: minimum value. */
    min: Type.Optional(Type.Integer()),
    /** enum: the allowed values. */
    values: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 200 })),
  },
  { additionalProperties: false },
);

/** `modules.users` in neptuno.yaml. */
export const UsersConfigSchema = Type.Object(
  {
    /** Locales a profile may choose. */
    locales: Type.Array(Type.String({ pattern: '^[a-z]{2}(-[A-Z]{2})?$' }), { minItems: 1, default: ['es', 'en'] }),
    customFields: Type.Record(Type.String({ pattern: FieldName }), CustomFieldSchema, { default: {} }),
  },
  { additionalProperties: false, default: {} },
);

export type UsersConfig = Static<typeof UsersConfigSchema>;
export type CustomField = Static<typeof CustomFieldSchema>;

export const STRING_FIELD_DEFAULT_MAX = 500;

/** Start-up check of things the schema cannot express (an enum needs values). */
export function checkCustomFields(fields: Record<string, CustomField>): void {
  for (const [name, f] of Object.entries(fields)) {
    if (f.type === 'enum' && !f.values?.length) throw new Error(`modules.users.customFields.${name}: an enum needs "values"`);
    if (f.type !== 'enum' && f.values) throw new Error(`modules.users.customFields.${name}: "values" is only for enums`);
    if (f.type === 'boolean' && (f.max !== undefined || f.min !== undefined)) {
      throw new Error(`modules.users.customFields.${name}: a boolean takes no min/max`);
    }
  }
}
