/**
 * The desk every deployment has from its first start (the migration that introduced desks made every
 * existing row its own). Until the OMS hosts many desks at once, it serves this one.
 */
export const MAIN_DESK_ID = 1;
export const MAIN_DESK_NAME = 'main';
