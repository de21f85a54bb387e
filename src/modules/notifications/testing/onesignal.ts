import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OneSignalReceived {
  id: string;
  body: Record<string, unknown>;
  /** Subscription ids the message reached. */
  reached: string[];
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/**
 * A local OneSignal REST API: `POST /notifications` with `Authorization: Key <REST API key>`,
 * the app id, exactly one targeting mode (include_subscription_ids, or include_aliases with
 * target_channel), `contents` with an `en` entry, and OneSignal's answers: `{ id, errors? }`
 * where a 200 may name invalid subscription ids (`errors.invalid_player_ids`) or aliases
 * (`errors.invalid_aliases`), and an empty id means nobody received it. `idempotency_key`
 * replays the first answer without sending again.
 */
export class FakeOneSignal {
  readonly appId = randomUUID();
  readonly restApiKey = `os_v2_app_${randomUUID().replace(/-/g, '')}`;
  readonly received: OneSignalReceived[] = [];
  readonly rejected: string[] = [];
  private readonly subscriptions = new Map<string, 'subscribed' | 'unsubscribed'>();
  private readonly aliases = new Map<string, string[]>();
  private readonly idempotent = new Map<string, Answer>();
  private queued: Answer[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeOneSignal> {
    let fake: FakeOneSignal | null = null;
    const server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => {
        const answer = fake!.handle(req, text);
        res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeOneSignal(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** A device the OneSignal SDK subscribed: its subscription id. */
  subscription(): string {
    const id = randomUUID();
    this.subscriptions.set(id, 'subscribed');
    return id;
  }

  /** The user turned notifications off on that device (it stays known, not subscribed). */
  unsubscribe(id: string): void {
    this.subscriptions.set(id, 'unsubscribed');
  }

  /** `OneSignal.login(externalId)` on these devices. */
  login(externalId: string, subscriptionIds: string[]): void {
    this.aliases.set(externalId, subscriptionIds);
  }

  /** The next requests get these answers (429, 500…). */
  respond(...answers: Answer[]): void {
    this.queued.push(...answers);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, text: string): Answer {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/notifications') return { status: 404, body: { errors: ['Not Found'] } };
    const reject = (status: number, error: string): Answer => {
      this.rejected.push(error);
      return { status, body: { errors: [error] } };
    };
    if (req.headers.authorization !== `Key ${this.restApiKey}`)
      return reject(403, "Access denied.  Please include an 'Authorization: ...' header with a valid API key (https://documentation.onesignal.com/docs/en/keys-and-ids#api-keys).");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return reject(400, 'Invalid JSON');
    }
    if (body.app_id !== this.appId) return reject(400, 'app_id not found. You may be missing a Content-Type: application/json header.');
    const contents = body.contents as Record<string, unknown> | undefined;
    if (!contents || typeof contents.en !== 'string') return reject(400, 'Message Notifications must have English language content');
    const modes = ['include_subscription_ids', 'include_aliases', 'included_segments', 'filters', 'include_player_ids'].filter((k) => k in body);
    if (modes.length !== 1) return reject(400, 'You must include which players, segments, or tags you wish to send this notification to.');
    if ('include_aliases' in body && body.target_channel !== 'push') return reject(400, 'target_channel is required when using include_aliases');
    const key = typeof body.idempotency_key === 'string' ? body.idempotency_key : null;
    if (key && this.idempotent.has(key)) return this.idempotent.get(key)!;
    const queued = this.queued.shift();
    if (queued) return queued;

    let answer: Answer;
    if (Array.isArray(body.include_subscription_ids)) {
      const ids = body.include_subscription_ids.map(String);
      const invalid = ids.filter((id) => !this.subscriptions.has(id));
      const reached = ids.filter((id) => this.subscriptions.get(id) === 'subscribed');
      answer = this.created(body, reached, invalid.length ? { invalid_player_ids: invalid } : undefined);
    } else {
      const external = ((body.include_aliases as Record<string, unknown>).external_id as string[] | undefined) ?? [];
      const unknown = external.filter((e) => !this.aliases.has(e));
      const reached = external.flatMap((e) => this.aliases.get(e) ?? []).filter((id) => this.subscriptions.get(id) === 'subscribed');
      answer = this.created(body, reached, unknown.length ? { invalid_aliases: { external_id: unknown } } : undefined);
    }
    if (key) this.idempotent.set(key, answer);
    return answer;
  }

  private created(body: Record<string, unknown>, reached: string[], errors?: Record<string, unknown>): Answer {
    if (!reached.length) return { status: 200, body: { id: '', errors: errors ?? ['All included players are not subscribed'] } };
    const id = randomUUID();
    this.received.push({ id, body, reached });
    return { status: 200, body: { id, ...(errors ? { errors } : {}) } };
  }
}
