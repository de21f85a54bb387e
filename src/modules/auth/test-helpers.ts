import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * Test helpers for the auth module's own tests: a real SMTP server that captures what the app
 * sends. The cookie jar and sign-up / sign-in shortcuts are public (`neptuno/testing`) and
 * re-exported here so these tests keep one import.
 */
export * from '../../testing/auth.js';

export interface CapturedMail {
  from: string;
  to: string[];
  raw: string;
  /** Decoded body (quoted-printable undone). */
  text: string;
  /** The first http(s) link in the body. */
  link: string | null;
}

function decodeQuotedPrintable(input: string): string {
  const bytes: number[] = [];
  const soft = input.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const ch = soft[i];
    if (ch === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A real SMTP server on a random local port that keeps every message it receives. */
export async function startTestSmtp() {
  const messages: CapturedMail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        const head = raw.slice(0, split);
        const bodyPart = raw.slice(split + 4);
        const text = /content-transfer-encoding:\s*quoted-printable/i.test(head)
          ? decodeQuotedPrintable(bodyPart)
          : /content-transfer-encoding:\s*base64/i.test(head)
            ? Buffer.from(bodyPart.replace(/\s+/g, ''), 'base64').toString('utf8')
            : bodyPart;
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text,
          link: /https?:\/\/[^\s"<>]+/.exec(text)?.[0] ?? null,
        });
        for (const w of waiters.splice(0)) w();
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** Resolves with the first message to `to` whose decoded body (or raw source) matches, waiting for it. */
    async waitFor(to: string, match?: RegExp, timeoutMs = 10_000): Promise<CapturedMail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.to.includes(to) && (!match || match.test(m.text) || match.test(m.raw)));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no email to ${to} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type TestSmtp = Awaited<ReturnType<typeof startTestSmtp>>;
