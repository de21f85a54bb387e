import { Type } from 'typebox';
import { defineImport } from '../../core/imports/types.js';

/**
 * Credit grants from a spreadsheet (docs/wallet.md#imports): one row per grant, identified by its
 * `rowKey`. Exactly once, twice over: the import skips keys it imported before, and the grant's
 * ledger source is `import:<tenant>:<rowKey>`, unique in wallet_transfers, so even a key table
 * wiped by hand cannot credit a row twice.
 */
export const grantsImport = defineImport({
  name: 'grants',
  title: { es: 'Concesiones de créditos', en: 'Credit grants' },
  row: Type.Object(
    {
      rowKey: Type.String({ minLength: 1, maxLength: 200 }),
      email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
      userId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
      kind: Type.Optional(Type.Union([Type.Literal('promotional'), Type.Literal('paid')])),
      reason: Type.String({ minLength: 1, maxLength: 500 }),
      expiresAt: Type.Optional(Type.String({ format: 'date' })),
    },
    { additionalProperties: false },
  ),
  aliases: {
    rowKey: ['clave', 'clave de fila', 'referencia', 'id', 'key', 'row key', 'reference'],
    email: ['correo', 'correo electrónico', 'e-mail', 'mail'],
    userId: ['usuario', 'id de usuario', 'user', 'user id'],
    amount: ['cantidad', 'créditos', 'creditos', 'importe', 'credits', 'quantity'],
    kind: ['tipo', 'type'],
    reason: ['motivo', 'concepto', 'razón', 'description', 'descripción'],
    expiresAt: ['vence', 'vencimiento', 'caduca', 'expira', 'expires', 'expiry', 'expiration'],
  },
  key: (row) => row.rowKey,
  async check(row, { ctx, locale }) {
    const es = locale === 'es';
    if (!row.email === !row.userId) return [{ field: 'email', message: es ? 'Indica el correo o el id de usuario (uno de los dos)' : 'Give the email or the user id (one of them)' }];
    if (row.expiresAt && Date.parse(`${row.expiresAt}T23:59:59Z`) <= Date.now()) return [{ field: 'expiresAt', message: es ? 'La fecha ya pasó' : 'The date has passed' }];
    const found = row.email ? await ctx.services.auth.findByEmail(row.email) : await ctx.services.auth.getUser(row.userId!);
    if (!found) return [{ field: row.email ? 'email' : 'userId', message: es ? 'No hay ninguna cuenta así' : 'No such account' }];
    // Resolved here, outside the write transaction (the job validates every row again before writing).
    row.userId = found.id;
  },
  async write(rows, _trx, { ctx, actor, tenantId }) {
    let created = 0;
    for (const row of rows) {
      const userId = row.userId!;
      const res = await ctx.services.wallet.grant(
        { userId },
        {
          amount: row.amount,
          kind: row.kind ?? 'promotional',
          source: `import:${tenantId ?? ''}:${row.rowKey}`,
          reason: row.reason,
          expiresAt: row.expiresAt ? `${row.expiresAt}T23:59:59.000Z` : null,
          actorId: actor.id,
          metadata: { import: true },
        },
      );
      if (res.created) created++;
    }
    return created;
  },
});
