// Pure, and imported into Temporal's sandbox by the journey kit's sealed schemas.

/** A vault reference (`sec_…`): how a secret other than a new password travels. */
export const SECRET_REF_PATTERN = /^sec_[A-Za-z0-9_-]{22,}$/;
