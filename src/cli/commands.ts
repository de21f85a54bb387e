import type { Command } from 'commander';
import { HttpProblem } from '../core/http/problem.js';
import { withApp } from './bootstrap.js';
import { registerMailCommands } from './mail-commands.js';
import { registerPaymentsCommands } from './payments-commands.js';
import { registerWalletCommands } from './wallet-commands.js';
import { registerNotificationCommands } from './notification-commands.js';
import { registerBackupCommands } from './backup-commands.js';

async function readStdinLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.split(/\r?\n/)[0] ?? '';
}

/** Commands that need a module's service (identity) rather than the kernel alone. */
export function registerExtraCommands(program: Command, configOption: readonly [string, string]): void {
  // neptuno mail list|show (development outbox)
  registerMailCommands(program, configOption);
  // neptuno wallet verify
  registerWalletCommands(program, configOption);
  // neptuno payments simulate (a purchase against the local fake Mercado Pago)
  registerPaymentsCommands(program, configOption);
  // neptuno notifications deliveries|retry
  registerNotificationCommands(program, configOption);
  // neptuno backup create|list|restore|verify|prune
  registerBackupCommands(program, configOption);

  program
    .command('create-admin')
    .description('create an administrator account (there is no default one)')
    .option(...configOption)
    .requiredOption('--email <email>', 'email address')
    .option('--name <name>', 'display name', 'Admin')
    .option('--password-stdin', 'read the password from standard input (else $NEPTUNO_ADMIN_PASSWORD)')
    .action(async (o: { config?: string; email: string; name: string; passwordStdin?: boolean }) => {
      const password = o.passwordStdin ? await readStdinLine() : process.env.NEPTUNO_ADMIN_PASSWORD;
      if (!password) {
        console.error('Give the password on standard input with --password-stdin, or in NEPTUNO_ADMIN_PASSWORD.');
        process.exitCode = 1;
        return;
      }
      await withApp(o.config, async (app) => {
        const auth = app.ctx.services.auth;
        if (!auth) throw new Error('The auth module is not enabled (modules.auth.enabled).');
        try {
          const { id } = await auth.createUser({ email: o.email, password, name: o.name, role: 'admin', emailVerified: true });
          console.log(`Administrator ${o.email} created (id ${id}).`);
        } catch (err) {
          if (!HttpProblem.is(err)) throw err;
          // Policy failures (weak password, taken email) are the operator's to fix: say which, in
          // English words from the catalogs (never a bare code such as email_taken).
          const params = err.opts.params;
          const title = app.ctx.i18n.t('en', err.code, params) ?? err.code;
          const detail = err.opts.detail ?? app.ctx.i18n.t('en', `${err.code}.detail`, params);
          const fields = err.opts.errors?.map((e) => `  ${e.pointer.replace('/body/', '')}: ${e.detail}`).join('\n');
          console.error(`Could not create the administrator: ${title}${detail ? `. ${detail}` : ''}${fields ? `\n${fields}` : ''}`);
          process.exitCode = 1;
        }
      });
    });
}
