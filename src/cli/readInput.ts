/** Standard input as UTF-8 text for `diffuseq rewrite`, counting the invalid byte sequences instead of hiding them. */

/** The stream as UTF-8 text, and how many invalid byte sequences became U+FFFD (said, not silently replaced). */
export async function readAllText(stream: NodeJS.ReadableStream): Promise<{ text: string; invalid: number }> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  }
  return decodeUtf8(Buffer.concat(chunks));
}

export function decodeUtf8(bytes: Uint8Array): { text: string; invalid: number } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), invalid: 0 };
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes);
    const genuine = (
      Buffer.from(bytes)
        .toString('latin1')
        .match(/\xef\xbf\xbd/g) ?? []
    ).length;
    return { text, invalid: (text.match(/\uFFFD/g) ?? []).length - genuine };
  }
}
