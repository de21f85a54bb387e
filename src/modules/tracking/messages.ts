import type { Messages } from '../../core/i18n/index.js';

export const messages: Record<'es' | 'en', Messages> = {
  es: {
    tracking_origin_rejected: 'Origen no autorizado',
    'tracking_origin_rejected.detail': 'Los eventos de {origin} no se aceptan: agrega ese origen a server.cors.origins o modules.tracking.origins.',
    'tracking_origin_rejected.missing': 'La solicitud no indica su origen (Origin o Referer) ni trae credenciales de servidor.',
    tracking_batch_too_large: 'Demasiados eventos',
    'tracking_batch_too_large.detail': 'Envía como máximo {max} eventos por solicitud.',
    tracking_range_invalid: 'Rango no válido',
    'tracking_range_invalid.detail': 'La fecha final debe ser posterior a la inicial.',
    tracking_range_too_long: 'Rango demasiado largo',
    'tracking_range_too_long.detail': 'Consulta como máximo {days} días.',
  },
  en: {
    tracking_origin_rejected: 'Origin not allowed',
    'tracking_origin_rejected.detail': 'Events from {origin} are not accepted: add that origin to server.cors.origins or modules.tracking.origins.',
    'tracking_origin_rejected.missing': 'The request names no origin (Origin or Referer) and carries no server credential.',
    tracking_batch_too_large: 'Too many events',
    'tracking_batch_too_large.detail': 'Send at most {max} events per request.',
    tracking_range_invalid: 'Invalid range',
    'tracking_range_invalid.detail': 'The end must come after the start.',
    tracking_range_too_long: 'Range too long',
    'tracking_range_too_long.detail': 'Ask for at most {days} days.',
  },
};
