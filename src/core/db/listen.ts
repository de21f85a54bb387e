import { createRequire } from 'node:module';
import type pg from 'pg';

const require = createRequire(import.meta.url);

/**
 * PostgreSQL LISTEN on a dedicated connection (a pooled one would be handed to other queries
 * and lose the subscription). Reconnects with a growing pause, up to 5 s, when the connection
 * drops, and calls `onNotify` once after each reconnect, since notifications sent while it
 * was down are lost. Returns the function that stops listening.
 */
export function listenPg(config: pg.ClientConfig, channel: string, onNotify: () => void): () => Promise<void> {
  const { Client } = require('pg') as typeof pg;
  let client: pg.Client | null = null;
  let stopped = false;
  let pause = 100;
  let timer: NodeJS.Timeout | null = null;

  const retry = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, pause);
    timer.unref();
    pause = Math.min(pause * 2, 5000);
  };

  async function connect() {
    const c = new Client(config);
    client = c;
    c.on('notification', () => onNotify());
    c.on('error', () => {
      void c.end().catch(() => {});
      retry();
    });
    c.on('end', retry);
    try {
      await c.connect();
      await c.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
      if (stopped) return void (await c.end());
      pause = 100;
      onNotify();
    } catch {
      void c.end().catch(() => {});
      retry();
    }
  }
  void connect();

  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}
