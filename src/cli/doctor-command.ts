import type { Command } from 'commander';
import { loadConfig } from '../core/config/load.js';
import { doctorFindings, formatDoctor, type DoctorFinding } from '../core/config/doctor.js';
import { secretFingerprintStatus } from '../core/config/fingerprint.js';
import { createDatabase } from '../core/db/database.js';
import { availableModules } from './bootstrap.js';

/** Whether this process's secret is the one the replicas already running on the database use. */
async function sharedSecretFinding(databaseUrl: string, secret: string | null): Promise<DoctorFinding | null> {
  if (!secret) return null; // already an error: the secret is missing
  const database = createDatabase({ url: databaseUrl });
  try {
    const status = await secretFingerprintStatus(database.db, secret);
    if (status !== 'mismatch') return null;
    return {
      level: 'error',
      key: 'secret',
      code: 'secret_not_shared',
      message:
        'differs from the secret the replicas already on this database use: this replica would refuse to start. Give every ' +
        'replica the same NEPTUNO_SECRET, or rotate on purpose with `neptuno secret rotate` (signs everyone out)',
    };
  } catch (err) {
    return { level: 'warning', key: 'database.url', code: 'database_unreachable', message: `could not be checked: ${(err as Error).message}` };
  } finally {
    await database.destroy();
  }
}

/**
 * `neptuno doctor` (also `neptuno config check --production`): reads the configuration the way
 * a production start would and lists what to fix before going live. Exits 1 on any error.
 */
export async function runDoctor(configFile: string | undefined, opts: { connect?: boolean } = {}): Promise<number> {
  const modules = await availableModules(configFile);
  const { config } = loadConfig({ file: configFile, modules, productionChecks: false });
  const findings = doctorFindings(config, modules);
  if (opts.connect) {
    const shared = await sharedSecretFinding(config.database.url, config.secret);
    if (shared) findings.unshift(shared);
  }
  const { lines, exitCode } = formatDoctor(findings);
  (exitCode ? console.error : console.log)(lines.join('\n'));
  return exitCode;
}

export function registerDoctorCommand(program: Command, configOption: readonly [string, string]): void {
  program
    .command('doctor')
    .description('check a production configuration before deploying: secret, admin token, CORS, https, proxy, cookies, backups, SMTP, example modules')
    .option(...configOption)
    .option('--connect', 'also open the database and check that this secret is the one the running replicas share')
    .action(async (o: { config?: string; connect?: boolean }) => {
      process.exitCode = await runDoctor(o.config, o);
    });
}
