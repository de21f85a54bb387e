import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import { parseDatabaseUrl } from '../db/database.js';
import { scrapeBounded } from './scrape.js';

/** The folder itself, or its closest existing parent (statfs needs an existing path). */
function existing(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * Free and total bytes of the filesystems holding the data folder (`dataDir`: SQLite file by
 * default, local files, the development secret) and, for a SQLite database elsewhere, the
 * database file's folder. "Disk almost full" alerts read these.
 *   neptuno_disk_free_bytes{volume}   bytes available to this process (volume: data, database)
 *   neptuno_disk_size_bytes{volume}
 */
export function diskMetrics(registry: Registry, config: { dataDir: string; database: { url: string } }): void {
  const volumes: Record<string, string> = { data: config.dataDir };
  const { dialect, target } = parseDatabaseUrl(config.database.url);
  if (dialect === 'sqlite' && target !== ':memory:') volumes.database = dirname(target);
  const read = async () => Promise.all(Object.entries(volumes).map(async ([volume, path]) => ({ volume, s: await scrapeBounded(statfs(existing(path))) })));
  new Gauge({
    name: 'neptuno_disk_free_bytes',
    help: 'Bytes free for this process on the filesystem of the data folder (volume=data) and of the SQLite file (volume=database)',
    labelNames: ['volume'],
    registers: [registry],
    async collect() {
      for (const { volume, s } of await read()) if (s) this.set({ volume }, s.bavail * s.bsize);
    },
  });
  new Gauge({
    name: 'neptuno_disk_size_bytes',
    help: 'Size of the filesystem of the data folder (volume=data) and of the SQLite file (volume=database)',
    labelNames: ['volume'],
    registers: [registry],
    async collect() {
      for (const { volume, s } of await read()) if (s) this.set({ volume }, s.blocks * s.bsize);
    },
  });
}
