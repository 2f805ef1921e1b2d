// Round trip through the client @hey-api/openapi-ts generates from the served document
// (default settings: its fetch client), used the way its users would: the generated sdk
// functions and types, no hand-written HTTP.
//
// No base URL is configured here: the document a server serves puts the address it was
// fetched from first in `servers`, and the generator made that the client's default.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client } from './generated/heyapi/client.gen.js';
import {
  createTask,
  deleteTask,
  type ExceptionDto,
  getTaskVariable,
  getTaskVariableBinary,
  getTaskVariables,
  type MultiFormVariableBinaryDto,
  putTaskVariable,
  setBinaryTaskVariable,
  type TaskDto,
  type VariableValueDto,
} from './generated/heyapi/index.js';
import {
  assertSameBytes,
  base64,
  bytesContent,
  extendedFilename,
  fileCharset,
  fileContent,
  fileMediaType,
  fileName,
  parseContentType,
  taskvarsUrl,
  typedValueCases,
  uniqueTaskId,
} from './fixtures.js';

const expectedBaseUrl = taskvarsUrl();
const taskId = uniqueTaskId('heyapi');
const bytesVar = 'bytesUpload';
const fileVar = 'fileUpload';
// The File object the upload sends; its `type` is what the server must store. (The File API
// lower-cases a type, so `charset=UTF-8` goes out, and comes back, as `charset=utf-8`.)
const file = new File([fileContent], fileName, { type: `${fileMediaType}; charset=${fileCharset}` });

/** Downloads a binary variable as bytes. */
async function download(varName: string) {
  const result = await getTaskVariableBinary({
    path: { id: taskId, varName },
    // NEEDED: without it the client picks the parser from the Content-Type ('auto'), and a
    // `text/*` File comes back decoded as a string. 'blob' matches the generated type
    // (Blob | File); 'arrayBuffer' works as well.
    parseAs: 'blob',
  });
  assert.equal(result.error, undefined, `download of ${varName} failed`);
  assert.equal(result.response?.status, 200);
  assert.ok(result.data instanceof Blob, `the download of ${varName} is not a Blob`);
  assert.ok(result.response);
  return { bytes: new Uint8Array(await result.data.arrayBuffer()), response: result.response };
}

describe('@hey-api/openapi-ts client', () => {
  before(async () => {
    const task: TaskDto = { id: taskId, name: 'hey-api round trip' };
    const result = await createTask({ body: task });
    assert.equal(result.error, undefined, `createTask failed: ${JSON.stringify(result.error)}`);
    assert.equal(result.response?.status, 204);
  });

  after(async () => {
    await deleteTask({ path: { id: taskId } });
  });

  test('its default base URL is the address the document was fetched from', () => {
    assert.equal(client.getConfig().baseUrl, expectedBaseUrl);
  });

  test('uploads a Bytes value (multipart)', async () => {
    // NEEDED: `data` must be a Blob (or File): a string would be sent as UTF-8 text. No
    // Content-Type header by hand: the generated function lets fetch set
    // `multipart/form-data; boundary=…` from the FormData it builds.
    const body: MultiFormVariableBinaryDto = { data: new Blob([bytesContent]), valueType: 'Bytes' };
    const result = await setBinaryTaskVariable({ path: { id: taskId, varName: bytesVar }, body });
    assert.equal(result.error, undefined, `upload failed: ${JSON.stringify(result.error)}`);
    assert.equal(result.response?.status, 204);
  });

  test('uploads a File value with a non-ASCII name and a charset (multipart)', async () => {
    // A File, not a Blob: its name becomes the part's filename, its type the part's
    // Content-Type, which the server stores as the value's mimeType and encoding.
    const body: MultiFormVariableBinaryDto = { data: file, valueType: 'File' };
    const result = await setBinaryTaskVariable({ path: { id: taskId, varName: fileVar }, body });
    assert.equal(result.error, undefined, `upload failed: ${JSON.stringify(result.error)}`);
    assert.equal(result.response?.status, 204);
  });

  test('downloads the Bytes value byte for byte', async () => {
    const { bytes, response } = await download(bytesVar);
    assertSameBytes(bytes, bytesContent, 'Bytes download');
    assert.equal(parseContentType(response.headers.get('Content-Type')).mediaType, 'application/octet-stream');
  });

  test('downloads the File value byte for byte, with its media type, charset and name', async () => {
    const { bytes, response } = await download(fileVar);
    assertSameBytes(bytes, fileContent, 'File download');
    const sent = parseContentType(file.type);
    assert.deepEqual(parseContentType(response.headers.get('Content-Type')), {
      mediaType: fileMediaType,
      charset: fileCharset.toLowerCase(),
    });
    assert.deepEqual(parseContentType(response.headers.get('Content-Type')), sent);
    const disposition = response.headers.get('Content-Disposition');
    assert.match(disposition ?? '', /^attachment\s*;/);
    assert.equal(extendedFilename(disposition), fileName);
  });

  test('lists both uploads with their types and details', async () => {
    const result = await getTaskVariables({ path: { id: taskId } });
    assert.equal(result.error, undefined, `getTaskVariables failed: ${JSON.stringify(result.error)}`);
    const variables: { [name: string]: VariableValueDto } = result.data ?? {};
    const bytesValue = variables[bytesVar];
    const fileValue = variables[fileVar];
    assert.ok(bytesValue && fileValue, `missing from ${Object.keys(variables).join(', ')}`);
    assert.equal(bytesValue.type, 'Bytes');
    assert.equal(bytesValue.value, base64(bytesContent));
    assert.equal(fileValue.type, 'File');
    assert.equal(fileValue.value, null);
    assert.deepEqual(fileValue.valueInfo, {
      filename: fileName,
      mimeType: fileMediaType,
      encoding: fileCharset.toLowerCase(),
    });
  });

  describe('typed values: PUT, then GET', () => {
    for (const testCase of typedValueCases) {
      test(testCase.type, async () => {
        const varName = `typed${testCase.type}`;
        const path = { id: taskId, varName };
        const body: VariableValueDto = testCase.put;
        const put = await putTaskVariable({ path, body });
        assert.equal(put.error, undefined, `PUT failed: ${JSON.stringify(put.error)}`);
        assert.equal(put.response?.status, 204);

        const get = await getTaskVariable({ path });
        assert.equal(get.error, undefined, `GET failed: ${JSON.stringify(get.error)}`);
        const value: VariableValueDto | undefined = get.data;
        assert.deepEqual(value, testCase.get);

        if (testCase.getSerialized) {
          const serialized = await getTaskVariable({ path, query: { deserializeValue: false } });
          assert.equal(serialized.error, undefined);
          assert.deepEqual(serialized.data, testCase.getSerialized);
        }
        if (testCase.download) {
          const { bytes } = await download(varName);
          assertSameBytes(bytes, testCase.download, `${testCase.type} download`);
        }
      });
    }
  });

  test('a missing variable is a 404 with an ExceptionDto', async () => {
    const varName = 'noSuchVariable';
    const result = await getTaskVariable({ path: { id: taskId, varName } });
    assert.equal(result.data, undefined);
    assert.equal(result.response?.status, 404);
    // The generated error type of getTaskVariable is ExceptionDto (its 400, 404 and 500).
    const error: ExceptionDto | undefined = result.error;
    assert.ok(error);
    assert.equal(error.type, 'InvalidRequestException');
    assert.equal(error.message, `task variable with name ${varName} does not exist`);
  });
});
