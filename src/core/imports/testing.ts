import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import type { TestApp } from '../../testing/app.js';
import { waitFor } from '../../testing/wait.js';

/** Test helpers for imports (not shipped behaviour). */

/** A CSV in Windows-1252 (what Excel saves as "CSV" on a Spanish Windows), `;`-separated. */
export function latin1Csv(rows: unknown[][], delimiter = ';'): Buffer {
  const text = rows.map((r) => r.map((c) => String(c)).join(delimiter)).join('\r\n') + '\r\n';
  const bytes = Buffer.alloc(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new Error(`not Latin-1: ${text[i]}`);
    bytes[i] = code;
  }
  return bytes;
}

/** A UTF-8 CSV, with a BOM by default (Excel's "CSV UTF-8"). */
export function utf8Csv(rows: unknown[][], { delimiter = ',', bom = true } = {}): Buffer {
  const quote = (c: unknown) => {
    const s = String(c);
    return /[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const text = rows.map((r) => r.map(quote).join(delimiter)).join('\n') + '\n';
  return Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
}

/** An XLSX written by exceljs (the spreadsheet library), first sheet = the rows. */
export async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Datos');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function upload(t: TestApp, headers: Record<string, string>, entity: string, content: Buffer, opts: { type?: string; filename?: string; lang?: string } = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/v1/admin/imports/entities/${entity}?filename=${encodeURIComponent(opts.filename ?? 'datos.csv')}`,
    headers: { ...headers, 'content-type': opts.type ?? 'text/csv', 'accept-language': opts.lang ?? 'es' },
    payload: content,
  });
}

/** Starts a validated import and waits for the job (the app must run workers). */
export async function runToEnd(t: TestApp, headers: Record<string, string>, id: string) {
  const res = await t.app.inject({ method: 'POST', url: `/v1/admin/imports/${id}/start`, headers });
  if (res.statusCode !== 202) throw new Error(`start: ${res.statusCode} ${res.body}`);
  let last: Record<string, unknown> = {};
  await waitFor(async () => {
    last = (await t.app.inject({ method: 'GET', url: `/v1/admin/imports/${id}`, headers })).json();
    return last.status === 'completed' || last.status === 'failed';
  }, `import ${id} to finish`);
  return last;
}

/**
 * A ZIP written by hand, for hostile XLSX files: each entry deflated, its central-directory size
 * `declaredSize` when given (a header that lies). CRCs are left 0: the guard never gets that far.
 */
export function handZip(entries: Array<{ name: string; data: Buffer; declaredSize?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const data = deflateRawSync(e.data);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
