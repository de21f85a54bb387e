import type { Logger } from 'pino';
import type { PubSub, Unsubscribe } from '../../core/drivers/pubsub/contract.js';
import { badRequest, type FieldError } from '../../core/http/problem.js';
import type { BadgeDef, ChallengeDef, EventTypeDef, GamificationConfig, LevelDef, NamesT } from './config.js';
import type { DefinitionRow, GamDb } from './schema.js';

/** URL segment of each definition kind under /v1/admin/gamification. */
export const KINDS = ['event-types', 'badges', 'levels', 'challenges'] as const;
export type Kind = (typeof KINDS)[number];

export interface Level extends LevelDef {
  key: string;
}

/** Everything the engine needs, read from memory on the hot path. */
export interface DefinitionSet {
  eventTypes: Map<string, EventTypeDef>;
  badges: Map<string, BadgeDef>;
  /** Ascending by threshold. */
  levels: Level[];
  challenges: Map<string, ChallengeDef>;
}

type Body = EventTypeDef | BadgeDef | LevelDef | ChallengeDef;

const CHANNEL = 'gamification.definitions';

export const nameOf = (names: NamesT | undefined, locale: 'es' | 'en', fallback: string): string =>
  names?.[locale] ?? names?.en ?? names?.es ?? fallback;

/** The level reached with `points` (the highest threshold at or below), or null below every threshold. */
export function levelFor(levels: Level[], points: number): Level | null {
  let found: Level | null = null;
  for (const l of levels) if (l.threshold <= points) found = l;
  return found;
}

function yamlRows(config: GamificationConfig): Array<{ kind: Kind; key: string; body: Body }> {
  const rows: Array<{ kind: Kind; key: string; body: Body }> = [];
  for (const [key, body] of Object.entries(config.eventTypes)) rows.push({ kind: 'event-types', key, body });
  for (const [key, body] of Object.entries(config.badges)) rows.push({ kind: 'badges', key, body });
  for (const [key, body] of Object.entries(config.levels)) rows.push({ kind: 'levels', key, body });
  for (const [key, body] of Object.entries(config.challenges)) rows.push({ kind: 'challenges', key, body });
  return rows;
}

/**
 * Definitions live in `gam_definitions`, seeded from yaml. Each replica keeps them in memory;
 * an admin change reloads this replica at once and every other one through a pub/sub message
 * (a periodic reload is the safety net if a message is lost).
 */
export class Definitions {
  current: DefinitionSet = { eventTypes: new Map(), badges: new Map(), levels: [], challenges: new Map() };
  private unsubscribe?: Unsubscribe;
  private timer?: NodeJS.Timeout;
  private listeners: Array<() => void> = [];

  constructor(
    private readonly db: GamDb,
    private readonly pubsub: PubSub,
    private readonly log: Logger,
    private readonly config: GamificationConfig,
  ) {}

