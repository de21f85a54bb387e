import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from './channels/twilio-signature.js';

/** A message the fake accepted, as Twilio keeps it. */
export interface FakeTwilioMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  status: string;
}

/**
 * A local Twilio for tests (not shipped: only *.test.ts import it), speaking the real wire format
 * of the Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic with
 * the account SID and auth token, a form body, 201 with the Message resource as JSON, or a
 * Twilio error object (`{ code, message, more_info, status }`). `report` posts a status callback
 * to the message's StatusCallback URL signed exactly as Twilio signs (X-Twilio-Signature);
 * `via` sends it to another origin than the URL names, as a reverse proxy in front of the app
 * would receive it.
 */
export class FakeTwilio {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');
  readonly messages: FakeTwilioMessage[] = [];
  /** Numbers that replied STOP: 21610. */
  readonly unsubscribed = new Set<string>();
  private failures: number[] = [];
  private server!: Server;
  url = '';

  static async start(): Promise<FakeTwilio> {
    const fake = new FakeTwilio();
    fake.server = createServer((req, res) => void fake.handle(req, res));
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The next `n` calls answer `status` (500 by default; 429 for rate limiting). */
  failNext(n: number, status = 500): void {
    this.failures = Array.from({ length: n }, () => status);
  }

  /** Messages sent to this number (`+57…` or `whatsapp:+57…`). */
  to(address: string): FakeTwilioMessage[] {
    return this.messages.filter((m) => m.to === address);
  }

  private error(res: ServerResponse, status: number, code: number, message: string) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return this.error(res, 404, 20404, 'The requested resource was not found');
    const basic = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== basic || match[1] !== this.accountSid) return this.error(res, 401, 20003, 'Authenticate');
    const failure = this.failures.shift();
    if (failure === 429) return this.error(res, 429, 20429, 'Too Many Requests');
    if (failure) return this.error(res, failure, 20500, 'Internal Server Error');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const to = form.get('To') ?? '';
    const from = form.get('From');
    const service = form.get('MessagingServiceSid');
    const body = form.get('Body') ?? '';
    if (!to) return this.error(res, 400, 21604, "A 'To' phone number is required.");
    if (!from && !service) return this.error(res, 400, 21603, "A 'From' phone number is required.");
    if (!body) return this.error(res, 400, 21602, 'Message body is required.');
    const number = to.replace(/^whatsapp:/, '');
    if (!/^\+[1-9][0-9]{6,14}$/.test(number)) return this.error(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (this.unsubscribed.has(number)) return this.error(res, 400, 21610, 'Attempt to send to unsubscribed recipient');
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const message: FakeTwilioMessage = { sid, to, from, messagingServiceSid: service, body, statusCallback: form.get('StatusCallback'), status: service ? 'accepted' : 'queued' };
    this.messages.push(message);
    const now = new Date().toUTCString();
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        account_sid: this.accountSid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from,
        messaging_service_sid: service,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        sid,
        status: message.status,
        subresource_uris: { media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}/Media.json` },
        to,
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
      }),
    );
  }

  /**
   * Posts a status callback for a message, as Twilio does: form-encoded MessageSid, MessageStatus
   * (and the legacy SmsSid/SmsStatus), AccountSid, From, To, ApiVersion, ErrorCode when it failed,
   * signed with the auth token over the StatusCallback URL. Resolves with the app's HTTP status.
   */
  async report(sid: string, status: string, opts: { errorCode?: number; via?: string; signature?: string } = {}): Promise<number> {
    const m = this.messages.find((x) => x.sid === sid);
    if (!m?.statusCallback) throw new Error(`No message ${sid} with a StatusCallback`);
    const params = new URLSearchParams({
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      From: m.from ?? 'whatsapp:+14155238886',
      MessageSid: sid,
      MessageStatus: status,
      SmsSid: sid,
      SmsStatus: status,
      To: m.to,
    });
    if (m.to.startsWith('whatsapp:')) params.set('ChannelPrefix', 'whatsapp');
    if (opts.errorCode !== undefined) params.set('ErrorCode', String(opts.errorCode));
    m.status = status;
    const signature = opts.signature ?? twilioSignature(this.authToken, m.statusCallback, params.entries());
    const target = new URL(m.statusCallback);
    const dest = opts.via ? new URL(target.pathname + target.search, opts.via) : target;
    const res = await fetch(dest, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
      body: params.toString(),
    });
    await res.arrayBuffer();
    return res.status;
  }

  async close(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await once(this.server, 'close').catch(() => undefined);
  }
}
