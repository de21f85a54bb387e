import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

export interface FcmReceived {
  project: string;
  message: { token: string; notification?: { title?: string; body?: string }; data?: Record<string, string>; android?: Record<string, unknown>; apns?: Record<string, unknown>; webpush?: Record<string, unknown> };
  name: string;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** Google's error body: `{ error: { code, message, status, details } }` with an FcmError detail. */
export function fcmError(code: number, status: string, message: string, errorCode?: string, fieldViolations?: { field: string; description: string }[]): Answer {
  const details: unknown[] = [];
  if (errorCode) details.push({ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode });
  if (fieldViolations) details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations });
  return { status: code, body: { error: { code, message, status, details } } };
}

/**
 * A local stand-in for Google's OAuth token endpoint and FCM HTTP v1, with their wire formats:
 * `POST /token` takes the RFC 7523 JWT-bearer grant and VERIFIES the assertion's RS256 signature
 * with the service account's public key (and iss, aud, scope, iat/exp, kid) before issuing an
 * access token; `POST /v1/projects/{p}/messages:send` checks the bearer token, the project and
 * the message shape, and answers like FCM: `{ name }`, 404 UNREGISTERED for an unregistered token,
 * 400 INVALID_ARGUMENT for one that never was, or whatever a test queued (503, 429…).
 */
export class FakeFcm {
  readonly received: FcmReceived[] = [];
  readonly rejected: string[] = [];
  /** Assertions exchanged (how many access tokens were fetched). */
  tokenGrants = 0;
  readonly account: { type: string; project_id: string; private_key_id: string; private_key: string; client_email: string; token_uri: string };
  private readonly publicKey: KeyObject;
  private readonly accessTokens = new Map<string, number>();
  private readonly devices = new Map<string, 'valid' | 'unregistered'>();
  private readonly queued = new Map<string, Answer[]>();
  private tokenAnswers: Answer[] = [];
  private counter = 0;
  /** expires_in of the next access tokens. */
  expiresIn = 3599;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKey = publicKey;
    this.account = {
      type: 'service_account',
      project_id: 'neptuno-test',
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      client_email: 'firebase-adminsdk-test@neptuno-test.iam.gserviceaccount.com',
      token_uri: `${url}/token`,
    };
  }

  static async start(): Promise<FakeFcm> {
    let fake: FakeFcm | null = null;
    const server = createServer((req, res) => {
      void readBody(req).then(async (body) => {
        const answer = await fake!.handle(req, body);
        res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8', ...answer.headers });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeFcm(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** A registration token a device got from FCM. */
  device(): string {
    const token = `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;
    this.devices.set(token, 'valid');
    return token;
  }

  /** The app was uninstalled: FCM answers 404 UNREGISTERED from now on. */
  unregister(token: string): void {
    this.devices.set(token, 'unregistered');
  }

  respond(token: string, ...answers: Answer[]): void {
    this.queued.set(token, [...(this.queued.get(token) ?? []), ...answers]);
  }

  /** The next token requests get these answers. */
  respondToken(...answers: Answer[]): void {
    this.tokenAnswers.push(...answers);
  }

  /** Every access token issued so far stops working (Google revoked them). */
  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  to(token: string): FcmReceived[] {
    return this.received.filter((r) => r.message.token === token);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, body: string): Promise<Answer> {
    const url = req.url ?? '';
    if (req.method === 'POST' && url === '/token') return this.token(req, body);
    const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url);
    if (req.method === 'POST' && m) return this.send(req, decodeURIComponent(m[1]), body);
    return { status: 404, body: { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } } };
  }

  private async token(req: IncomingMessage, body: string): Promise<Answer> {
    const reject = (description: string): Answer => {
      this.rejected.push(`token: ${description}`);
      return { status: 400, body: { error: 'invalid_grant', error_description: description } };
    };
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return reject('not a form');
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return reject('grant_type');
    try {
      const { payload, protectedHeader } = await jwtVerify(form.get('assertion') ?? '', this.publicKey, {
        algorithms: ['RS256'],
        issuer: this.account.client_email,
        audience: this.account.token_uri,
        requiredClaims: ['iat', 'exp', 'scope'],
      });
      if (protectedHeader.kid !== this.account.private_key_id) return reject('kid');
      if (!String(payload.scope).split(' ').includes('https://www.googleapis.com/auth/firebase.messaging')) return reject('scope');
      if (payload.exp! - payload.iat! > 3600) return reject('Invalid JWT: Token must be a short-lived token (60 minutes)');
    } catch (err) {
      return reject(`Invalid JWT Signature: ${(err as Error).message}`);
    }
    const queued = this.tokenAnswers.shift();
    if (queued) return queued;
    this.tokenGrants++;
    const accessToken = `ya29.${randomBytes(40).toString('base64url')}`;
    this.accessTokens.set(accessToken, Date.now() + this.expiresIn * 1000);
    return { status: 200, body: { access_token: accessToken, expires_in: this.expiresIn, token_type: 'Bearer' } };
  }

  private send(req: IncomingMessage, project: string, body: string): Answer {
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const expires = bearer ? this.accessTokens.get(bearer) : undefined;
    if (!expires || expires < Date.now())
      return { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', status: 'UNAUTHENTICATED' } } };
    if (project !== this.account.project_id) return fcmError(403, 'PERMISSION_DENIED', `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}'`);
    let parsed: { message?: FcmReceived['message'] };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return fcmError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    const message = parsed.message;
    if (!message || typeof message.token !== 'string') return fcmError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', undefined, [{ field: 'message.token', description: 'Invalid registration token' }]);
    for (const [k, v] of Object.entries(message.data ?? {}))
      if (typeof v !== 'string') return fcmError(400, 'INVALID_ARGUMENT', `Invalid value at 'message.data[${k}].value' (TYPE_STRING)`, undefined, [{ field: `message.data[${k}].value`, description: 'Invalid value' }]);
    const state = this.devices.get(message.token);
    if (!state) return fcmError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', 'INVALID_ARGUMENT');
    if (state === 'unregistered') return fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
    const queued = this.queued.get(message.token)?.shift();
    if (queued) return queued;
    const name = `projects/${project}/messages/0:${Date.now()}${++this.counter}%${randomBytes(8).toString('hex')}`;
    this.received.push({ project, message, name });
    return { status: 200, body: { name } };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text));
  });
}
