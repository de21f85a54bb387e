import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabase, targets, type IsolatedDatabase } from '../testing/targets.js';
import { runNeptuno } from '../testing/cli.js';

const SECRET_A = 'replica-secret-A-replica-secret-A-0123';
const SECRET_B = 'replica-secret-B-replica-secret-B-0123';

// The real command, as an operator runs it before a deploy, against the real database of each shape.
describe.each(targets)('neptuno doctor on %s', { timeout: 120_000 }, (target) => {
  let dir: string;
  let db: IsolatedDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-doctor-cli-'));
    writeFileSync(join(dir, 'neptuno.yaml'), 'env: production\nserver:\n  publicUrl: http://api.campana.example\n');
    db = await isolatedDatabase(target);
    const databaseUrl = db.schema ? `${db.url}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}` : db.url;
    env = { DATABASE_URL: databaseUrl, NEPTUNO_DATA_DIR: join(dir, 'data') };
    // The replicas already running on this database use secret A.
    expect((await runNeptuno(['migrate', 'up'], dir, { ...env, NEPTUNO_SECRET: SECRET_A })).code).toBe(0);
    expect((await runNeptuno(['secret', 'rotate'], dir, { ...env, NEPTUNO_SECRET: SECRET_A })).code).toBe(0);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.cleanup();
  });

  it('lists every mistake with its fix and exits 1, even where start-up itself would refuse', async () => {
    const run = await runNeptuno(['doctor'], dir, { ...env, NEPTUNO_ADMIN_TOKEN: 'admin123' });
    expect(run.code).toBe(1);
    for (const code of ['secret_missing', 'admin_token_too_short', 'public_url_not_https', 'mail_not_configured', 'backups_off', 'metrics_off']) {
      expect(run.stderr).toContain(`[${code}]`);
    }
    expect(run.stderr).toContain('openssl rand -base64 48');
    expect(run.stderr).not.toContain('admin123');
    // `config check --production` is the same check under the name people look for.
    const check = await runNeptuno(['config', 'check', '--production'], dir, { ...env, NEPTUNO_ADMIN_TOKEN: 'admin123' });
    expect(check).toEqual(run);
  });

  it('--connect catches a replica about to start with another secret than the running ones', async () => {
    const other = await runNeptuno(['doctor', '--connect'], dir, { ...env, NEPTUNO_SECRET: SECRET_B });
    expect(other.stderr).toContain('[secret_not_shared]');
    expect(other.stderr).not.toContain(SECRET_B);
    const same = await runNeptuno(['doctor', '--connect'], dir, { ...env, NEPTUNO_SECRET: SECRET_A });
    expect(same.stderr).not.toContain('secret_not_shared');
    expect(same.stderr).not.toContain('secret_missing');
  });
});
