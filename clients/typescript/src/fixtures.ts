// Values both test files send and expect back. Plain data, no HTTP: each test file puts
// them through its own generated client and its own generated types.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

/** The server's address with the context path, e.g. http://127.0.0.1:8080/engine-rest. */
export function taskvarsUrl(): string {
  const url = process.env.TASKVARS_URL;
  assert.ok(url, 'set TASKVARS_URL to the server address, e.g. http://127.0.0.1:8080/engine-rest');
  return url.replace(/\/+$/, '');
}

/** A task id nobody else uses: each run works on tasks of its own. */
export function uniqueTaskId(client: string): string {
  return `ts-${client}-${randomUUID()}`;
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/**
 * Content of the `Bytes` upload: every byte value, CR LF pairs, NUL bytes, and lines that
 * look like multipart boundaries and part headers, so that a client or server that treats
 * the body as text or scans it for boundaries gets it wrong.
 */
export const bytesContent: Uint8Array<ArrayBuffer> = Uint8Array.from([
  ...Array.from({ length: 256 }, (_, i) => i),
  ...ascii('\r\n--boundary\r\n'),
  ...ascii('Content-Disposition: form-data; name="data"\r\n\r\n'),
  0, 0, 0, 13, 10, 13, 10, 0,
  ...ascii('\r\n--boundary--\r\n'),
  ...Array.from({ length: 256 }, (_, i) => 255 - i),
  13,
]);

/** The `File` upload: a non-ASCII name, a media type with a charset, UTF-8 text with CR LF. */
export const fileName = 'Überweisung – März.txt';
export const fileMediaType = 'text/plain';
export const fileCharset = 'UTF-8';
export const fileContent: Uint8Array<ArrayBuffer> = new TextEncoder().encode(
  'Überweisung für März\r\nBetrag: 12,50 €\r\n--boundary\r\nEnde\r\n',
);

export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** The exact file name in a Content-Disposition header's `filename*=UTF-8''…` parameter. */
export function extendedFilename(contentDisposition: string | null): string | undefined {
  const match = /filename\*\s*=\s*UTF-8''([^;\s]+)/i.exec(contentDisposition ?? '');
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

/** Splits a Content-Type header into its media type and (lower-cased) charset. */
export function parseContentType(header: string | null): { mediaType: string; charset?: string } {
  const [mediaType = '', ...params] = (header ?? '').split(';').map((part) => part.trim());
  const charset = params
    .map((param) => /^charset\s*=\s*"?([^"]*)"?$/i.exec(param)?.[1])
    .find((value) => value !== undefined);
  return charset === undefined
    ? { mediaType: mediaType.toLowerCase() }
    : { mediaType: mediaType.toLowerCase(), charset: charset.toLowerCase() };
}

/** A value to PUT as JSON, and what a GET of it must answer. */
export interface TypedValueCase {
  type: string;
  put: { type: string; value: unknown; valueInfo?: Record<string, unknown> };
  /** The answer of GET …/variables/{varName} (with `deserializeValue` left at its default). */
  get: { type: string; value: unknown; valueInfo: Record<string, unknown> };
  /** For `Object`: the answer with `deserializeValue=false`, the serialized text. */
  getSerialized?: { type: string; value: unknown; valueInfo: Record<string, unknown> };
  /** For `Bytes` and `File`: what GET …/variables/{varName}/data must send. */
  download?: Uint8Array;
}

const objectText = '{"amount":12.5,"currency":"EUR","tags":["a","ü"],"paid":false}';
const objectInfo = { objectTypeName: 'java.util.HashMap', serializationDataFormat: 'application/json' };
const putFileBytes = new TextEncoder().encode('hello\r\nwörld\u0000end');

const same = (type: string, value: unknown): TypedValueCase => ({
  type,
  put: { type, value },
  get: { type, value, valueInfo: {} },
});

/** One value of each type the JSON API knows. */
export const typedValueCases: TypedValueCase[] = [
  same('String', 'Grüße – 😀 "quoted" \\ back\r\nslash\ttab'),
  same('Boolean', true),
  same('Short', -32768),
  same('Integer', 2147483647),
  same('Long', 9007199254740991),
  same('Double', -1234.5678),
  // Camunda's format, yyyy-MM-dd'T'HH:mm:ss.SSSZ: the server keeps the offset it was given.
  same('Date', '2013-01-23T13:42:42.000+0200'),
  same('Null', null),
  same('Json', '{"a":[1,2,{"b":null}],"ü":"x"}'),
  same('Xml', '<?xml version="1.0" encoding="UTF-8"?><order id="1">Grüße &amp; mehr</order>'),
  {
    type: 'Object',
    put: { type: 'Object', value: objectText, valueInfo: objectInfo },
    get: { type: 'Object', value: JSON.parse(objectText), valueInfo: objectInfo },
    getSerialized: { type: 'Object', value: objectText, valueInfo: objectInfo },
  },
  {
    type: 'Bytes',
    put: { type: 'Bytes', value: base64(bytesContent) },
    get: { type: 'Bytes', value: base64(bytesContent), valueInfo: {} },
    download: bytesContent,
  },
  {
    type: 'File',
    put: { type: 'File', value: base64(putFileBytes), valueInfo: { filename: 'notes.txt' } },
    // As in Camunda, a File's JSON value is null; its content is read through …/data.
    get: { type: 'File', value: null, valueInfo: { filename: 'notes.txt' } },
    download: putFileBytes,
  },
];

/** Compares two byte sequences and says where they first differ. */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const length = Math.min(actual.length, expected.length);
  let at = 0;
  while (at < length && actual[at] === expected[at]) at += 1;
  assert.ok(
    at === actual.length && at === expected.length,
    `${what}: ${actual.length} bytes received, ${expected.length} expected; first difference at byte ${at}`,
  );
}
