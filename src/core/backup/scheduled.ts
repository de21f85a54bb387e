import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import { createBackup, pruneBackups } from './backup.js';
import { backupDestination } from './index.js';
import type { StorageLike } from './destination.js';
import { withSearchPath } from './postgres.js';

/**
 * The `core.backup` cron (`backups.schedule`): the cron scheduler claims each tick through the
 * lock driver, so one replica backs up per tick. A backup, then the retention policy
 * (`backups.keep`) over scheduled backups. A failure is thrown (the scheduler logs it) after
 * logging what failed, so an operator's alert on error logs fires.
 */
export async function scheduledBackup(appConfig: AppConfig, ctx: { storage: StorageLike }, log: Logger, databaseSchema?: string): Promise<void> {
  // An app given its schema in code (createApp's databaseSchema, as tests do) dumps that schema.
  const config = databaseSchema ? { ...appConfig, database: { ...appConfig.database, url: withSearchPath(appConfig.database.url, databaseSchema) } } : appConfig;
  const destination = backupDestination(config, { storage: ctx.storage });
  try {
    const m = await createBackup({ config, destination }, { kind: 'scheduled' });
    const removed = await pruneBackups(destination, config.backups.keep);
    log.info({ backup: m.id, bytes: m.database.bytes, files: m.files?.items.length ?? 0, removed }, 'scheduled backup written');
  } catch (err) {
    log.error({ err, destination: destination.description }, 'scheduled backup failed');
    throw err;
  }
}
