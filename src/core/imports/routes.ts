import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { Type } from 'typebox';
import type { Actor } from '../http/access.js';
import { Page, PageQuery } from '../db/paginate.js';
import { defaultScope } from '../http/scopes.js';
import { unauthorized } from '../http/problem.js';
import type { App, KernelContext } from '../module.js';
import { safeCell } from './safe-cell.js';
import type { Imports } from './service.js';

/** Content types a spreadsheet upload may come as (browsers send .csv as text/csv or application/vnd.ms-excel). */
export const UPLOAD_TYPES = [
  'text/csv',
  'text/plain',
  'application/csv',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/octet-stream',
];

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() }, { additionalProperties: true });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });
const EntityParams = Type.Object({ entity: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const ImportView = Type.Object({
  id: Type.String(),
  entity: Type.String(),
  status: Type.String(),
  filename: Type.String(),
  format: Type.Record(Type.String(), Type.String()),
  totalRows: Type.Integer(),
  errorRows: Type.Integer(),
  processedRows: Type.Integer(),
  createdRows: Type.Integer(),
  skippedRows: Type.Integer(),
  percent: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});
const RowError = Type.Object({ field: Type.Union([Type.String(), Type.Null()]), code: Type.String(), message: Type.String() });
const Upload = Type.Intersect([
  ImportView,
  Type.Object({
    mapping: Type.Array(Type.Object({ field: Type.String(), column: Type.Union([Type.String(), Type.Null()]), required: Type.Boolean() })),
    ignoredColumns: Type.Array(Type.String()),
    preview: Type.Array(Type.Object({ line: Type.Integer(), values: Type.Record(Type.String(), Type.Unknown()), errors: Type.Array(RowError) })),
  }),
]);

async function admin(request: { actor(): Promise<Actor | null> }): Promise<Actor> {
  const actor = await request.actor();
  if (!actor) throw unauthorized('authentication_required');
  return actor;
}

/** Streams rows as a CSV download (UTF-8 with a BOM, so Excel shows accents; every cell through safeCell). */
export function sendCsv(reply: FastifyReply, filename: string, header: string[], rows: AsyncIterable<unknown[]>) {
  const out = stringify({ bom: true });
  Readable.from(
    (async function* () {
      yield header.map(safeCell);
      for await (const r of rows) yield r.map(safeCell);
    })(),
  )
    .on('error', (err) => out.destroy(err))
    .pipe(out);
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(out);
}

/** /v1/admin/imports: admin only; every list and status is scoped to the admin's tenant. */
export async function importRoutes(app: App, ctx: KernelContext, imports: Imports) {
  app.addHook('onRequest', ctx.access.requireAdmin);
  app.addHook('onRoute', defaultScope('admin'));
  app.addContentTypeParser(UPLOAD_TYPES, { parseAs: 'buffer', bodyLimit: imports.limits.maxBytes }, (_req, body, done) => done(null, body));
  const tags = ['imports', 'admin'];

  app.get(
    '/entities',
    {
      schema: {
        tags,
        summary: 'What can be imported: each entity with its columns (field, aliases es/en, required)',
        response: {
          200: Type.Object({
            data: Type.Array(
              Type.Object({
                entity: Type.String(),
                title: Type.String(),
                columns: Type.Array(Type.Object({ field: Type.String(), required: Type.Boolean(), aliases: Type.Array(Type.String()) })),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const locale = ctx.i18n.negotiate(request.headers['accept-language']);
      return {
        data: [...imports.byName.values()].map(({ entity, def }) => ({
          entity,
          title: def.title[locale],
          columns: Object.keys(def.row.properties).map((field) => ({
            field,
            required: ((def.row.required as string[] | undefined) ?? []).includes(field),
            aliases: (def.aliases as Record<string, string[]> | undefined)?.[field] ?? [],
          })),
        })),
      };
    },
  );

  app.post(
    '/entities/:entity',
    {
      schema: {
        tags,
        summary: 'Upload a CSV (any delimiter, UTF-8 or Latin-1) or XLSX: every row is validated, nothing is written until POST /:id/start',
        params: EntityParams,
        querystring: Type.Object({ filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\\\\\u0000-\\u001f]+$' })) }, { additionalProperties: false }),
        consumes: UPLOAD_TYPES,
        response: { 201: Upload, 404: Problem, 413: Problem, 415: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const actor = await admin(request);
      const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const result = await imports.upload({
        entity: request.params.entity,
        content,
        filename: request.query.filename ?? 'upload',
        contentType: request.headers['content-type']?.split(';')[0] ?? 'application/octet-stream',
        actor,
        locale: ctx.i18n.negotiate(request.headers['accept-language']),
      });
      return reply.code(201).send(result);
    },
  );

  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'Imports, newest first',
        querystring: Type.Object({ ...PageQuery.properties, entity: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }),
        response: { 200: Page(ImportView) },
      },
    },
    async (request) => imports.list(await admin(request), request.query),
  );

  app.get(
    '/:id',
    { schema: { tags, summary: 'An import: status, counts, progress (percent)', params: IdParams, response: { 200: ImportView, 404: Problem } } },
    async (request) => imports.get(request.params.id, await admin(request)),
  );

  app.get(
    '/:id/errors',
    {
      schema: {
        tags,
        summary: 'The validation errors, by line',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Page(Type.Object({ line: Type.Integer(), field: Type.Union([Type.String(), Type.Null()]), code: Type.String(), message: Type.String() })), 404: Problem },
      },
    },
    async (request) => imports.errors(request.params.id, await admin(request), request.query),
  );

  app.get(
    '/:id/errors.csv',
    { schema: { tags, summary: 'The validation errors as a CSV download', params: IdParams, produces: ['text/csv'], response: { 404: Problem } } },
    async (request, reply) => {
      const actor = await admin(request);
      const view = await imports.get(request.params.id, actor);
      const locale = ctx.i18n.negotiate(request.headers['accept-language']);
      const header = locale === 'es' ? ['fila', 'campo', 'código', 'error'] : ['line', 'field', 'code', 'error'];
      const rows = (async function* () {
        for await (const e of imports.allErrors(view.id, actor)) yield [e.line, e.field ?? '', e.code, e.message];
      })();
      return sendCsv(reply, `import-${view.id}-errors.csv`, header, rows);
    },
  );

  app.post(
    '/:id/start',
    { schema: { tags, summary: 'Run a validated import as a job (progress: GET /:id and the realtime admin channel)', params: IdParams, response: { 202: ImportView, 404: Problem, 409: Problem } } },
    async (request, reply) => reply.code(202).send(await imports.start(request.params.id, await admin(request))),
  );
}
