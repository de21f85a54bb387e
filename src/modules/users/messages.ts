import type { Messages } from '../../core/i18n/index.js';

export const messages: Record<'es' | 'en', Messages> = {
  es: {
    profile_users_only: 'Solo para cuentas de usuario',
    'profile_users_only.detail': 'Esta identidad no tiene un perfil de usuario.',
    profile_delete_requires_session: 'Se necesita una sesión iniciada',
    'profile_delete_requires_session.detail': 'Para borrar la cuenta inicia sesión; no se puede hacer con una clave de API.',
  },
  en: {
    profile_users_only: 'User accounts only',
    'profile_users_only.detail': 'This identity has no user profile.',
    profile_delete_requires_session: 'A signed-in session is required',
    'profile_delete_requires_session.detail': 'Sign in to delete the account; an API key cannot do it.',
  },
};
