/**
 * A link that proves an inbox as its code does (account recovery): `<challenge id>.<secret>`, the
 * secret 192 bits from a CSPRNG, kept as an HMAC like the code. Pure (no crypto here): the step
 * input schema reads its shape inside the workflow sandbox.
 */
export const LINK_TOKEN_PATTERN =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{32})$/;

/** The bytes of a link's secret: 192 bits (ASVS 5.0 V6.4.1 asks at least 128 for reset tokens). */
export const LINK_SECRET_BYTES = 24;

export function parseLinkToken(token: string): { challengeId: string; secret: string } | undefined {
  const match = LINK_TOKEN_PATTERN.exec(token);
  return match ? { challengeId: match[1] as string, secret: match[2] as string } : undefined;
}

/**
 * Where a link leads: the page that continues the run, on the configured public base URL only,
 * never a name a request gave (`Host`, `X-Forwarded-Host`: Zitadel GHSA-93m4-mfpg-c3xf). The token
 * rides in the fragment, which browsers never send to a server or a proxy log.
 */
export function continueUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/continue#${token}`;
}
