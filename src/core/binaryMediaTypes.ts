/**
 * The content types API Gateway passes to the function base64-encoded (and decodes from an
 * isBase64Encoded answer): files, not text. A wildcard like * / * would base64 JSON bodies too and
 * break every handler that reads event.body as text. The deployed document declares this list and
 * `bam dev` follows it, so both treat a body the same way.
 */
export const BINARY_MEDIA_TYPES = [
  'image/*',
  'audio/*',
  'video/*',
  'font/*',
  'application/octet-stream',
  'application/pdf',
  'application/zip',
  'application/gzip',
  'multipart/form-data',
];

/** True when a Content-Type (parameters allowed) is one of the binary media types. */
export function isBinaryMediaType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return BINARY_MEDIA_TYPES.some((pattern) =>
    pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern,
  );
}

/**
 * Whether API Gateway decodes an isBase64Encoded proxy answer to bytes for this request: only when
 * the first media type of the request's Accept header is one of the binary media types (AWS:
 * "API Gateway uses the first Accept header from clients to determine if a response should return
 * binary media"). Otherwise the client gets the base64 text; `*` + `/*` (curl, fetch) matches none.
 */
export function acceptsBinary(accept: string | undefined): boolean {
  const first = accept?.split(',')[0]?.trim() ?? '';
  return first !== '' && isBinaryMediaType(first);
}
