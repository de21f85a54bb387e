/** Problem titles and details of this module, by code. */
export const messages = {
  es: {
    entry_not_found: 'Entrada no encontrada',
    'entry_not_found.detail': 'No hay ninguna entrada publicada con ese id.',
  },
  en: {
    entry_not_found: 'Entry not found',
    'entry_not_found.detail': 'There is no entry with that id.',
  },
};
