import { isAbsolute, join, resolve } from 'node:path';
import type { Storage } from './contract.js';
import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';
import { parseS3Url } from './s3-url.js';

export type { Storage } from './contract.js';

export interface StorageSettings {
  /** null: `<dataDir>/files`; `file:<folder>`; or `s3://…` / `s3+http://…` (s3-url.ts). */
  url: string | null;
  publicUrl: string | null;
  signedUrlExpiresIn: number;
}

/** The local folder or the S3 store, chosen by `storage.url` (STORAGE_URL) alone. */
export function createStorage(settings: StorageSettings, opts: { dataDir: string; serverPublicUrl: string; secret: string }): Storage {
  const url = settings.url;
  if (url && /^s3(\+http)?:\/\//.test(url)) {
    return new S3Storage({ ...parseS3Url(url, settings.publicUrl), signedUrlExpiresIn: settings.signedUrlExpiresIn });
  }
  const folder = url ? url.replace(/^file:(\/\/)?/, '') : join(opts.dataDir, 'files');
  return new LocalStorage({
    root: isAbsolute(folder) ? folder : resolve(folder),
    baseUrl: settings.publicUrl ?? opts.serverPublicUrl,
    secret: opts.secret,
    signedUrlExpiresIn: settings.signedUrlExpiresIn,
  });
}
