import { resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { DirectoryDestination, StorageDestination, type BackupDestination, type StorageLike } from './destination.js';
import { BackupError } from './backup.js';

export { createBackup, listBackups, restoreBackup, verifyBackup, pruneBackups, runningServers, readManifest, BackupError, type BackupSource, type ListedBackup } from './backup.js';
export type { BackupManifest, ArtifactInfo } from './manifest.js';
export type { BackupDestination, StorageLike } from './destination.js';
export { DirectoryDestination, StorageDestination } from './destination.js';
export type { VerifyReport } from './verify.js';
export type { KeepPolicy } from './retention.js';

/**
 * The configured destination: `backups.destination` is a directory (relative to `cwd`), or
 * `storage` for the storage driver under `backups.storagePrefix`.
 * @example backupDestination(config, { storage: ctx.storage })
 */
export function backupDestination(config: AppConfig, opts: { cwd?: string; storage?: StorageLike | null } = {}): BackupDestination {
  const dest = config.backups.destination;
  if (dest !== 'storage') return new DirectoryDestination(resolve(opts.cwd ?? process.cwd(), dest));
  if (!opts.storage) throw new BackupError('backups.destination is "storage" but no storage driver is available (storage.url / STORAGE_URL, docs/files.md)');
  return new StorageDestination(opts.storage, config.backups.storagePrefix);
}
