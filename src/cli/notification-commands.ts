import type { Command } from 'commander';
import { withApp } from './bootstrap.js';

const STATUSES = ['queued', 'sent', 'delivered', 'failed', 'bounced', 'dead', 'suppressed_preference', 'held_quiet_hours'] as const;
type Status = (typeof STATUSES)[number];

/**
 * `neptuno notifications deliveries [--status dead]` and `neptuno notifications retry <id>`:
 * the dead-letter list and manual retry from a shell, the same as the admin routes
 * (docs/notifications.md#reliability).
 */
export function registerNotificationCommands(program: Command, configOption: readonly [string, string]): void {
  const cmd = program.command('notifications').description('notification deliveries: dead letters and retries (docs/notifications.md)');
  cmd
    .command('deliveries')
    .description('list deliveries, most recently changed first')
    .option(...configOption)
    .option('--status <status>', `one of ${STATUSES.join(', ')}`, 'dead')
    .option('--limit <n>', 'how many (max 100)', '50')
    .action(async (o: { config?: string; status: string; limit: string }) => {
      if (!STATUSES.includes(o.status as Status)) {
        console.error(`Unknown status ${o.status}: use one of ${STATUSES.join(', ')}.`);
        process.exitCode = 1;
        return;
      }
      await withApp(o.config, async (app) => {
        const svc = app.ctx.services.notifications;
        if (!svc) throw new Error('The notifications module is not enabled (modules.notifications.enabled).');
        const page = await svc.deliveries.list({ status: o.status as Status, limit: Math.min(100, Math.max(1, Number(o.limit) || 50)) });
        if (!page.data.length) console.log(`No ${o.status} deliveries.`);
        for (const d of page.data) {
          console.log(`${d.id}  ${d.updatedAt}  ${d.channel.padEnd(8)} ${d.type.padEnd(16)} ${d.recipientType}:${d.recipientId}  attempts=${d.attempts}  ${d.lastError ?? ''}`);
        }
        const counts = await svc.deliveries.counts();
        console.log(Object.entries(counts).map(([s, n]) => `${s}=${n}`).join(' '));
      });
    });
  cmd
    .command('retry <id>')
    .description('queue a failed, bounced or dead delivery again')
    .option(...configOption)
    .action(async (id: string, o: { config?: string }) => {
      await withApp(o.config, async (app) => {
        const svc = app.ctx.services.notifications;
        if (!svc) throw new Error('The notifications module is not enabled (modules.notifications.enabled).');
        const outcome = await svc.retry(id);
        if (outcome === 'retried') console.log(`Delivery ${id} queued again.`);
        else {
          console.error(outcome === 'not_found' ? `No delivery ${id}.` : `Delivery ${id} is not failed, bounced or dead.`);
          process.exitCode = 1;
        }
      });
    });
}
