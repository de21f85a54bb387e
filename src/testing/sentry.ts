import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

/** One envelope as received: its header, and each item's header and parsed payload. */
export interface ReceivedEnvelope {
  project: string;
  /** `sentry_key` from the query string or the X-Sentry-Auth header. */
  key: string | null;
  header: Record<string, unknown>;
  items: Array<{ header: { type: string; length?: number } & Record<string, unknown>; payload: unknown }>;
  raw: string;
}

/**
 * Parses Sentry's envelope format (develop.sentry.dev/sdk/data-model/envelopes): a JSON header
 * line, then items, each a JSON item header line and a payload that is `length` bytes when the
 * header gives it, else everything up to the next newline. JSON payloads are parsed.
 */
export function parseEnvelope(body: Buffer): Omit<ReceivedEnvelope, 'project' | 'key'> {
  let pos = 0;
  const line = (): Buffer => {
    const end = body.indexOf(0x0a, pos);
    const out = body.subarray(pos, end === -1 ? body.length : end);
    pos = end === -1 ? body.length : end + 1;
    return out;
  };
  const header = JSON.parse(line().toString('utf8')) as Record<string, unknown>;
  const items: ReceivedEnvelope['items'] = [];
  while (pos < body.length) {
    const headerLine = line();
    if (!headerLine.length) continue;
    const itemHeader = JSON.parse(headerLine.toString('utf8')) as ReceivedEnvelope['items'][number]['header'];
    let payload: Buffer;
    if (typeof itemHeader.length === 'number') {
      payload = body.subarray(pos, pos + itemHeader.length);
      pos += itemHeader.length;
      if (body[pos] === 0x0a) pos++;
    } else payload = line();
    const text = payload.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Attachments and other binary items stay text.
    }
    items.push({ header: itemHeader, payload: parsed });
  }
  return { header, items, raw: body.toString('utf8') };
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A local Sentry-compatible ingest server for tests: accepts `POST /api/<project>/envelope/` as
 * sentry.io does (200 with the event id), parses every envelope and keeps it.
 */
export class SentryReceiver {
  readonly envelopes: ReceivedEnvelope[] = [];
  private waiters: Array<() => void> = [];

  private readonly server: Server;
  port = 0;

  private constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  static async start(): Promise<SentryReceiver> {
    const receiver = new SentryReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.port = (receiver.server.address() as AddressInfo).port;
    return receiver;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = /^\/api\/([^/]+)\/envelope\/?$/.exec(url.pathname);
      if (req.method !== 'POST' || !match) {
        res.writeHead(404).end();
        return;
      }
      read(req).then(
        (raw) => {
          const encoding = req.headers['content-encoding'];
          const body = encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw;
          const auth = /sentry_key=([^,\s]+)/.exec(String(req.headers['x-sentry-auth'] ?? ''))?.[1];
          const envelope = { project: match[1], key: url.searchParams.get('sentry_key') ?? auth ?? null, ...parseEnvelope(body) };
          this.envelopes.push(envelope);
          for (const wake of this.waiters.splice(0)) wake();
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: envelope.header.event_id ?? null }));
        },
        () => res.writeHead(400).end(),
      );
    }
  }

  /** A DSN pointing here: `http://<key>@127.0.0.1:<port>/<project>`. */
  dsn(project = '42', key = 'publickey'): string {
    return `http://${key}@127.0.0.1:${this.port}/${project}`;
  }

  /** Every event item received so far. */
  events(): Array<Record<string, unknown>> {
    return this.envelopes.flatMap((e) => e.items.filter((i) => i.header.type === 'event').map((i) => i.payload as Record<string, unknown>));
  }

  /** Waits for an event matching `match` (no timeout of its own: the test's bounds it). */
  async waitForEvent(match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.events().find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
