// fatal: invalid UTF-8 is refused, not read as U+FFFD (Python's json.loads and the OCI spec's
// JSON refuse it too); ignoreBOM keeps a BOM in the text, which JSON.parse refuses as before
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text when they are valid UTF-8, else undefined. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}
