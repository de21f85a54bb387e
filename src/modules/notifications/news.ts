import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { timestampParam, toIso, toIsoOrNull, typedDb } from '../../core/db/dialect.js';
import { parseDateTime } from '../../core/http/datetime.js';
import { badRequest, conflict, notFound, type FieldError } from '../../core/http/problem.js';
import type { Actor } from '../../core/http/access.js';
import { LOCALES, type Locale } from '../../core/i18n/index.js';
import type { ModuleContext } from '../../core/module.js';
import type { NotificationsConfig } from './config.js';
import type { NewsAudience, NewsRow, NotificationTables } from './schema.js';

export type Localized = Partial<Record<Locale, string>>;

export interface NewsInput {
  title: Localized;
  body: Localized;
  link?: string | null;
  audience: NewsAudience;
  /** The role name or tenant id when audience is `role` or `tenant`. */
  audienceValue?: string | null;
  startsAt?: string | null;
  endsAt?: string | null;
  priority?: number;
  dismissible?: boolean;
}

export interface NewsItem {
  id: string;
  title: Localized;
  body: Localized;
  link: string | null;
  audience: NewsAudience;
  audienceValue: string | null;
  startsAt: string | null;
  endsAt: string | null;
  priority: number;
  dismissible: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What the landing page's dropdown shows: one language, only what this visitor may see. */
export interface PublicNewsItem {
  id: string;
  title: string;
  body: string;
  link: string | null;
  priority: number;
  dismissible: boolean;
  startsAt: string | null;
}

const toNews = (r: NewsRow): NewsItem => ({
  id: r.id,
  title: JSON.parse(r.title) as Localized,
  body: JSON.parse(r.body) as Localized,
  link: r.link,
  audience: r.audience,
  audienceValue: r.audience_value,
  startsAt: toIsoOrNull(r.starts_at),
  endsAt: toIsoOrNull(r.ends_at),
  priority: r.priority,
  dismissible: r.dismissible === 1,
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});

const pick = (text: Localized, locale: Locale, fallback: Locale): string =>
  text[locale] ?? text[fallback] ?? LOCALES.map((l) => text[l]).find((t) => t !== undefined) ?? '';

/** The news bar: admin-managed items with an audience and a time window, dismissible per visitor. */
export class News {
  private readonly db;

  constructor(private readonly ctx: ModuleContext<NotificationsConfig>) {
    this.db = typedDb<NotificationTables>(ctx);
  }

  private check(input: NewsInput): { startsAt: string | null; endsAt: string | null } {
    const errors: FieldError[] = [];
    if (!LOCALES.some((l) => input.title[l])) errors.push({ pointer: '/body/title', code: 'required', detail: 'Give the title in es and/or en' });
    if (!LOCALES.some((l) => input.body[l])) errors.push({ pointer: '/body/body', code: 'required', detail: 'Give the body in es and/or en' });
    const needsValue = input.audience === 'role' || input.audience === 'tenant';
    if (needsValue && !input.audienceValue) errors.push({ pointer: '/body/audienceValue', code: 'required', detail: 'The role or tenant this item is for' });
    if (input.audience === 'role' && input.audienceValue && !Object.hasOwn(this.ctx.appConfig.roles, input.audienceValue)) {
      errors.push({ pointer: '/body/audienceValue', code: 'unknown_role', detail: `No role ${input.audienceValue}` });
    }
    const date = (v: string | null | undefined, pointer: string) => {
      if (v === null || v === undefined) return null;
      const d = parseDateTime(v);
      if (!d) errors.push({ pointer, code: 'format', detail: 'Not a date-time' });
      return d?.toISOString() ?? null;
    };
    const startsAt = date(input.startsAt, '/body/startsAt');
    const endsAt = date(input.endsAt, '/body/endsAt');
    if (startsAt && endsAt && endsAt <= startsAt) errors.push({ pointer: '/body/endsAt', code: 'range', detail: 'Must be after startsAt' });
    if (errors.length) throw badRequest('validation_failed', { errors });
    return { startsAt, endsAt };
  }

