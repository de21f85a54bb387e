import type { Static, TObject } from 'typebox';
import type { Actor } from '../http/access.js';
import type { TxHandle } from '../outbox/outbox.js';
import type { ModuleContext } from '../module.js';

export type CheckResult = Array<{ field: string; message: string }> | void;

/** What `check` gets besides the row. */
export interface ImportCheckContext {
  ctx: ModuleContext;
  tenantId: string | null;
  locale: 'es' | 'en';
}

/** What a module's import handler learns about the import it writes a batch of. */
export interface ImportBatchContext {
  importId: string;
  /** The admin who started the import (an admin-token actor is a service actor). */
  actor: Actor;
  tenantId: string | null;
  /** The declaring module's context. */
  ctx: ModuleContext;
  /** Spreadsheet line of each row in the batch (same order as rows), for the module's own records. */
  lines: number[];
}

/**
 * An importable entity, declared by a module in its manifest (`imports: [defineImport({...})]`).
 * Neptuno uploads the file, maps its columns, validates every row against `row`, and calls
 * `write` with batches of rows never imported before (by `key`), each inside one transaction.
 */
export interface ImportDefinition<S extends TObject = TObject> {
  /** Short name; the entity is addressed as `<module>.<name>` (`users.users`, `wallet.grants`). */
  name: string;
  /** Shown in the entity list. */
  title: { es: string; en: string };
  /**
   * One row, as the module wants it. Cells are converted to the declared types first
   * (integers, numbers, booleans sí/no/yes/true/1, dates as ISO strings); strings are trimmed,
   * and an empty cell is a missing value (so optional columns may be left blank).
   */
  row: S;
  /**
   * Header names accepted for each field besides its own name, in Spanish and English. Matching
   * ignores case, accents, spaces and punctuation (`Correo electrónico` = `correo_electronico`).
   */
  aliases?: Partial<Record<keyof Static<S> & string, string[]>>;
  /**
   * The row's identity for de-duplication: a row whose key was imported before (in this tenant)
   * is skipped, so the same file or the same rows twice create nothing new. Rows of one file
   * sharing a key are a validation error (`duplicate_key`).
   */
  key: (row: Static<S>) => string;
  /**
   * Extra checks beyond the schema (a role that exists, a user found by email…), run during
   * validation with the declaring module's context: return an error message per field
   * (`{ field: 'role', message: 'unknown role' }`) or nothing. It may be async (a lookup), and
   * may complete the row (an email resolved to an account id): `write` runs inside a transaction,
   * where the module cannot query through `ctx.db`, so lookups belong here.
   */
  check?: (row: Static<S>, env: ImportCheckContext) => CheckResult | Promise<CheckResult>;
  /**
   * Writes a batch inside `trx` (the transaction also records the batch's keys, so both commit
   * together or not at all). Call your module's services: their `ctx.tx` joins this transaction.
   * Return how many records it created (defaults to the batch size).
   */
  write: (rows: Static<S>[], trx: TxHandle, batch: ImportBatchContext) => Promise<number | void>;
  /** Rows per transaction (default 200). */
  batchSize?: number;
}

/** Types an import declaration (identity function). */
export function defineImport<S extends TObject>(def: ImportDefinition<S>): ImportDefinition<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`Invalid import name "${def.name}": use lowercase letters, digits and dashes`);
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyImport = ImportDefinition<any>;
