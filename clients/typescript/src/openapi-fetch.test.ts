// Round trip through openapi-fetch over the types openapi-typescript generates from the
// served document (default settings), used the way its users would: typed paths, typed
// bodies and answers, no hand-written HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import createClient from 'openapi-fetch';

import type { components, paths } from './generated/schema.js';
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

type ExceptionDto = components['schemas']['ExceptionDto'];
type TaskDto = components['schemas']['TaskDto'];
type VariableValueDto = components['schemas']['VariableValueDto'];
type MultiFormVariableBinaryDto = components['schemas']['MultiFormVariableBinaryDto'];
// NEEDED: openapi-typescript's CLI types `format: binary` as `string` (only its Node API
// takes a transform that makes it a Blob), but a part with arbitrary bytes must be a Blob.
// So the upload is built as this type and handed over with a cast.
type BlobUpload = Omit<MultiFormVariableBinaryDto, 'data'> & { data: Blob };

// openapi-fetch has no default address: a user names it.
const baseUrl = taskvarsUrl();
const api = createClient<paths>({ baseUrl });
const taskId = uniqueTaskId('openapi-fetch');
const bytesVar = 'bytesUpload';
const fileVar = 'fileUpload';
// The File object the upload sends; its `type` is what the server must store. (The File API
// lower-cases a type, so `charset=UTF-8` goes out, and comes back, as `charset=utf-8`.)
const file = new File([fileContent], fileName, { type: `${fileMediaType}; charset=${fileCharset}` });

/** Uploads a binary variable as multipart/form-data. */
async function upload(varName: string, parts: BlobUpload) {
  return api.POST('/task/{id}/variables/{varName}/data', {
    params: { path: { id: taskId, varName } },
    body: parts as unknown as MultiFormVariableBinaryDto,
    // NEEDED: openapi-fetch sends JSON unless told otherwise; a bodySerializer that builds
    // FormData makes it multipart. No Content-Type header by hand: for a FormData body
    // openapi-fetch sets none, and fetch adds `multipart/form-data; boundary=…` itself.
    bodySerializer(body) {
      const { data, valueType } = body as unknown as BlobUpload;
      const form = new FormData();
      form.append('data', data); // a File keeps its name and type in the part
      form.append('valueType', valueType);
      return form;
    },
  });
}

/** Downloads a binary variable as bytes. */
async function download(varName: string) {
  const result = await api.GET('/task/{id}/variables/{varName}/data', {
    params: { path: { id: taskId, varName } },
    // NEEDED: openapi-fetch parses every answer as JSON unless told otherwise.
    parseAs: 'arrayBuffer',
  });
  assert.equal(result.error, undefined, `download of ${varName} failed`);
  assert.equal(result.response.status, 200);
  assert.ok(result.data instanceof ArrayBuffer, `the download of ${varName} is not an ArrayBuffer`);
  return { bytes: new Uint8Array(result.data), response: result.response };
}

describe('openapi-fetch client over openapi-typescript types', () => {
  before(async () => {
    const task: TaskDto = { id: taskId, name: 'openapi-fetch round trip' };
    const result = await api.POST('/task/create', { body: task });
    assert.equal(result.error, undefined, `createTask failed: ${JSON.stringify(result.error)}`);
    assert.equal(result.response.status, 204);
  });

  after(async () => {
    await api.DELETE('/task/{id}', { params: { path: { id: taskId } } });
  });

  test('uploads a Bytes value (multipart)', async () => {
    const result = await upload(bytesVar, { data: new Blob([bytesContent]), valueType: 'Bytes' });
    assert.equal(result.error, undefined, `upload failed: ${JSON.stringify(result.error)}`);
    assert.equal(result.response.status, 204);
  });

  test('uploads a File value with a non-ASCII name and a charset (multipart)', async () => {
    const result = await upload(fileVar, { data: file, valueType: 'File' });
    assert.equal(result.error, undefined, `upload failed: ${JSON.stringify(result.error)}`);
    assert.equal(result.response.status, 204);
  });

  test('downloads the Bytes value byte for byte', async () => {
    const { bytes, response } = await download(bytesVar);
    assertSameBytes(bytes, bytesContent, 'Bytes download');
    assert.equal(parseContentType(response.headers.get('Content-Type')).mediaType, 'application/octet-stream');
  });

  test('downloads the File value byte for byte, with its media type, charset and name', async () => {
    const { bytes, response } = await download(fileVar);
    assertSameBytes(bytes, fileContent, 'File download');
    assert.deepEqual(parseContentType(response.headers.get('Content-Type')), {
      mediaType: fileMediaType,
      charset: fileCharset.toLowerCase(),
    });
    assert.deepEqual(parseContentType(response.headers.get('Content-Type')), parseContentType(file.type));
    const disposition = response.headers.get('Content-Disposition');
    assert.match(disposition ?? '', /^attachment\s*;/);
    assert.equal(extendedFilename(disposition), fileName);
  });

  test('lists both uploads with their types and details', async () => {
    const result = await api.GET('/task/{id}/variables', { params: { path: { id: taskId } } });
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
        const put = await api.PUT('/task/{id}/variables/{varName}', { params: { path }, body });
        assert.equal(put.error, undefined, `PUT failed: ${JSON.stringify(put.error)}`);
        assert.equal(put.response.status, 204);

        const get = await api.GET('/task/{id}/variables/{varName}', { params: { path } });
        assert.equal(get.error, undefined, `GET failed: ${JSON.stringify(get.error)}`);
        const value: VariableValueDto | undefined = get.data;
        assert.deepEqual(value, testCase.get);

        if (testCase.getSerialized) {
          const serialized = await api.GET('/task/{id}/variables/{varName}', {
            params: { path, query: { deserializeValue: false } },
          });
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
    const result = await api.GET('/task/{id}/variables/{varName}', {
      params: { path: { id: taskId, varName } },
    });
    assert.equal(result.data, undefined);
    assert.equal(result.response.status, 404);
    // The generated error type of this operation is ExceptionDto (its 400, 404 and 500).
    const error: ExceptionDto | undefined = result.error;
    assert.ok(error);
    assert.equal(error.type, 'InvalidRequestException');
    assert.equal(error.message, `task variable with name ${varName} does not exist`);
  });
});
