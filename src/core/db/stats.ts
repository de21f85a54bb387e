import type { CompiledQuery } from 'kysely';

/** Runs one statement inside a tracing span (set only while tracing is on). */
export type StatementTracer = <R>(query: CompiledQuery, run: () => Promise<R>) => Promise<R>;

export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'other';

/** The statement's first keyword, for a bounded metric label (a WITH … is "other"). */
export function statementKind(sqlText: string): StatementKind {
  const word = /^\s*(\w+)/.exec(sqlText)?.[1]?.toLowerCase();
  return word === 'select' || word === 'insert' || word === 'update' || word === 'delete' ? word : 'other';
}

/**
 * What the connection wrapper (tx-guard.ts) counts for operators, in plain numbers on the query
 * path; metrics read them when scraped (core/metrics/database.ts). Works the same on SQLite (one
 * connection behind Kysely's mutex) and PostgreSQL (the pg pool): "in use" is a connection
 * acquired by Kysely and not yet released, "waiting" an acquisition not yet served.
 */
export class DbStats {
  inUse = 0;
  waiting = 0;
  /** Statements at or above `slowMs`, by kind, since the last scrape. */
  readonly slow = new Map<StatementKind, number>();
  /** Called for every slow statement (the app logs it: SQL text only, never the parameters). */
  onSlow: ((sqlText: string, ms: number) => void) | null = null;
  /** Set by tracing when it is on; null keeps the query path free of it. */
  tracer: StatementTracer | null = null;

  constructor(
    /** Connections the database can hand out at once (SQLite: 1). */
    readonly poolMax: number,
    /** A statement taking this long or longer counts as slow. */
    public slowMs: number,
  ) {}

  /** Records a finished statement that started at `start` (performance.now()). */
  finished(query: CompiledQuery, start: number): void {
    const ms = performance.now() - start;
    if (ms < this.slowMs) return;
    const kind = statementKind(query.sql);
    this.slow.set(kind, (this.slow.get(kind) ?? 0) + 1);
    this.onSlow?.(query.sql, ms);
  }
}
