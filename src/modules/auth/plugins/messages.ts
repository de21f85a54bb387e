import type { Messages } from '../../../core/i18n/index.js';

/**
 * Problem titles and details for the plugin features (two-factor, organizations, tokens).
 * better-auth's codes arrive lowercased (INVALID_CODE -> invalid_code). Merged with the core
 * catalog in module.ts.
 */
export const pluginMessages: Record<'es' | 'en', Messages> = {
  en: {
    invalid_code: 'Invalid code',
    'invalid_code.detail': 'The code is not correct or has expired; try the current one from your app.',
    invalid_backup_code: 'Invalid backup code',
    'invalid_backup_code.detail': 'The backup code is not correct or was already used.',
    invalid_two_factor_cookie: 'Sign-in expired',
    'invalid_two_factor_cookie.detail': 'Sign in again with your password, then enter the code.',
    too_many_attempts_request_new_code: 'Too many attempts',
    'too_many_attempts_request_new_code.detail': 'Sign in again with your password to get a new chance.',
    account_temporarily_locked: 'Account temporarily locked',
    'account_temporarily_locked.detail': 'Too many wrong codes. Try again later.',
    totp_already_enabled: 'Two-factor already on',
    'totp_already_enabled.detail': 'Turn it off first to enrol a new authenticator.',
    totp_not_enabled: 'Two-factor not set up',
    jwt_disabled: 'Service tokens are disabled',
  },
  es: {
    invalid_code: 'Código no válido',
    'invalid_code.detail': 'El código no es correcto o ha caducado; prueba con el actual de tu aplicación.',
    invalid_backup_code: 'Código de respaldo no válido',
    'invalid_backup_code.detail': 'El código de respaldo no es correcto o ya se ha usado.',
    invalid_two_factor_cookie: 'Inicio de sesión caducado',
    'invalid_two_factor_cookie.detail': 'Vuelve a iniciar sesión con tu contraseña y después introduce el código.',
    too_many_attempts_request_new_code: 'Demasiados intentos',
    'too_many_attempts_request_new_code.detail': 'Vuelve a iniciar sesión con tu contraseña para intentarlo de nuevo.',
    account_temporarily_locked: 'Cuenta bloqueada temporalmente',
    'account_temporarily_locked.detail': 'Demasiados códigos incorrectos. Inténtalo más tarde.',
    totp_already_enabled: 'La verificación en dos pasos ya está activada',
    'totp_already_enabled.detail': 'Desactívala primero para registrar otro autenticador.',
    totp_not_enabled: 'Verificación en dos pasos no configurada',
    jwt_disabled: 'Los tokens de servicio están desactivados',
  },
};
