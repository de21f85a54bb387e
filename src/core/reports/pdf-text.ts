import { inflateSync } from 'node:zlib';

/**
 * The text of a PDF written with the standard fonts (what Neptuno's reports use), for tests:
 * inflates every content stream and decodes the hex strings of its Tj/TJ operators from
 * WinAnsiEncoding. One line per text operator. Not a general PDF reader.
 */
export function pdfText(pdf: Buffer): string {
  const out: string[] = [];
  const src = pdf.toString('latin1');
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const start = m.index + m[0].length;
    const end = src.indexOf('endstream', start);
    if (end < 0) break;
    const raw = pdf.subarray(start, end);
    let content: string;
    try {
      content = inflateSync(raw).toString('latin1');
    } catch {
      content = raw.toString('latin1');
    }
    for (const op of content.matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hexes = op[1] !== undefined ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]) : [op[2]];
      out.push(hexes.map((h) => new TextDecoder('windows-1252').decode(Buffer.from(h, 'hex'))).join(''));
    }
    re.lastIndex = end;
  }
  return out.join('\n');
}
