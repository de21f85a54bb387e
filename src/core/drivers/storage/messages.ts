import type { Messages } from '../../i18n/index.js';

/** Problems the local storage route answers, in both languages. */
export const storageMessages: Record<'es' | 'en', Messages> = {
  es: {
    storage_link_invalid: 'Enlace no válido',
    'storage_link_invalid.detail': 'El enlace de este archivo es incorrecto o ha caducado: pide uno nuevo.',
    range_not_satisfiable: 'Rango no disponible',
    'range_not_satisfiable.detail': 'El rango pedido empieza después del final del archivo ({size} bytes).',
  },
  en: {
    storage_link_invalid: 'Invalid link',
    'storage_link_invalid.detail': "This file's link is wrong or has expired: ask for a new one.",
    range_not_satisfiable: 'Range not satisfiable',
    'range_not_satisfiable.detail': 'The requested range starts past the end of the file ({size} bytes).',
  },
};
