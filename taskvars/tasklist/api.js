// The server's REST API, called as any client calls it. Paths are relative to the page,
// so that a reverse proxy's prefix is kept; the browser sends the HTTP Basic credentials
// it was given for this origin (under --auth-file) with every request.
export const REST = new URL("../engine-rest", document.baseURI).pathname;

/** An answer other than 2xx: Camunda's error JSON ({type, message}) where there is one. */
export class ApiError extends Error {
  constructor(status, type, message, body) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.type = type;
    this.body = body;
  }
}

function url(path, query) {
  const target = new URL(REST + path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(name, value);
  }
  return target.pathname + target.search;
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: the status says enough
  }
  return new ApiError(response.status, body?.type, body?.message, body);
}

/** ``method`` ``path`` with a query and a JSON or form body; the parsed JSON answer, or null. */
export async function call(method, path, { query, json, form, signal } = {}) {
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const response = await fetch(url(path, query), init);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const get = (path, query, signal) => call("GET", path, { query, signal });
export const post = (path, json) => call("POST", path, { json });

/** A link the browser can follow to download ``path`` (same origin: same credentials). */
export const href = (path) => url(path);

/** POST ``form`` (FormData) to ``path`` with upload progress: ``onProgress(sent, total)``. */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url(path));
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded, event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) {
        resolve(request.responseText ? JSON.parse(request.responseText) : null);
        return;
      }
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // not JSON
      }
      reject(new ApiError(request.status, body?.type, body?.message, body));
    });
    request.addEventListener("error", () => reject(new ApiError(0, null, "The upload was interrupted")));
    request.send(form);
  });
}

/** The size in bytes of what ``path`` downloads (its Content-Length, by a HEAD request). */
export async function contentLength(path, signal) {
  const response = await fetch(url(path), { method: "HEAD", signal });
  if (!response.ok) throw await failure(response);
  const length = response.headers.get("Content-Length");
  return length === null ? null : Number(length);
}
