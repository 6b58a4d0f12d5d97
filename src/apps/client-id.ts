import { z } from 'zod';

/**
 * A registered app's client id (OAuth 2.0, RFC 6749 §2.2), as the operator named it. Pure zod:
 * journeys take it in their start bodies, inside the workflow sandbox.
 */
export const clientId = () =>
  z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'Lower-case letters, digits and -, 2 to 63 of them');
