import type { Messages } from '../../core/i18n/index.js';

export const messages: Record<'es' | 'en', Messages> = {
  es: {
    already_signed_in: 'Ya has iniciado sesión',
    'already_signed_in.detail': 'Los usuarios con sesión iniciada no necesitan una identidad de invitado.',
    guest_rate_limited: 'Demasiados invitados nuevos',
    'guest_rate_limited.detail': 'Se han creado demasiados invitados desde esta dirección. Inténtalo más tarde.',
  },
  en: {
    already_signed_in: 'Already signed in',
    'already_signed_in.detail': 'Signed-in users do not need a guest identity.',
    guest_rate_limited: 'Too many new guests',
    'guest_rate_limited.detail': 'Too many guests were created from this address. Try again later.',
  },
};
