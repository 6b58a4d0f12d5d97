/** A member name as one JSON pointer segment (RFC 6901 §3: `~` as `~0`, `/` as `~1`). */
export const pointerSegment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
