import type { Command } from 'commander';
import { withApp } from './bootstrap.js';

/**
 * `neptuno wallet verify`: proves the credits ledger adds up (every transfer balanced, every
 * cached balance, debt, bucket and hold total equal to its entries). Exit code 1 when it does
 * not, so a deploy script or a monitor can run it. The same check runs daily as the
 * `wallet.verify` cron (docs/wallet.md).
 */
export function registerWalletCommands(program: Command, configOption: readonly [string, string]): void {
  const wallet = program.command('wallet').description('credits ledger (docs/wallet.md)');
  wallet
    .command('verify')
    .description('check that every wallet balance equals the sum of its ledger entries')
    .option(...configOption)
    .option('--json', 'print the report as JSON')
    .action(async (o: { config?: string; json?: boolean }) => {
      await withApp(o.config, async (app) => {
        const service = app.ctx.services.wallet;
        if (!service) {
          console.error('The wallet module is not enabled (modules.wallet.enabled).');
          process.exitCode = 1;
          return;
        }
        const report = await service.verify();
        if (o.json) console.log(JSON.stringify(report, null, 2));
        else if (report.ok) {
          console.log(`Ledger adds up: ${report.accounts} wallets, ${report.transfers} transfers, ${report.entries} entries (${report.checkedAt}).`);
        } else {
          console.error(`Ledger does NOT add up: ${report.problems.length} problem(s) in ${report.accounts} wallets, ${report.transfers} transfers.`);
          for (const p of report.problems) console.error(`  ${p.check}  ${p.id}  expected ${p.expected}, found ${p.actual}`);
        }
        if (!report.ok) process.exitCode = 1;
      });
    });
}
