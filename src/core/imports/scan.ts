import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { problem } from '../http/problem.js';
import { detectEncoding, sniffDelimiter } from './encoding.js';
import { buildRow, rowMessage, type Locale, type RowError } from './convert.js';
import { detectMapping, type ColumnMapping } from './mapping.js';
import { FileProblem, readRows, type SheetFormat } from './reader.js';
import type { AnyImport, ImportCheckContext } from './types.js';
import { checkZip, ZipRejected } from './zip-guard.js';

export interface ImportLimits {
  maxBytes: number;
  maxRows: number;
  maxCellChars: number;
  maxErrorsKept: number;
  xlsxMaxEntries: number;
  xlsxMaxUncompressedBytes: number;
}

/** What the file looks like: its format, after the zip-bomb guard for XLSX. 4xx problems for anything else. */
export function sniffFormat(content: Buffer, limits: ImportLimits): SheetFormat {
  if (content.length === 0) throw problem(422, 'import_empty_file');
  if (content.length > limits.maxBytes) throw problem(413, 'import_file_too_large', { params: { max: limits.maxBytes } });
  if (content[0] === 0x50 && content[1] === 0x4b) {
    try {
      checkZip(content, { maxEntries: limits.xlsxMaxEntries, maxUncompressedBytes: limits.xlsxMaxUncompressedBytes });
    } catch (err) {
      if (err instanceof ZipRejected) throw problem(422, 'import_xlsx_rejected', { detailKey: `import_xlsx_rejected.${err.reason}` });
      throw err;
    }
    return { kind: 'xlsx' };
  }
  const encoding = detectEncoding(content);
  // A NUL byte outside UTF-16 means a binary file (a PDF, an old .xls), not text.
  if (!encoding.startsWith('utf-16') && content.subarray(0, 65_536).includes(0)) throw problem(415, 'import_unsupported_file');
  const sample = new TextDecoder(encoding).decode(content.subarray(0, 65_536));
  return { kind: 'csv', encoding, delimiter: sniffDelimiter(sample) };
}

export interface ScannedRow {
  line: number;
  row: Record<string, unknown>;
  errors: RowError[];
}

export interface ScanResult {
  header: string[];
  mapping: ColumnMapping;
  total: number;
  errorRows: number;
  /** The first maxErrorsKept errors, with their lines. */
  errors: Array<RowError & { line: number }>;
  preview: ScannedRow[];
}

/**
 * Reads every row once: maps the header, builds and validates each row, finds keys repeated
 * within the file. Throws 4xx problems for the file as a whole (no header, missing columns,
 * too many rows, malformed CSV, a huge cell). `onValid` sees each valid row (the job writes them).
 */
export async function scanRows(
  def: AnyImport,
  input: Readable,
  format: SheetFormat,
  limits: ImportLimits,
  locale: Locale,
  env: ImportCheckContext,
  onValid?: (row: ScannedRow, key: string) => Promise<void>,
): Promise<ScanResult> {
  let header: string[] | null = null;
  let mapping: ColumnMapping | null = null;
  const keys = new Map<string, number>();
  const result: ScanResult = { header: [], mapping: { fields: {}, ignored: [], missing: [] }, total: 0, errorRows: 0, errors: [], preview: [] };
  try {
    for await (const { line, cells } of readRows(input, format, limits.maxCellChars)) {
      if (!header) {
        header = cells.map((c) => c.trim());
        mapping = detectMapping(def, header);
        if (mapping.missing.length) throw problem(422, 'import_missing_columns', { params: { columns: mapping.missing.join(', ') } });
        result.header = header;
        result.mapping = mapping;
        continue;
      }
      if (++result.total > limits.maxRows) throw problem(413, 'import_too_many_rows', { params: { max: limits.maxRows } });
      const { row, errors } = buildRow(def, mapping!, header.length, cells, locale);
      if (!errors.length && def.check) {
        for (const c of (await def.check(row as never, env)) ?? []) errors.push({ field: c.field, code: 'invalid', message: c.message });
      }
      let key = '';
      if (!errors.length) {
        key = String(def.key(row as never)).slice(0, 255);
        const first = keys.get(key);
        if (first !== undefined) errors.push({ field: null, code: 'duplicate_key', message: rowMessage('duplicate_key', locale, { line: first }) });
        else keys.set(key, line);
      }
      if (errors.length) {
        result.errorRows++;
        for (const e of errors) if (result.errors.length < limits.maxErrorsKept) result.errors.push({ ...e, line });
      } else if (onValid) await onValid({ line, row, errors }, key);
      if (result.preview.length < 10) result.preview.push({ line, row, errors });
    }
  } catch (err) {
    if (err instanceof FileProblem) throw problem(422, err.code, { params: { line: err.line, max: limits.maxCellChars } });
    throw err;
  }
  if (!header) throw problem(422, 'import_empty_file');
  return result;
}

export const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
