import type { Adapter, ClientMetadata } from 'oidc-provider';
import type { ClientRow } from '../apps/client-fields.js';
import type { PrismaClient } from '../db/prisma.js';

/**
 * Stands in for the secret in a confidential client's metadata: oidc-provider wants one there, and
 * the registry keeps only its SHA-256. The comparison is the registry's (`authenticate`); nothing that would
 * use the secret as a key (HS256, client_secret_jwt) is enabled.
 */
const SECRET_PLACEHOLDER = 'kept-as-sha256-in-the-app-registry';

/** A registered app as oidc-provider's client metadata: the registry is the client store. */
export function clientMetadataOf(app: ClientRow): ClientMetadata {
  const isPublic = app.clientType === 'public';
  // A private-use scheme is a mobile app's (RFC 8252): oidc-provider checks it as a native client's.
  const native = app.redirectUris.some((uri) => !/^https?:/.test(uri));
  return {
    client_id: app.id,
    application_type: native ? 'native' : 'web',
    // auth_time in every ID token: relying parties check max_age against it.
    require_auth_time: true,
    client_name: app.name,
    ...(isPublic
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: SECRET_PLACEHOLDER, token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: app.redirectUris,
    post_logout_redirect_uris: app.postLogoutUris,
    grant_types: app.grantTypes,
    response_types: ['code'],
    scope: app.scopes.join(' '),
    ...(app.backchannelLogoutUri
      ? {
          backchannel_logout_uri: app.backchannelLogoutUri,
          backchannel_logout_session_required: true,
        }
      : {}),
  };
}

/**
 * The `Client` model's adapter: reads the app registry, writes nothing (apps are registered by the
 * CLI and the admin API, never by the provider: dynamic registration is off).
 */
export function appClientAdapter(prisma: PrismaClient): Adapter {
  const none = async () => undefined;
  return {
    async find(id) {
      const app = await prisma.app.findUnique({ where: { id } });
      // An app with no redirect URI takes no part in OpenID Connect: it is not a client here.
      return app && app.redirectUris.length > 0 ? clientMetadataOf(app) : undefined;
    },
    upsert: none,
    findByUid: none,
    findByUserCode: none,
    consume: none,
    destroy: none,
    revokeByGrantId: none,
  };
}
