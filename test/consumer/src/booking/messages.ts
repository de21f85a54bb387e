export const messages = {
  es: {
    booking_not_found: 'Reserva no encontrada',
    slot_taken: 'Horario ocupado',
    'slot_taken.detail': 'Ya hay una reserva para {slot}.',
    quota_exhausted: 'Sin reservas disponibles',
    booking_not_cancellable: 'La reserva no se puede cancelar',
  },
  en: {
    booking_not_found: 'Booking not found',
    slot_taken: 'Slot taken',
    'slot_taken.detail': 'There is already a booking for {slot}.',
    quota_exhausted: 'No bookings left',
    booking_not_cancellable: 'The booking cannot be cancelled',
  },
};
