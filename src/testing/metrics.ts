import type { App } from '../core/module.js';

/** One scrape of /metrics: sample values by `name{labels}` (labels as exposed), and the names declared. */
export interface Scrape {
  /** `value('neptuno_queue_jobs', { state: 'dead' })`; 0 when the series is absent. */
  value(name: string, labels?: Record<string, string>): number;
  /** Every metric name with a `# TYPE` line (declared, whether or not it has samples yet). */
  names: Set<string>;
  text: string;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;

function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (text ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2].replace(/\\(.)/g, '$1');
  return out;
}

/** Parses Prometheus text exposition. */
export function parseMetrics(text: string): Scrape {
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) names.add(line.split(' ')[2]);
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m) samples.push({ name: m[1], labels: parseLabels(m[3]), value: Number(m[4]) });
  }
  return {
    names,
    text,
    value(name, labels = {}) {
      const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      return hit?.value ?? 0;
    },
  };
}

/** GET /metrics of a test app (public outside production) and parse it. */
export async function scrapeMetrics(app: App): Promise<Scrape> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
  return parseMetrics(res.body);
}
