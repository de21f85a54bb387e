import { Readable, Transform } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Delimiter, TextEncoding } from './encoding.js';

export type SheetFormat = { kind: 'csv'; encoding: TextEncoding; delimiter: Delimiter } | { kind: 'xlsx' };

/** A problem with the file as a whole (not one row): the upload is refused with it. */
export class FileProblem extends Error {
  constructor(
    readonly code: 'import_malformed_file' | 'import_cell_too_large',
    readonly line: number,
  ) {
    super(`${code} at line ${line}`);
  }
}

/** Bytes → text in the detected encoding, across chunk boundaries; the BOM is dropped. */
function decoder(encoding: TextEncoding): Transform {
  const td = new TextDecoder(encoding, { ignoreBOM: false });
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, td.decode(chunk, { stream: true }));
    },
    flush(done) {
      done(null, td.decode());
    },
  });
}

/**
 * The rows of a CSV, header first, each a list of cell texts with its line number. Streams:
 * memory holds one record at a time. `max_record_size` bounds one record (a huge cell, or an
 * unclosed quote swallowing the rest of the file) before csv-parse buffers it.
 */
async function* csvRows(input: Readable, format: Extract<SheetFormat, { kind: 'csv' }>, maxCellChars: number): AsyncGenerator<{ line: number; cells: string[] }> {
  const parser = parse({
    delimiter: format.delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: maxCellChars * 4,
    info: true,
  });
  const text = input.pipe(decoder(format.encoding));
  text.on('error', (err) => parser.destroy(err));
  text.pipe(parser);
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (rec.record.some((c) => c.length > maxCellChars)) throw new FileProblem('import_cell_too_large', rec.info.lines);
      yield { line: rec.info.lines, cells: rec.record };
    }
  } catch (err) {
    const e = err as { code?: string; lines?: number };
    if (e.code === 'CSV_MAX_RECORD_SIZE') throw new FileProblem('import_cell_too_large', e.lines ?? 0);
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) throw new FileProblem('import_malformed_file', e.lines ?? 0);
    throw err;
  } finally {
    input.destroy();
  }
}

type CellValue = ExcelJS.CellValue;

/** An XLSX cell as text: dates as ISO (a date-only cell as YYYY-MM-DD), formulas by their cached result. */
function cellText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText(v.result as CellValue);
    if ('formula' in v || 'sharedFormula' in v) return '';
    if ('text' in v) return String(v.text);
    if ('error' in v) return '';
    return '';
  }
  return String(v);
}

/** The rows of the first worksheet of an XLSX (already through the zip-bomb guard), header first. */
async function* xlsxRows(input: Readable, maxCellChars: number): AsyncGenerator<{ line: number; cells: string[] }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'emit' });
  try {
    for await (const sheet of reader) {
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        const values = (row.values as CellValue[]) ?? [];
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) {
          const text = cellText(values[i]);
          if (text.length > maxCellChars) throw new FileProblem('import_cell_too_large', row.number);
          cells.push(text);
        }
        if (cells.some((c) => c.trim() !== '')) yield { line: row.number, cells };
      }
      break; // the first worksheet only
    }
  } catch (err) {
    if (err instanceof FileProblem) throw err;
    throw new FileProblem('import_malformed_file', 0);
  } finally {
    input.destroy();
  }
}

/** Rows of a CSV or XLSX stream, header first, with their line numbers in the file. */
export function readRows(input: Readable, format: SheetFormat, maxCellChars: number): AsyncGenerator<{ line: number; cells: string[] }> {
  return format.kind === 'csv' ? csvRows(input, format, maxCellChars) : xlsxRows(input, maxCellChars);
}

/**
 * A buffer as a stream of 64 kB chunks: csv-parse handles each chunk whole, so one 14 MB chunk
 * would parse a million rows before the row cap could stop it at the first 100,000.
 */
export const bufferStream = (buf: Buffer) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < buf.length; i += 65_536) yield buf.subarray(i, i + 65_536);
    })(),
  );
