import type { Messages } from '../../core/i18n/index.js';

/** Problem titles and details of the push routes (merged into the module's catalog in messages.ts). */
export const pushMessages: Record<'es' | 'en', Messages> = {
  es: {
    push_channel_disabled: 'Canal no disponible',
    'push_channel_disabled.detail': 'El canal {channel} no está activado en esta aplicación.',
    webpush_endpoint_invalid: 'Suscripción no válida',
    'webpush_endpoint_invalid.detail': 'El endpoint debe ser una URL https de un servicio de notificaciones conocido.',
    webpush_keys_invalid: 'Claves no válidas',
    'webpush_keys_invalid.detail': 'Las claves p256dh y auth de la suscripción no son válidas.',
    push_subscription_not_found: 'Suscripción no encontrada',
    'push_subscription_not_found.detail': 'No existe esa suscripción para este navegador.',
    device_not_found: 'Dispositivo no encontrado',
    'device_not_found.detail': 'No existe ese dispositivo en tu cuenta.',
    device_target_external_id: 'Registro no necesario',
    'device_target_external_id.detail': 'Esta aplicación envía por OneSignal a tu cuenta (external_id): no hace falta registrar el dispositivo.',
  },
  en: {
    push_channel_disabled: 'Channel not available',
    'push_channel_disabled.detail': 'The {channel} channel is not switched on in this app.',
    webpush_endpoint_invalid: 'Invalid subscription',
    'webpush_endpoint_invalid.detail': 'The endpoint must be an https URL of a known push service.',
    webpush_keys_invalid: 'Invalid keys',
    'webpush_keys_invalid.detail': "The subscription's p256dh and auth keys are not valid.",
    push_subscription_not_found: 'Subscription not found',
    'push_subscription_not_found.detail': 'There is no such subscription for this browser.',
    device_not_found: 'Device not found',
    'device_not_found.detail': 'There is no such device on your account.',
    device_target_external_id: 'No registration needed',
    'device_target_external_id.detail': 'This app sends through OneSignal to your account (external_id): devices need not be registered.',
  },
};
