/**
 * How the bytes of an uploaded CSV are text. Spreadsheets saved by Excel in Spain or Latin
 * America are often Windows-1252 ("ANSI", Latin-1 plus €, “ ” …), newer ones UTF-8 with or
 * without a BOM, and "Unicode text" is UTF-16 with a BOM. A file that is valid UTF-8 is read as
 * UTF-8; anything else as Windows-1252, which maps every byte to a character, so a file never
 * fails to decode and á, ñ, ¿ come out right from either.
 */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export function detectEncoding(buf: Uint8Array): TextEncoding {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8';
  if (buf[0] === 0xff && buf[1] === 0xfe) return 'utf-16le';
  if (buf[0] === 0xfe && buf[1] === 0xff) return 'utf-16be';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

const CANDIDATES = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof CANDIDATES)[number];

/** Counts a delimiter outside double quotes on each of the first lines. */
function countsPerLine(text: string, d: string, lines: number): number[] {
  const out: number[] = [];
  let inQuotes = false;
  let n = 0;
  for (let i = 0; i < text.length && out.length < lines; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && c === d) n++;
    else if (!inQuotes && c === '\n') {
      out.push(n);
      n = 0;
    }
  }
  if (out.length < lines && n > 0) out.push(n);
  return out;
}

/**
 * The delimiter of a CSV from its first lines: the candidate found on every line the same number
 * of times (the most such), else the most frequent one in the header; `,` when none appears.
 * Excel writes `;` where the decimal separator is a comma (es-ES, es-CO), `,` elsewhere.
 */
export function sniffDelimiter(sample: string): Delimiter {
  let best: Delimiter = ',';
  let bestScore = -1;
  for (const d of CANDIDATES) {
    const counts = countsPerLine(sample, d, 20);
    if (!counts.length || counts[0] === 0) continue;
    const consistent = counts.every((c) => c === counts[0]);
    const score = (consistent ? 1_000_000 : 0) + counts[0];
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}