  async start(refreshMs = 60_000): Promise<void> {
    await this.seed();
    await this.reload();
    this.unsubscribe = await this.pubsub.subscribe(CHANNEL, () => this.reload().catch((err) => this.log.error({ err }, 'reload failed')));
    this.timer = setInterval(() => void this.reload().catch(() => {}), refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
  }

  /** Called after each reload (e.g. to drop caches derived from definitions). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * Inserts yaml definitions whose key is not in the database yet, and refreshes rows that still
   * come from yaml. Rows an admin created, edited or deleted are left alone. Safe on many replicas.
   */
  async seed(): Promise<void> {
    const now = new Date().toISOString();
    const existing = await this.db.selectFrom('gam_definitions').select(['kind', 'key', 'body', 'source']).execute();
    const byId = new Map(existing.map((r) => [`${r.kind}/${r.key}`, r]));
    for (const { kind, key, body } of yamlRows(this.config)) {
      const json = JSON.stringify(body);
      const row = byId.get(`${kind}/${key}`);
      if (!row) {
        await this.db
          .insertInto('gam_definitions')
          .values({ kind, key, body: json, source: 'yaml', deleted: 0, updated_at: now })
          .onConflict((oc) => oc.columns(['kind', 'key']).doNothing())
          .execute();
      } else if (row.source === 'yaml' && row.body !== json) {
        await this.db
          .updateTable('gam_definitions')
          .set({ body: json, updated_at: now })
          .where('kind', '=', kind)
          .where('key', '=', key)
          .where('source', '=', 'yaml')
          .execute();
      }
    }
  }

  async reload(): Promise<void> {
    const rows = await this.db.selectFrom('gam_definitions').select(['kind', 'key', 'body']).where('deleted', '=', 0).execute();
    const next: DefinitionSet = { eventTypes: new Map(), badges: new Map(), levels: [], challenges: new Map() };
    for (const r of rows) {
      const body = JSON.parse(r.body);
      if (r.kind === 'event-types') next.eventTypes.set(r.key, body);
      else if (r.kind === 'badges') next.badges.set(r.key, body);
      else if (r.kind === 'levels') next.levels.push({ key: r.key, ...body });
      else if (r.kind === 'challenges') next.challenges.set(r.key, body);
    }
    next.levels.sort((a, b) => a.threshold - b.threshold || a.key.localeCompare(b.key));
    this.current = next;
    for (const fn of this.listeners) fn();
  }

  /** Rows of one kind, for the admin (with source and deletion marks). */
  async rows(kind: Kind): Promise<DefinitionRow[]> {
    return this.db.selectFrom('gam_definitions').selectAll().where('kind', '=', kind).orderBy('key').execute();
  }

  async row(kind: Kind, key: string): Promise<DefinitionRow | undefined> {
    return this.db.selectFrom('gam_definitions').selectAll().where('kind', '=', kind).where('key', '=', key).executeTakeFirst();
  }

  /** Creates or replaces a definition (admin source). Returns true when it did not exist (or was deleted). */
  async put(kind: Kind, key: string, body: Body): Promise<boolean> {
    this.checkReferences(kind, key, body);
    const before = await this.row(kind, key);
    const now = new Date().toISOString();
    const json = JSON.stringify(body);
    await this.db
      .insertInto('gam_definitions')
      .values({ kind, key, body: json, source: 'admin', deleted: 0, updated_at: now })
      .onConflict((oc) => oc.columns(['kind', 'key']).doUpdateSet({ body: json, source: 'admin', deleted: 0, updated_at: now }))
      .execute();
    await this.changed();
    return !before || before.deleted === 1;
  }

  /** Deletes (tombstones) a definition. False when there was none. */
  async remove(kind: Kind, key: string): Promise<boolean> {
    const res = await this.db
      .updateTable('gam_definitions')
      .set({ deleted: 1, source: 'admin', updated_at: new Date().toISOString() })
      .where('kind', '=', kind)
      .where('key', '=', key)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await this.changed();
    return true;
  }

  private async changed(): Promise<void> {
    await this.reload();
    // Every replica (this one too) reloads on the message.
    await this.pubsub.publish(CHANNEL, { at: Date.now() });
  }

  /** References to other definitions must exist: a badge counting an unknown event would never fire. */
  private checkReferences(kind: Kind, key: string, body: Body): void {
    const defs = this.current;
    const errors: FieldError[] = [];
    const needEvent = (event: string, pointer: string) => {
      if (!defs.eventTypes.has(event)) errors.push({ pointer, code: 'unknown_event_type', detail: `Unknown event type ${event}` });
    };
    if (kind === 'badges') {
      const rule = (body as BadgeDef).rule;
      if (rule.type === 'count' || rule.type === 'first') needEvent(rule.event, '/body/rule/event');
      if (rule.type === 'level' && !defs.levels.some((l) => l.key === rule.level)) {
        errors.push({ pointer: '/body/rule/level', code: 'unknown_level', detail: `Unknown level ${rule.level}` });
      }
    }
    if (kind === 'challenges') {
      const c = body as ChallengeDef;
      c.steps.forEach((s, i) => needEvent(s.event, `/body/steps/${i}/event`));
      if (c.reward?.badge && !defs.badges.has(c.reward.badge)) {
        errors.push({ pointer: '/body/reward/badge', code: 'unknown_badge', detail: `Unknown badge ${c.reward.badge}` });
      }
      if (c.startsAt && c.endsAt && Date.parse(c.startsAt) >= Date.parse(c.endsAt)) {
        errors.push({ pointer: '/body/endsAt', code: 'invalid_window', detail: 'endsAt must be after startsAt' });
      }
    }
    if (errors.length) throw badRequest('validation_failed', { errors, params: { key } });
  }
}
