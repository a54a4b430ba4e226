export { parseKeys } from './parse-keys.js';
export { generateKeyEntry } from './generate-key-entry.js';
export { createKeyring, type Keyring } from './keyring.js';
export { pageTokenAad, userTokenAad } from './aad.js';
