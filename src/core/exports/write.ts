import { PassThrough, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { safeCell } from '../imports/safe-cell.js';
import { cellOf, type ListPage } from './walk.js';

export type ExportFormat = 'csv' | 'xlsx';

/**
 * The pages of a list as a CSV or XLSX byte stream, produced while it is read: a page is fetched
 * when the previous one has been written out (backpressure), so memory stays at one page plus
 * the writer's buffers whatever the size of the list. Columns are the first page's keys; every
 * cell goes through safeCell (formula injection). XLSX rows are committed as written (exceljs'
 * streaming writer, no shared strings), so the workbook is never held whole either.
 */
export function exportStream(pages: AsyncGenerator<ListPage>, first: ListPage, format: ExportFormat): Readable {
  const columns = [...new Set(first.data.flatMap((r) => Object.keys(r)))];
  async function* rows() {
    let page: ListPage | undefined = first;
    while (page) {
      for (const r of page.data) yield columns.map((c) => safeCell(cellOf(r, c)));
      const next = await pages.next();
      page = next.done ? undefined : next.value;
    }
  }
  if (format === 'csv') {
    const out = stringify({ bom: true });
    const src = Readable.from((async function* () {
      yield columns;
      yield* rows();
    })());
    src.on('error', (err) => out.destroy(err));
    return src.pipe(out);
  }
  const out = new PassThrough();
  void (async () => {
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
    const ws = wb.addWorksheet('export');
    ws.addRow(columns).commit();
    for await (const r of rows()) {
      ws.addRow(r).commit();
      // exceljs writes into `out` synchronously: wait while the reader is behind.
      if (out.writableNeedDrain) await new Promise((resolve) => out.once('drain', resolve));
    }
    ws.commit();
    await wb.commit();
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
