// `npm run keys:generate`: a fresh PARCOURS_KEYS value. To rotate, put the new key first and keep the old ones after it.
import { generateKeySpec } from '../security/keyring.js';

console.log(generateKeySpec(`k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`));
