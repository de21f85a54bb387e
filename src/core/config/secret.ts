import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppConfig } from './schema.js';
import { ConfigError, issue } from './errors.js';

/** 32 characters of base64 carry 192 bits: enough for HMAC keys and signed cookies. */
export const MIN_SECRET_LENGTH = 32;
const GENERATE_HINT = 'generate one with `openssl rand -base64 48` and set it in NEPTUNO_SECRET';

/** What is wrong with the configured secret for this environment, or null. Never echoes the secret. */
export function secretProblem(config: Pick<AppConfig, 'env' | 'secret'>): { code: string; message: string } | null {
  if (config.env !== 'production') return null;
  if (!config.secret) {
    return { code: 'secret_missing', message: `is required in production (at least ${MIN_SECRET_LENGTH} characters): ${GENERATE_HINT}` };
  }
  if (config.secret.length < MIN_SECRET_LENGTH) {
    return {
      code: 'secret_too_short',
      message: `is too short for production (${config.secret.length} characters, at least ${MIN_SECRET_LENGTH} needed): ${GENERATE_HINT}`,
    };
  }
  return null;
}

export interface ResolveSecretOptions {
  /** Where the development secret is kept; default `config.dataDir`. */
  dataDir?: string;
  /** Base for a relative dataDir; default process.cwd(). */
  cwd?: string;
}

/**
 * The application secret. In production it must be configured (NEPTUNO_SECRET), else start-up
 * stops with a ConfigError. In development and test, when none is configured, one is generated
 * on the first start and kept in `<dataDir>/secret` (mode 0600), so sessions and signed links
 * survive restarts without anyone having to invent a secret.
 */
export function resolveSecret(config: Pick<AppConfig, 'env' | 'secret' | 'dataDir'>, opts: ResolveSecretOptions = {}): string {
  const problem = secretProblem(config);
  if (problem) throw new ConfigError([issue('secret', problem.code, problem.message)]);
  if (config.secret) return config.secret;

  const dir = resolve(opts.cwd ?? process.cwd(), opts.dataDir ?? config.dataDir);
  const file = join(dir, 'secret');
  const existing = readSecretFile(file);
  if (existing !== null) return existing;

  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // Written to a private temporary file and then hard-linked into place: link() fails if the
  // file exists, so two processes starting at once agree on one secret, and no reader ever sees
  // a half-written file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600); // the umask may have narrowed it, never widened; make it exact
  try {
    linkSync(tmp, file);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readSecretFile(file)!;
  } finally {
    unlinkSync(tmp);
  }
}

function readSecretFile(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (text.length < MIN_SECRET_LENGTH) {
    throw new ConfigError([
      issue('secret', 'secret_file_invalid', `${file} holds no usable secret (under ${MIN_SECRET_LENGTH} characters): delete it to generate a new one`),
    ]);
  }
  // Someone may have copied it around with a looser mode; it is a key, keep it private.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return text;
}
