import { Type } from 'typebox';
import { defaultScope } from '../http/scopes.js';
import type { App, KernelContext } from '../module.js';
import { listUrl, walkList } from './walk.js';
import { CONTENT_TYPES, exportStream } from './write.js';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() }, { additionalProperties: true });

/**
 * GET /v1/admin/exports?list=/v1/admin/coupons?type=credits&format=xlsx — any paginated admin
 * list as a CSV or XLSX download, streamed, with the list's own filters, as the same caller.
 */
export async function exportRoutes(app: App, ctx: KernelContext) {
  app.addHook('onRequest', ctx.access.requireAdmin);
  app.addHook('onRoute', defaultScope('admin'));
  app.get(
    '',
    {
      schema: {
        tags: ['exports', 'admin'],
        summary: 'Download any paginated admin list (with its filters) as CSV or XLSX, streamed page by page',
        querystring: Type.Object(
          {
            list: Type.String({ minLength: 10, maxLength: 2000, description: 'The list with its filters, e.g. /v1/admin/coupons?type=credits' }),
            format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' })),
          },
          { additionalProperties: false },
        ),
        produces: [CONTENT_TYPES.csv, CONTENT_TYPES.xlsx],
        response: { 400: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const url = listUrl(request.query.list);
      const format = request.query.format ?? 'csv';
      const pages = walkList(app, url, request.headers);
      // The first page before any byte is sent: its problem (a bad filter, a 403) is the answer.
      const first = await pages.next();
      if (first.done) throw new Error('unreachable: a list has a first page');
      const name = url.pathname.slice('/v1/admin/'.length).replace(/[^A-Za-z0-9_-]+/g, '-') || 'export';
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${name}.${format}"`)
        .send(exportStream(pages, first.value, format) as never);
    },
  );
}
