import { z } from 'zod';

/**
 * A journey version as a query string carries it (`?version=2`): a positive whole number, or
 * refused, never `NaN`.
 */
export const versionParam = () =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'A version is a positive whole number')
    .transform(Number);

/**
 * The app a run is started from, as the `Parcours-Channel` header names it and a funnel filters
 * by it (`?channel=`): a short lower-case name.
 */
export const channelName = () =>
  z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'A channel is a short lower-case name (a-z, 0-9, . _ -)');
