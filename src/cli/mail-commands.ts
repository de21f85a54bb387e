import type { Command } from 'commander';
import { firstLink, readOutbox, readOutboxEntry } from '../core/drivers/mail/outbox.js';
import { withApp } from './bootstrap.js';

/**
 * `neptuno mail list|show`: the development outbox (emails written to the neptuno_outbox table
 * while `mail.url` is unset), so a developer can follow a verification or reset link.
 */
export function registerMailCommands(program: Command, configOption: readonly [string, string]): void {
  const mail = program.command('mail').description('email (docs/mail.md)');
  mail
    .command('list')
    .description('list the development outbox, newest first, with the first link of each email')
    .option(...configOption)
    .option('--to <email>', 'only emails to this address')
    .option('-n, --limit <n>', 'how many', '20')
    .action(async (o: { config?: string; to?: string; limit: string }) => {
      await withApp(o.config, async (app) => {
        if (app.ctx.appConfig.mail.url) console.log('mail.url is set: emails go to SMTP; the outbox keeps only what was sent without it.');
        const limit = Math.min(Math.max(Number.parseInt(o.limit, 10) || 20, 1), 500);
        const entries = await readOutbox(app.ctx.db, { to: o.to, limit });
        if (!entries.length) console.log('The outbox is empty.');
        for (const e of entries) {
          const link = firstLink(e.text);
          console.log(`${new Date(e.createdAt).toISOString()}  ${e.id}  ${e.to}  ${e.subject}${link ? `\n    ${link}` : ''}`);
        }
      });
    });
  mail
    .command('show <id>')
    .description('print one outbox email (headers and text part; --html for the HTML part)')
    .option(...configOption)
    .option('--html', 'print the HTML part instead of the text')
    .action(async (id: string, o: { config?: string; html?: boolean }) => {
      await withApp(o.config, async (app) => {
        const e = await readOutboxEntry(app.ctx.db, id);
        if (!e) {
          console.error(`No outbox email with id ${id}.`);
          process.exitCode = 1;
          return;
        }
        console.log(`From: ${e.from}\nTo: ${e.to}\nSubject: ${e.subject}\nDate: ${new Date(e.createdAt).toISOString()}\n`);
        console.log(o.html ? (e.html ?? '(no HTML part)') : e.text);
      });
    });
}
