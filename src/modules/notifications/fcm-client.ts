import { readFileSync } from 'node:fs';
import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import { retryAfterMs } from './push-receipts.js';

/** The fields of a Google service-account key file this client uses. */
export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** A service account from its JSON text or from a path to the file; throws saying which field is missing. */
export function loadServiceAccount(value: string): ServiceAccount {
  const text = value.trim().startsWith('{') ? value : readFileSync(value.trim(), 'utf8');
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('FCM service account: not valid JSON');
  }
  for (const field of ['project_id', 'client_email', 'private_key'])
    if (typeof parsed[field] !== 'string' || !parsed[field]) throw new Error(`FCM service account: "${field}" is missing`);
  return parsed as unknown as ServiceAccount;
}

/** The HTTP v1 `message` this client sends (a subset of FCM's: what notifications need). */
export interface FcmMessage {
  token: string;
  notification: { title: string; body: string };
  /** FCM data values are strings. */
  data: Record<string, string>;
  android?: Record<string, unknown>;
  apns?: Record<string, unknown>;
  webpush?: Record<string, unknown>;
}

export type FcmSendResult =
  | { ok: true; name: string }
  | { ok: false; status: number; errorCode: string; message: string; fieldViolations: string[]; retryAfterMs?: number };

export interface FcmClientOptions {
  account: ServiceAccount;
  projectId?: string;
  baseUrl: string;
  tokenUrl?: string;
  timeoutMs: number;
}

/**
 * A small FCM HTTP v1 client: the service account signs a JWT assertion (RS256) that Google's
 * OAuth endpoint exchanges for an access token (RFC 7523 bearer grant), cached until a minute
 * before it expires and fetched once for concurrent sends; sends are
 * `POST {baseUrl}/v1/projects/{project}/messages:send`. Both URLs are settings, so a local fake
 * stands in for Google in tests. (firebase-admin cannot point at a test server and its latest
 * major needs Node 22.)
 */
export class FcmClient {
  private readonly tokenUrl: string;
  private readonly sendUrl: string;
  private key: Promise<CryptoKey> | null = null;
  private token: { value: string; refreshAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly opts: FcmClientOptions) {
    this.tokenUrl = opts.tokenUrl ?? opts.account.token_uri ?? GOOGLE_TOKEN_URI;
    const project = encodeURIComponent(opts.projectId ?? opts.account.project_id);
    this.sendUrl = `${opts.baseUrl.replace(/\/+$/, '')}/v1/projects/${project}/messages:send`;
  }

  /** A valid access token: the cached one, or one fetched now (a single request for concurrent callers). */
  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => (this.pending = null));
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    this.key ??= importPKCS8(this.opts.account.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(this.opts.account.private_key_id ? { kid: this.opts.account.private_key_id } : {}) })
      .setIssuer(this.opts.account.client_email)
      .setAudience(this.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await this.key);
    const res = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || !body.access_token) {
      throw new FcmAuthError(res.status, `token endpoint ${res.status}: ${body.error ?? ''} ${body.error_description ?? ''}`.trim(), retryAfterMs(res.headers.get('retry-after')));
    }
    const lifetime = Math.max(60, Number(body.expires_in) || 3600);
    // Refreshed a minute early (at most half its life early), so a send never carries an expiring token.
    this.token = { value: body.access_token, refreshAt: Date.now() + (lifetime - Math.min(60, lifetime / 2)) * 1000 };
    return body.access_token;
  }

  /** Sends one message. A 401 drops the cached token and tries once more with a fresh one. */
  async send(message: FcmMessage): Promise<FcmSendResult> {
    let result = await this.sendOnce(message, await this.accessToken());
    if (!result.ok && result.status === 401 && result.errorCode === 'UNAUTHENTICATED') {
      this.token = null;
      result = await this.sendOnce(message, await this.accessToken());
    }
    return result;
  }

  private async sendOnce(message: FcmMessage, token: string): Promise<FcmSendResult> {
    const res = await fetch(this.sendUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ message }),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as { name?: string; error?: GoogleError };
    if (res.ok && body.name) return { ok: true, name: body.name };
    const err = body.error ?? {};
    const details = Array.isArray(err.details) ? err.details : [];
    // The FCM-specific code (UNREGISTERED, SENDER_ID_MISMATCH, QUOTA_EXCEEDED…) when present, else the RPC status.
    const fcm = details.find((d) => d['@type'] === 'type.googleapis.com/google.firebase.fcm.v1.FcmError')?.errorCode;
    const fieldViolations = details.flatMap((d) => (Array.isArray(d.fieldViolations) ? d.fieldViolations.map((v) => String(v.field ?? '')) : []));
    return {
      ok: false,
      status: res.status,
      errorCode: String(fcm ?? err.status ?? `HTTP_${res.status}`),
      message: String(err.message ?? '').slice(0, 200),
      fieldViolations,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
    };
  }
}

interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
  details?: { '@type'?: string; errorCode?: string; fieldViolations?: { field?: string; description?: string }[] }[];
}

/** The OAuth token endpoint refused or failed: nothing was sent. */
export class FcmAuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'FcmAuthError';
  }
}
