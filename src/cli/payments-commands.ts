import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { resolveSecret } from '../core/config/secret.js';
import { createApp, createLogger } from '../core/app.js';
import { bootstrap } from './bootstrap.js';
import { FakeMercadoPago, type MpStatus } from '../modules/payments/testing/index.js';
import { simulatePurchase } from '../modules/payments/testing/simulate.js';

/**
 * `neptuno payments simulate`: a whole Mercado Pago purchase on this machine with no account
 * (Mercado Pago has no `stripe trigger`). It starts the local fake Mercado Pago, runs the app
 * from your neptuno.yaml with payments on and pointed at the fake, and buys: checkout, payment,
 * signed webhook, credits in the wallet. It writes to your configured database (your local
 * SQLite in development): never point it at production.
 */
export function registerPaymentsCommands(program: Command, configOption: readonly [string, string]): void {
  const payments = program.command('payments').description('payments (docs/payments.md)');
  payments
    .command('simulate')
    .description('run a purchase end to end against a local fake Mercado Pago (no account needed)')
    .option(...configOption)
    .option('--package <key>', 'credit package to buy')
    .option('--plan <key>', 'plan to buy (one prepaid period)')
    .option('--user <id>', 'buyer (default: a new account simulate-…@example.test)')
    .option('--status <status>', 'what the card does: approved | rejected | in_process', 'approved')
    .option('--replays <n>', 'deliver the webhook this many more times', '0')
    .option('--forged', 'also send a webhook with a forged signature (answered 401)')
    .action(async (o: { config?: string; package?: string; plan?: string; user?: string; status: string; replays: string; forged?: boolean }) => {
      if (!o.package === !o.plan) {
        console.error('Give --package <key> or --plan <key>.');
        process.exitCode = 1;
        return;
      }
      const { loaded, modules } = await bootstrap(o.config);
      if (loaded.config.env === 'production') {
        console.error('payments simulate writes simulated payments: it refuses to run with env: production.');
        process.exitCode = 1;
        return;
      }
      const fake = await FakeMercadoPago.start();
      // The developer's configuration, with payments on and Mercado Pago pointed at the fake.
      loaded.config.modules.payments = { enabled: true };
      const section = (loaded.moduleConfigs.payments ?? {}) as { providers?: Record<string, unknown> };
      loaded.moduleConfigs.payments = { ...section, providers: { ...section.providers, mercadopago: { ...fake.config, sandbox: 'auto' } } };
      const app = await createApp({ config: loaded.config, moduleConfigs: loaded.moduleConfigs, modules, secret: resolveSecret(loaded.config), logger: createLogger(loaded.config), workers: true });
      try {
        let userId = o.user;
        if (!userId) {
          const auth = app.ctx.services.auth;
          if (!auth) throw new Error('The auth module is not enabled: pass --user <id>.');
          const email = `simulate-${Date.now().toString(36)}@example.test`;
          userId = (await auth.createUser({ email, password: randomBytes(18).toString('base64url'), name: 'Simulated buyer', emailVerified: true })).id;
          console.log(`buyer: new account ${email} (${userId})`);
        }
        const r = await simulatePurchase({
          app,
          fake,
          userId,
          package: o.package,
          plan: o.plan,
          status: o.status as MpStatus,
          replays: Math.max(0, Math.min(100, Number(o.replays) || 0)),
          forged: o.forged,
          print: (line) => console.log(line),
        });
        if (o.status === 'approved' && r.status !== 'approved') process.exitCode = 1;
      } finally {
        await app.close();
        await fake.close();
      }
    });
}
