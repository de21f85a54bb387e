import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export interface BrowserScript {
  /** The script's text. */
  source: string;
  gzip: Buffer;
  /** 16 hex characters of its SHA-256: part of its long-cached URL. */
  hash: string;
}

/** A blank line, a `//` or `/* … *\/` comment: none of it reaches the browser. */
function strip(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/ \/\/ .*$/gm, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

/** browser/track.js with the configured heartbeat, stripped of comments and indentation. */
export function buildScript(heartbeatSeconds: number): BrowserScript {
  const raw = readFileSync(new URL('./browser/track.js', import.meta.url), 'utf8');
  const source = strip(raw).replace('__HEARTBEAT__', String(heartbeatSeconds)) + '\n';
  return { source, gzip: gzipSync(source, { level: 9 }), hash: createHash('sha256').update(source).digest('hex').slice(0, 16) };
}