  async create(input: NewsInput): Promise<NewsItem> {
    const { startsAt, endsAt } = this.check(input);
    const now = new Date().toISOString();
    const row: NewsRow = {
      id: randomUUID(),
      title: JSON.stringify(input.title),
      body: JSON.stringify(input.body),
      link: input.link ?? null,
      audience: input.audience,
      audience_value: input.audience === 'role' || input.audience === 'tenant' ? input.audienceValue! : null,
      starts_at: startsAt,
      ends_at: endsAt,
      priority: input.priority ?? 0,
      dismissible: input.dismissible === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('notif_news').values(row).execute();
    return toNews(row);
  }

  async get(id: string): Promise<NewsItem> {
    const row = await this.db.selectFrom('notif_news').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('news_not_found');
    return toNews(row);
  }

  /** A partial edit: the result is checked as a whole (dates in order, audience value present). */
  async update(id: string, patch: Partial<NewsInput>): Promise<NewsItem> {
    const current = await this.get(id);
    const merged: NewsInput = { ...current, ...patch };
    const { startsAt, endsAt } = this.check(merged);
    await this.db
      .updateTable('notif_news')
      .set({
        title: JSON.stringify(merged.title),
        body: JSON.stringify(merged.body),
        link: merged.link ?? null,
        audience: merged.audience,
        audience_value: merged.audience === 'role' || merged.audience === 'tenant' ? merged.audienceValue! : null,
        starts_at: startsAt,
        ends_at: endsAt,
        priority: merged.priority ?? 0,
        dismissible: merged.dismissible === false ? 0 : 1,
        updated_at: new Date().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const res = await this.db.deleteFrom('notif_news').where('id', '=', id).executeTakeFirst();
    if (!Number(res.numDeletedRows)) throw notFound('news_not_found');
    await this.db.deleteFrom('notif_news_dismissals').where('news_id', '=', id).execute();
  }

  list(page: { limit?: number; cursor?: string }): Promise<PageResult<NewsItem>> {
    return paginate(this.db.selectFrom('notif_news').selectAll(), {
      ...page,
      orderBy: ['created_at', 'id'],
      key: (r) => [toIso(r.created_at), r.id],
    }).then((p) => ({ data: p.data.map(toNews), nextCursor: p.nextCursor }));
  }

  /** Live items this visitor may see and has not dismissed, highest priority first, in their language (at most 20). */
  async forVisitor(actor: Actor | null, locale: Locale): Promise<PublicNewsItem[]> {
    const now = timestampParam(this.ctx.dialect, new Date().toISOString());
    let q = this.db
      .selectFrom('notif_news as n')
      .selectAll('n')
      .where(sql<boolean>`(n.starts_at is null or n.starts_at <= ${now})`)
      .where(sql<boolean>`(n.ends_at is null or n.ends_at > ${now})`)
      .where((eb) => {
        const allowed = [eb('n.audience', '=', 'everyone')];
        if (actor?.type === 'guest') allowed.push(eb('n.audience', '=', 'guests'));
        if (actor?.type === 'user') {
          allowed.push(eb('n.audience', '=', 'users'));
          if (actor.role) allowed.push(eb.and([eb('n.audience', '=', 'role'), eb('n.audience_value', '=', actor.role)]));
          if (actor.tenantId) allowed.push(eb.and([eb('n.audience', '=', 'tenant'), eb('n.audience_value', '=', actor.tenantId)]));
        }
        return eb.or(allowed);
      });
    if (actor && actor.type !== 'service') {
      q = q.where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('notif_news_dismissals as d')
              .select('d.news_id')
              .whereRef('d.news_id', '=', 'n.id')
              .where('d.actor_type', '=', actor.type as 'user' | 'guest')
              .where('d.actor_id', '=', actor.id),
          ),
        ),
      );
    }
    const rows = await q.orderBy('n.priority', 'desc').orderBy('n.created_at', 'desc').orderBy('n.id').limit(20).execute();
    const fallback = this.ctx.i18n.defaultLocale;
    return rows.map((r) => ({
      id: r.id,
      title: pick(JSON.parse(r.title) as Localized, locale, fallback),
      body: pick(JSON.parse(r.body) as Localized, locale, fallback),
      link: r.link,
      priority: r.priority,
      dismissible: r.dismissible === 1,
      startsAt: toIsoOrNull(r.starts_at),
    }));
  }

  /** Remembers that this user or guest closed the item; idempotent. */
  async dismiss(actor: Actor, id: string): Promise<void> {
    const row = await this.db.selectFrom('notif_news').select(['id', 'dismissible']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('news_not_found');
    if (row.dismissible !== 1) throw conflict('news_not_dismissible');
    await this.db
      .insertInto('notif_news_dismissals')
      .values({ news_id: id, actor_type: actor.type as 'user' | 'guest', actor_id: actor.id, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['news_id', 'actor_type', 'actor_id']).doNothing())
      .execute();
  }

  /** A guest who signs up keeps their dismissals. */
  async merge(guestId: string, userId: string): Promise<void> {
    const rows = await this.db.selectFrom('notif_news_dismissals').select('news_id').where('actor_type', '=', 'guest').where('actor_id', '=', guestId).execute();
    for (const r of rows) {
      await this.db
        .insertInto('notif_news_dismissals')
        .values({ news_id: r.news_id, actor_type: 'user', actor_id: userId, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['news_id', 'actor_type', 'actor_id']).doNothing())
        .execute();
    }
    await this.db.deleteFrom('notif_news_dismissals').where('actor_type', '=', 'guest').where('actor_id', '=', guestId).execute();
  }

  async forget(type: 'user' | 'guest', ids: string[]): Promise<void> {
    if (ids.length) await this.db.deleteFrom('notif_news_dismissals').where('actor_type', '=', type).where('actor_id', 'in', ids).execute();
  }
}
