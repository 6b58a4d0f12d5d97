import { z } from 'zod';

/** The scopes an app may be allowed (OpenID Connect Core §5.4, and `offline_access` for refresh). */
export const OIDC_SCOPES = [
  'openid',
  'profile',
  'email',
  'phone',
  'address',
  'offline_access',
] as const;
export const GRANT_TYPES = ['authorization_code', 'refresh_token'] as const;

const LABEL = '[a-z0-9]+(?:-[a-z0-9]+)*';
// The last label starts with a letter: a host that ends in a number would be read as an IPv4 address.
const HOST = `(?:${LABEL}\\.)*[a-z][a-z0-9]*(?:-[a-z0-9]+)*`;
const PORT =
  '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?';
// RFC 3986 pchar without percent-encoding: a redirect URI is registered as plain characters.
const PCHAR = "A-Za-z0-9._~!$&'()*+,;=:@\\-";
const PATH = `(?:/[${PCHAR}/]*)?`;
const QUERY = `(?:\\?[${PCHAR}/?]*)?`;
const LOOPBACK = '(?:localhost|127\\.0\\.0\\.1|\\[::1\\])';
const PRIVATE_USE = `[a-z][a-z0-9+-]*(?:\\.[a-z0-9+-]+)+:/(?:[${PCHAR}][${PCHAR}/]*)?`;

/**
 * A redirect URI as registered, to be matched exactly (RFC 9700 §4.1.3): `https` with a DNS host —
 * or `http` on loopback for apps on the customer's machine, or a private-use scheme in reverse-DNS
 * form for a mobile app (RFC 8252 §7.1, §7.3) — with no fragment (RFC 6749 §3.1.2) and no user info.
 * One pattern, published as is in the OpenAPI document, so what it admits is what the API accepts.
 */
export const REDIRECT_URI = new RegExp(
  `^(?:https://${HOST}${PORT}${PATH}${QUERY}|http://${LOOPBACK}${PORT}${PATH}${QUERY}|${PRIVATE_USE}${QUERY})$`,
);

export const redirectUri = () =>
  z
    .string()
    .max(2000)
    .regex(
      REDIRECT_URI,
      'An absolute https URI (http on loopback, or a reverse-DNS scheme), with no fragment or user info',
    );

/** What makes an app an OpenID Connect client: how it authenticates and where it may be sent back. */
export const clientFields = {
  /** RFC 6749 §2.1: a public client (in the customer's hands) holds no secret and must use PKCE. */
  client_type: z.enum(['confidential', 'public']).default('confidential'),
  redirect_uris: z.array(redirectUri()).max(20).default([]),
  post_logout_redirect_uris: z.array(redirectUri()).max(20).default([]),
  scopes: z.array(z.enum(OIDC_SCOPES)).min(1).max(OIDC_SCOPES.length).default(['openid']),
  grant_types: z.array(z.enum(GRANT_TYPES)).min(1).default(['authorization_code']),
  backchannel_logout_uri: redirectUri().optional(),
};

/** The same fields in a change: each optional, `backchannel_logout_uri` removable with null. */
export const clientChange = {
  client_type: clientFields.client_type.unwrap().optional(),
  redirect_uris: z.array(redirectUri()).max(20).optional(),
  post_logout_redirect_uris: z.array(redirectUri()).max(20).optional(),
  scopes: z.array(z.enum(OIDC_SCOPES)).min(1).max(OIDC_SCOPES.length).optional(),
  grant_types: z.array(z.enum(GRANT_TYPES)).min(1).optional(),
  backchannel_logout_uri: redirectUri().nullable().optional(),
};

/** An app's row as far as OpenID Connect reads it. */
export interface ClientRow {
  id: string;
  name: string;
  clientType: string;
  redirectUris: string[];
  postLogoutUris: string[];
  scopes: string[];
  grantTypes: string[];
  backchannelLogoutUri: string | null;
}

type ClientInput = {
  client_type?: 'confidential' | 'public' | undefined;
  redirect_uris?: string[] | undefined;
  post_logout_redirect_uris?: string[] | undefined;
  scopes?: string[] | undefined;
  grant_types?: string[] | undefined;
  backchannel_logout_uri?: string | null | undefined;
};

/** The columns an input sets (only those it names). */
export const clientColumns = (input: ClientInput) => ({
  ...(input.client_type !== undefined ? { clientType: input.client_type } : {}),
  ...(input.redirect_uris !== undefined ? { redirectUris: input.redirect_uris } : {}),
  ...(input.post_logout_redirect_uris !== undefined
    ? { postLogoutUris: input.post_logout_redirect_uris }
    : {}),
  ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
  ...(input.grant_types !== undefined ? { grantTypes: input.grant_types } : {}),
  ...(input.backchannel_logout_uri !== undefined
    ? { backchannelLogoutUri: input.backchannel_logout_uri }
    : {}),
});

/** The client fields as the admin API and the CLI show them. */
export const describeClient = (row: ClientRow) => ({
  client_type: row.clientType,
  redirect_uris: row.redirectUris,
  post_logout_redirect_uris: row.postLogoutUris,
  scopes: row.scopes,
  grant_types: row.grantTypes,
  ...(row.backchannelLogoutUri ? { backchannel_logout_uri: row.backchannelLogoutUri } : {}),
});
