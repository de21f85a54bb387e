import { Type, type Static } from 'typebox';

const E164 = (description: string) => Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description });

/**
 * `modules.notifications.twilio`: SMS and WhatsApp through Twilio's Messages API. The `sms`
 * channel exists when the credentials and a sender (`smsFrom` or `messagingServiceSid`) are
 * set; `whatsapp` when the credentials and `whatsappFrom` (or the messaging service) are.
 * Keep the credentials out of the file: NEPTUNO_MODULES__NOTIFICATIONS__TWILIO__ACCOUNT_SID and
 * …__AUTH_TOKEN.
 */
export const TwilioConfigSchema = Type.Object(
  {
    /** `AC…` (34 characters). */
    accountSid: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'Account SID (env …__TWILIO__ACCOUNT_SID)' })),
    /** Signs the API calls (HTTP Basic) and Twilio's status callbacks (X-Twilio-Signature). */
    authToken: Type.Optional(Type.String({ minLength: 8, maxLength: 200, description: 'Auth token (env …__TWILIO__AUTH_TOKEN)' })),
    /** A local fake in tests; Twilio's regional edges otherwise (`https://api.dublin.ie1.twilio.com`). */
    baseUrl: Type.String({ minLength: 1, maxLength: 500, pattern: '^https?://', default: 'https://api.twilio.com' }),
    /** `MG…`: sends through a Messaging Service (sender pools, WhatsApp senders) instead of `From`. */
    messagingServiceSid: Type.Optional(Type.String({ pattern: '^MG[0-9a-fA-F]{32}$' })),
    smsFrom: Type.Optional(E164('The Twilio number SMS are sent from')),
    whatsappFrom: Type.Optional(E164('The WhatsApp sender number (without the whatsapp: prefix)')),
    /**
     * Ask Twilio to post status changes (delivered, undelivered, failed) to
     * `{server.publicUrl}/v1/public/notifications/twilio/status`. Needs a public URL Twilio can reach.
     */
    statusCallbacks: Type.Boolean({ default: true }),
    /** Bound on one API call; a timeout is retried like a 5xx. */
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 15_000 }),
  },
  { additionalProperties: false, default: {} },
);

export type TwilioConfig = Static<typeof TwilioConfigSchema>;
