import type { Messages } from '../../core/i18n/index.js';

/** Problems of the messaging side (Twilio SMS/WhatsApp, outgoing webhooks, one-time codes), es and en. */
export const messagingMessages: Record<'es' | 'en', Messages> = {
  es: {
    twilio_not_configured: 'Twilio no está configurado',
    'twilio_not_configured.detail': 'Esta aplicación no envía SMS ni WhatsApp.',
    twilio_signature_invalid: 'Firma no válida',
    'twilio_signature_invalid.detail': 'La firma X-Twilio-Signature no corresponde a esta petición.',
  },
  en: {
    twilio_not_configured: 'Twilio is not configured',
    'twilio_not_configured.detail': 'This app sends no SMS or WhatsApp messages.',
    twilio_signature_invalid: 'Invalid signature',
    'twilio_signature_invalid.detail': 'The X-Twilio-Signature does not match this request.',
  },
};
