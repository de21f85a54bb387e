import type { Migration, Transaction } from 'kysely';
import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { Cache } from '../drivers/cache/contract.js';
import type { PubSub, Unsubscribe } from '../drivers/pubsub/contract.js';
import { HttpProblem, type FieldError } from '../http/problem.js';

export const settingsMigrations: Record<string, Migration> = {
  settings_0001_settings: {
    async up(db) {
      await db.schema
        .createTable('neptuno_settings')
        .ifNotExists()
        .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('neptuno_settings').execute();
    },
  },
};

export interface SettingDefinition {
  key: string;
  schema: TSchema;
  default: unknown;
  description: string;
}

export interface SettingView {
  key: string;
  value: unknown;
  default: unknown;
  description: string;
  updatedAt: string | null;
}

/** One key of an update: its effective value before and after (a reset's `after` is the default). */
export interface SettingChange {
  key: string;
  before: unknown;
  after: unknown;
}

export type SettingsWriteHook = (trx: Transaction<any>, changes: SettingChange[]) => Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CACHE_KEY = 'settings:all';
const CHANNEL = 'settings';

type Stored = Record<string, { value: unknown; updatedAt: string }>;

/**
 * Runtime settings: defined in code with a schema and default, overridden in the database,
 * read from an in-process snapshot (hot paths such as the module switch cost a Map lookup),
 * loaded through the cache, and refreshed on every replica by a pub/sub message on change.
 */
export class Settings {
  private readonly defs = new Map<string, SettingDefinition>();
  private snapshot: Stored = {};
  private unsubscribe?: Unsubscribe;
  private timer?: NodeJS.Timeout;
  private readonly updateListeners: Array<(keys: string[]) => unknown> = [];
  private writeHook?: SettingsWriteHook;

  constructor(
    private readonly db: Db,
    private readonly cache: Cache,
    private readonly pubsub: PubSub,
    private readonly log: Logger,
    private readonly onChange: (keys: string[]) => void | Promise<void> = () => {},
  ) {}

  /**
   * Calls fn once per successful update, on the replica that made it (the `settings.changed`
   * event, by contrast, runs on every replica). Best effort: an error is logged.
   */
  onUpdate(fn: (keys: string[]) => unknown): void {
    this.updateListeners.push(fn);
  }

  /**
   * Runs inside the transaction that writes an update, with each key's value before and after
   * (the kernel records the audit entries there, so they commit with the change or not at all).
   */
  onWrite(fn: SettingsWriteHook): void {
    this.writeHook = fn;
  }

  define(def: SettingDefinition): void {
    this.defs.set(def.key, def);
  }

  /** Loads the snapshot, listens for changes from other replicas, and re-reads periodically as a safety net. */
  async start(refreshMs = 30_000): Promise<void> {
    await this.reload();
    this.unsubscribe = await this.pubsub.subscribe(CHANNEL, async (msg) => {
      await this.reload().catch((err) => this.log.error({ err }, 'settings reload failed'));
      const keys = (msg as { keys?: string[] })?.keys ?? [];
      await this.onChange(keys);
    });
    this.timer = setInterval(() => void this.reload().catch(() => {}), refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
  }

  get<T = unknown>(key: string): T {
    const stored = this.snapshot[key];
    if (stored) return stored.value as T;
    const def = this.defs.get(key);
    if (!def) throw new Error(`Unknown setting ${key}`);
    return def.default as T;
  }

  list(): SettingView[] {
    return [...this.defs.values()]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((d) => ({
        key: d.key,
        value: this.get(d.key),
        default: d.default,
        description: d.description,
        updatedAt: this.snapshot[d.key]?.updatedAt ?? null,
      }));
  }

  /** Validates every key first, then writes all of them in one transaction; nothing is half-applied. */
  async update(patch: Record<string, unknown>): Promise<SettingView[]> {
    const errors: FieldError[] = [];
    for (const [key, value] of Object.entries(patch)) {
      const def = this.defs.get(key);
      if (!def) errors.push({ pointer: `/body/${key}`, code: 'unknown_setting', detail: `Unknown setting ${key}` });
      else if (value !== null && !Value.Check(def.schema, value)) {
        const first = Value.Errors(def.schema, value)[0];
        errors.push({ pointer: `/body/${key}`, code: 'invalid_value', detail: first?.message ?? 'invalid value' });
      }
    }
    if (errors.length) throw new HttpProblem(400, 'validation_failed', { errors });
    const keys = Object.keys(patch);
    if (!keys.length) return this.list();
    const now = new Date().toISOString();
    const changes = Object.entries(patch).map(([key, value]) => ({ key, before: this.get(key), after: value === null ? this.defs.get(key)!.default : value }));
    await this.db.transaction().execute(async (trx) => {
      for (const [key, value] of Object.entries(patch)) {
        // null resets to the default.
        if (value === null) {
          await trx.deleteFrom('neptuno_settings').where('key', '=', key).execute();
          continue;
        }
        const row = { key, value: JSON.stringify(value), updated_at: now };
        await trx
          .insertInto('neptuno_settings')
          .values(row)
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, updated_at: now }))
          .execute();
      }
      await this.writeHook?.(trx, changes);
    });
    await this.cache.delete(CACHE_KEY);
    await this.reload();
    // Every replica, this one included, hears the message and runs onChange.
    await this.pubsub.publish(CHANNEL, { keys });
    for (const fn of this.updateListeners) {
      try {
        await fn(keys);
      } catch (err) {
        this.log.error({ err }, 'settings update listener failed');
      }
    }
    return this.list();
  }

  private async reload(): Promise<void> {
    this.snapshot = await this.cache.getOrSet<Stored>(CACHE_KEY, 5_000, async () => {
      const rows = await this.db.selectFrom('neptuno_settings').selectAll().execute();
      const out: Stored = {};
      for (const r of rows) out[r.key] = { value: JSON.parse(r.value), updatedAt: r.updated_at };
      return out;
    });
  }
}

export const SettingsPatch = Type.Record(Type.String({ maxLength: 200 }), Type.Unknown());
