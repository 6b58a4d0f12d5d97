import { z } from 'zod';

/**
 * An upstream OpenID Connect provider customers may sign in with (Google, Apple, Microsoft, or any
 * issuer by discovery), as SOCIAL_PROVIDERS lists it (a JSON array).
 */
export const socialProviderSchema = z.strictObject({
  /** Its id in paths and journeys: `google`. */
  id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a short lower-case id (a-z, 0-9, -)'),
  /** What its button says: `Continue with Google`. */
  name: z.string().min(1).max(64),
  /** Its issuer: discovery is fetched from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url({ protocol: /^https?$/ }),
  client_id: z.string().min(1).max(512),
  client_secret: z.string().min(1).max(512),
  scopes: z
    .string()
    .regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/)
    .default('openid email'),
  /**
   * The allow-list for linking by address: only a provider trusted here to verify addresses links
   * its identity to an existing account whose address matches, and only when it says
   * `email_verified: true` and the account's address was verified too. Otherwise the customer
   * signs in with a factor of the account first.
   */
  link_verified_email: z.boolean().default(false),
  /** Where the provider sends the browser back; one per provider (mix-up defence). */
  redirect_uri: z.url({ protocol: /^https?$/ }).optional(),
});

export type SocialProviderInput = z.infer<typeof socialProviderSchema>;
export type SocialProvider = SocialProviderInput & { redirect_uri: string };

/** The path a provider's answer comes back to, under the API's public URL. */
export const socialCallbackPath = (id: string) => `/pages/social/${id}/callback`;

/** The providers with their redirect URIs filled in from the public URL where not given. */
export function socialProvidersOf(
  providers: readonly SocialProviderInput[],
  publicUrl: string | undefined,
): SocialProvider[] {
  return providers.flatMap((provider) => {
    const redirect =
      provider.redirect_uri ??
      (publicUrl
        ? `${publicUrl.replace(/\/+$/, '')}${socialCallbackPath(provider.id)}`
        : undefined);
    return redirect ? [{ ...provider, redirect_uri: redirect }] : [];
  });
}

/**
 * `email_verified` as providers send it: `true`, or the string `"true"` (some send strings). Any
 * other value, `"false"` included, is not verified.
 */
export const emailVerifiedOf = (claim: unknown): boolean => claim === true || claim === 'true';
