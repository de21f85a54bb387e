import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AppConfig } from '../config/schema.js';
import type { BackupDestination } from './destination.js';
import { Checksum, type ArtifactInfo } from './manifest.js';

/**
 * The local files folder: `storage.url` when it names a folder (`file:<folder>`), else
 * `<dataDir>/files` (the storage driver's default), or null when files live in S3 (the store
 * keeps them; see docs/backups.md).
 */
export function localFilesFolder(config: AppConfig, cwd = process.cwd()): string | null {
  const url = config.storage.url;
  if (url && /^s3(\+http)?:\/\//.test(url)) return null;
  const folder = url ? url.replace(/^file:(\/\/)?/, '') : join(config.dataDir, 'files');
  return resolve(cwd, folder);
}

/** Every regular file under root (relative paths, `/`-separated), skipping `skip` (the backups themselves, when kept inside). */
export async function listFiles(root: string, skip: string[] = []): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (skip.some((s) => path === s || path.startsWith(s + sep))) continue;
      // Writes in progress (the local storage driver's `.tmp` folder, our `.partial` files) are not
      // files yet; its `.meta` folder (content types) is backed up with the files.
      if (e.name.endsWith('.partial') || (dir === root && e.name === '.tmp')) continue;
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) out.push(relative(root, path).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

/** Copies each file into the backup as `files/<path>`. */
export async function backupFiles(dest: BackupDestination, id: string, root: string, skip: string[]): Promise<ArtifactInfo[]> {
  const items: ArtifactInfo[] = [];
  for (const rel of await listFiles(root, skip)) {
    const info = await dest.write(id, `files/${rel}`, createReadStream(join(root, rel)));
    items.push({ ...info, name: rel });
  }
  return items;
}

/** Writes every file of the backup back under root (temp file + rename, checksum checked before it replaces anything). */
export async function restoreFiles(dest: BackupDestination, id: string, root: string, items: ArtifactInfo[]): Promise<void> {
  for (const item of items) {
    const path = resolve(root, item.name);
    // A manifest edited by hand must not write outside the folder.
    if (!path.startsWith(resolve(root) + sep)) throw new Error(`Refusing file outside the files folder: ${item.name}`);
    const body = await dest.read(id, `files/${item.name}`);
    if (!body) throw new Error(`Backup ${id} is missing the file ${item.name}`);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.partial`;
    const sum = new Checksum();
    await pipeline(body, sum, createWriteStream(tmp));
    if (sum.digest() !== item.sha256) throw new Error(`Checksum mismatch for the file ${item.name} in backup ${id}`);
    await rename(tmp, path);
  }
}
