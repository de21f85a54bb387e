/**
 * The bench servers' control port (bench/servers/realtime-*.ts): the orchestrator asks a server
 * to publish over plain HTTP on a second loopback port, so the websocket server under test
 * carries nothing but its own traffic and the floor and Neptuno are driven identically.
 *
 *   POST /publish  { channel, count, intervalMs, pad }  → count messages { seq, t, pad } to one channel
 *   POST /personal { channels: string[] }                → one message { to: channel, t } to each channel,
 *                                                          32 publishes in flight (as from many requests at once)
 *   POST /memory                                         → { rss, js } in bytes after a full GC (servers run with
 *                                                          --expose-gc); js: heap + external + array buffers
 *
 * `t` is the publish time as an epoch in fractional milliseconds (timeOrigin + performance.now(),
 * comparable across processes of one machine), so a client's receipt time minus `t` is the
 * delivery latency, kernel work included.
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export type Publish = (channel: string, data: unknown) => unknown;

export const epochMs = () => performance.timeOrigin + performance.now();

async function readJson(req: import('node:http').IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body || '{}') as Record<string, unknown>;
}

/** Starts the control server; returns its base URL. */
export async function startControl(publish: Publish): Promise<string> {
  const server = createServer(async (req, res) => {
    try {
      const body = await readJson(req);
      const started = epochMs();
      if (req.url === '/publish') {
        const count = Number(body.count);
        const intervalMs = Number(body.intervalMs ?? 0);
        const pad = 'x'.repeat(Number(body.pad ?? 0));
        for (let seq = 0; seq < count; seq++) {
          await publish(String(body.channel), { seq, t: epochMs(), pad });
          // Paced: the next one at its slot (drift-corrected), not `intervalMs` after this one ended.
          if (intervalMs > 0 && seq < count - 1) await sleep(Math.max(0, started + (seq + 1) * intervalMs - epochMs()));
        }
      } else if (req.url === '/memory') {
        // Garbage collected first, so the difference before/after connecting is live memory, not GC timing.
        (globalThis as { gc?: () => void }).gc?.();
        const m = process.memoryUsage();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rss: m.rss, js: m.heapUsed + m.external + m.arrayBuffers }));
        return;
      } else if (req.url === '/personal') {
        const channels = body.channels as string[];
        let next = 0;
        const worker = async () => {
          while (next < channels.length) {
            const channel = channels[next++];
            await publish(channel, { to: channel, t: epochMs() });
          }
        };
        await Promise.all(Array.from({ length: 32 }, worker));
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ startedAt: started, ms: epochMs() - started }));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String((err as Error).stack ?? err));
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address() as import('node:net').AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}
