import type { TObject } from 'typebox';
import type { AnyImport } from './types.js';

/** `Correo electrónico` → `correoelectronico`: case, accents, spaces and punctuation do not count. */
export const normalizeHeader = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

export interface ColumnMapping {
  /** field → index of the column holding it (null: no column). */
  fields: Record<string, number | null>;
  /** Headers no field claimed (ignored by the import). */
  ignored: string[];
  /** Required fields without a column: the file cannot be imported. */
  missing: string[];
}

export function requiredFields(schema: TObject): string[] {
  return (schema.required as string[] | undefined) ?? [];
}

/** Matches each header to a field by its name or one of its aliases (es/en). */
export function detectMapping(def: AnyImport, headers: string[]): ColumnMapping {
  const byName = new Map<string, string>();
  for (const field of Object.keys(def.row.properties)) {
    byName.set(normalizeHeader(field), field);
    for (const alias of (def.aliases as Record<string, string[]> | undefined)?.[field] ?? []) byName.set(normalizeHeader(alias), field);
  }
  const fields: Record<string, number | null> = Object.fromEntries(Object.keys(def.row.properties).map((f) => [f, null]));
  const ignored: string[] = [];
  headers.forEach((h, i) => {
    const field = byName.get(normalizeHeader(h));
    if (field && fields[field] === null) fields[field] = i;
    else ignored.push(h);
  });
  const missing = requiredFields(def.row).filter((f) => fields[f] === null);
  return { fields, ignored, missing };
}
