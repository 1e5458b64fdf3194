// Ids bam dev makes for every request (request ids, trace ids, ...). They only need to look like
// AWS's and not repeat, so they are cut from text made from random bytes a batch at a time: a
// call to randomUUID() per id cost a tenth of bam dev's own work on a request.
import { randomFillSync } from 'node:crypto';

const UUIDS_PER_BATCH = 128;
const UUID_LENGTH = 36;
const HEX_BATCH_BYTES = 4096;

/** Each byte's two hex digits, as character codes. */
const HEX_DIGITS = new Uint8Array(512);
for (let byte = 0; byte < 256; byte++) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * byte] = digits.charCodeAt(0);
  HEX_DIGITS[2 * byte + 1] = digits.charCodeAt(1);
}

const uuidBytes = Buffer.alloc(UUIDS_PER_BATCH * 16);
const uuidText = Buffer.alloc(UUIDS_PER_BATCH * UUID_LENGTH);
let uuids = '';
let uuidAt = 0;

/** A version 4 UUID (8-4-4-4-12 lower-case hex digits), as randomUUID() makes them. */
export function requestUuid(): string {
  if (uuidAt >= uuids.length) {
    uuids = uuidBatch();
    uuidAt = 0;
  }
  uuidAt += UUID_LENGTH;
  return uuids.slice(uuidAt - UUID_LENGTH, uuidAt);
}

/** UUIDS_PER_BATCH UUIDs one after the other, as one string. */
function uuidBatch(): string {
  randomFillSync(uuidBytes);
  let out = 0;
  for (let start = 0; start < uuidBytes.length; start += 16) {
    // RFC 9562: version 4 in the high nibble of byte 6, variant 10 in the high bits of byte 8.
    uuidBytes[start + 6] = ((uuidBytes[start + 6] ?? 0) & 0x0f) | 0x40;
    uuidBytes[start + 8] = ((uuidBytes[start + 8] ?? 0) & 0x3f) | 0x80;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) uuidText[out++] = 0x2d; // '-'
      const byte = uuidBytes[start + i] ?? 0;
      uuidText[out++] = HEX_DIGITS[2 * byte] ?? 0;
      uuidText[out++] = HEX_DIGITS[2 * byte + 1] ?? 0;
    }
  }
  return uuidText.toString('latin1', 0, out);
}

let hexDigits = '';
let hexAt = 0;

/** `length` random hex digits. */
export function randomHex(length: number): string {
  if (hexAt + length > hexDigits.length) {
    hexDigits = randomFillSync(Buffer.alloc(HEX_BATCH_BYTES)).toString('hex');
    hexAt = 0;
  }
  hexAt += length;
  return hexDigits.slice(hexAt - length, hexAt);
}
