import { Type, type TSchema } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { notFound } from '../../core/http/problem.js';
import { Page, PageQuery, paginate } from '../../core/db/paginate.js';
import { BadgeDef, ChallengeDef, EventTypeDef, Key, LevelDef, type GamificationConfig } from './config.js';
import type { Kind } from './definitions.js';
import { typedDb } from '../../core/db/dialect.js';
import type { DefinitionRow, GamificationTables } from './schema.js';
import type { GamificationService } from './service.js';

const BODIES: Record<Kind, TSchema> = {
  'event-types': EventTypeDef,
  badges: BadgeDef,
  levels: LevelDef,
  challenges: ChallengeDef,
};

const DefinitionOut = Type.Object({
  key: Type.String(),
  /** yaml: still follows neptuno.yaml; admin: edited here, yaml no longer applies. */
  source: Type.String(),
  updatedAt: Type.String(),
  definition: Type.Unknown(),
});

const view = (r: DefinitionRow) => ({ key: r.key, source: r.source, updatedAt: r.updated_at, definition: JSON.parse(r.body) });

/**
 * /v1/admin/gamification/{event-types|badges|levels|challenges}[/:key] — the kernel requires the
 * admin role. Changes apply at once on every replica (no restart).
 */
export async function gamificationAdminRoutes(app: App, ctx: ModuleContext<GamificationConfig>) {
  const defs = () => (ctx.services.gamification as GamificationService).definitions;
  const db = typedDb<GamificationTables>(ctx);
  const Params = Type.Object({ key: Key });

  for (const kind of Object.keys(BODIES) as Kind[]) {
    const tags = ['gamification', 'admin'];
    app.get(
      `/${kind}`,
      { schema: { tags, summary: `List ${kind}`, querystring: PageQuery, response: { 200: Page(DefinitionOut) } } },
      async (request) => {
        const q = db.selectFrom('gam_definitions').selectAll().where('kind', '=', kind).where('deleted', '=', 0);
        const page = await paginate(q, { ...request.query, orderBy: ['key'], direction: 'asc', key: (r) => [r.key] });
        return { data: page.data.map(view), nextCursor: page.nextCursor };
      },
    );

    app.get(`/${kind}/:key`, { schema: { tags, summary: `Read one of ${kind}`, params: Params, response: { 200: DefinitionOut } } }, async (request) => {
      const row = await defs().row(kind, request.params.key);
      if (!row || row.deleted) throw notFound('definition_not_found', { params: { key: request.params.key } });
      return view(row);
    });

    app.put(
      `/${kind}/:key`,
      {
        schema: {
          tags,
          summary: `Create or replace one of ${kind} (the database then wins over neptuno.yaml for this key)`,
          params: Params,
          body: BODIES[kind],
          response: { 200: DefinitionOut, 201: DefinitionOut },
        },
      },
      async (request, reply) => {
        const created = await defs().put(kind, request.params.key, request.body as never);
        const row = (await defs().row(kind, request.params.key))!;
        return reply.code(created ? 201 : 200).send(view(row));
      },
    );

    app.delete(`/${kind}/:key`, { schema: { tags, summary: `Delete one of ${kind}`, params: Params } }, async (request, reply) => {
      if (!(await defs().remove(kind, request.params.key))) throw notFound('definition_not_found', { params: { key: request.params.key } });
      return reply.code(204).send();
    });
  }
}
