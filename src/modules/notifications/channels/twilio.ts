import type { ChannelResult, Delivery, NotificationChannel } from './contract.js';
import type { TwilioConfig } from './twilio-config.js';

/** Where Twilio posts status changes, under the module's public routes. */
export const TWILIO_STATUS_PATH = '/v1/public/notifications/twilio/status';

export type TwilioKind = 'sms' | 'whatsapp';

/** The message text: title, body and an absolute link, within Twilio's 1600-character limit. */
export function messageText(d: Pick<Delivery, 'content'>): string {
  const { title, body, url } = d.content;
  const lines = [title, body].filter((s) => s && s.trim());
  // Two lines saying the same thing (a code's title and body) read as one.
  if (lines.length === 2 && lines[0].trim() === lines[1].trim()) lines.pop();
  if (url && /^https?:\/\//.test(url)) lines.push(url);
  return lines.join('\n').slice(0, 1600);
}

/** The `To`/`From` address of a number on a kind of channel (`whatsapp:+57…`). */
export const address = (kind: TwilioKind, e164: string) => (kind === 'whatsapp' ? `whatsapp:${e164}` : e164);

/** Whether this config can send on this kind: credentials plus a sender. */
export function twilioReady(cfg: TwilioConfig, kind: TwilioKind): boolean {
  if (!cfg.accountSid || !cfg.authToken) return false;
  return Boolean(cfg.messagingServiceSid || (kind === 'sms' ? cfg.smsFrom : cfg.whatsappFrom));
}

/**
 * One call to Twilio's Messages API: `POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * HTTP Basic (AccountSid:AuthToken), form-encoded To/From (or MessagingServiceSid)/Body and the
 * StatusCallback URL. Twilio answers 201 with the Message resource (`sid`, `status`), or an error
 * object `{ code, message, more_info, status }`.
 */
export async function sendTwilioMessage(
  cfg: TwilioConfig,
  kind: TwilioKind,
  to: string,
  body: string,
  statusCallback: string | null,
): Promise<ChannelResult> {
  const form = new URLSearchParams({ To: address(kind, to), Body: body });
  if (cfg.messagingServiceSid) form.set('MessagingServiceSid', cfg.messagingServiceSid);
  else form.set('From', address(kind, (kind === 'sms' ? cfg.smsFrom : cfg.whatsappFrom)!));
  if (statusCallback) form.set('StatusCallback', statusCallback);
  const url = `${cfg.baseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${cfg.accountSid}/Messages.json`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${cfg.accountSid}:${cfg.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      signal: AbortSignal.timeout(cfg.timeoutMs),
    });
  } catch (err) {
    return { status: 'failed', retryable: true, error: `twilio: ${(err as Error).message}` };
  }
  const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (res.ok && json && typeof json.sid === 'string') {
    // A message refused at once (rare) comes back with status failed and its error code.
    if (json.status === 'failed' || json.status === 'undelivered') return { status: 'failed', retryable: false, providerMessageId: json.sid, error: `twilio ${String(json.error_code ?? '')}: ${String(json.error_message ?? json.status)}` };
    return { status: 'sent', providerMessageId: json.sid };
  }
  const code = typeof json?.code === 'number' ? json.code : null;
  const error = `twilio ${res.status}${code !== null ? ` ${code}` : ''}: ${typeof json?.message === 'string' ? json.message : res.statusText}`;
  if (res.status === 429 || res.status >= 500) return { status: 'failed', retryable: true, error };
  // Every other refusal is final: the number is not one (21211; 21614 not a mobile number), it
  // cannot be reached from this sender (21408, 21612), the recipient replied STOP (21610), the
  // WhatsApp session window is closed (63016), or the credentials are wrong (20003). The error
  // code stays in the attempt record and the admin list.
  return { status: 'failed', retryable: false, error };
}

/**
 * The `sms` and `whatsapp` channels: a user's verified phone number (auth's phone-number
 * plugin), or the number an address target names (one-time codes). Quiet hours apply.
 */
export function twilioChannel(kind: TwilioKind, cfg: TwilioConfig, publicUrl: string): NotificationChannel {
  const callback = cfg.statusCallbacks ? `${publicUrl.replace(/\/$/, '')}${TWILIO_STATUS_PATH}` : null;
  return {
    name: kind,
    retry: { attempts: 5, backoffMs: 15_000 },
    canReach: (r) => r.phone !== null,
    send: (d) => sendTwilioMessage(cfg, kind, d.recipient.phone!, messageText(d), callback),
  };
}

/** Registers `sms` and/or `whatsapp` when the config can send on them (NotificationService). */
export function registerTwilioChannels(register: (c: NotificationChannel) => void, cfg: TwilioConfig, publicUrl: string): void {
  for (const kind of ['sms', 'whatsapp'] as const) if (twilioReady(cfg, kind)) register(twilioChannel(kind, cfg, publicUrl));
}
