// A task's variables as the server stores them: name, type and value; Json
// pretty-printed, File and Bytes as a download with their name, size and media type.
import { get, href } from "./api.js";
import { FileUpload } from "./file_upload.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, formatDate, formatSize, html } from "./ui.js";

const BINARY_TYPES = new Set(["File", "Bytes"]);

/** The length of a download, asked with HEAD: the variable's answer does not carry it. */
async function contentLength(path, signal) {
  const response = await fetch(href(path), { method: "HEAD", signal });
  const length = response.ok ? response.headers.get("Content-Length") : null;
  return length === null ? null : Number(length);
}

async function loadVariables(path, signal) {
  const variables = await get(path, { deserializeValues: false }, signal);
  const rows = Object.entries(variables).map(async ([name, variable]) => {
    const data = `${path}/${encodeURIComponent(name)}/data`;
    const size = BINARY_TYPES.has(variable.type) ? await contentLength(data, signal) : null;
    return { name, ...variable, data, size };
  });
  return Promise.all(rows);
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // not JSON after all: shown as stored
  }
}

function BinaryValue({ variable }) {
  const info = variable.valueInfo || {};
  const fileName = info.filename || variable.name;
  return html`<span class="binary">
    <a href=${href(variable.data)} download=${fileName}>${fileName}</a>
    <span>${formatSize(variable.size)}</span>
    ${info.mimeType ? html`<span>${info.mimeType}</span>` : null}
  </span>`;
}

function VariableValue({ variable }) {
  if (BINARY_TYPES.has(variable.type)) return html`<${BinaryValue} variable=${variable} />`;
  if (variable.type === "Json") return html`<pre class="json">${prettyJson(variable.value)}</pre>`;
  if (variable.value === null) return html`<span class="muted">null</span>`;
  if (variable.type === "Date") return formatDate(variable.value);
  return typeof variable.value === "object" ? JSON.stringify(variable.value) : String(variable.value);
}

export function TaskVariables({ task }) {
  const path = `/task/${encodeURIComponent(task.id)}/variables`;
  const loaded = useLoaded((signal) => loadVariables(path, signal), [path]);
  const rows = loaded.data;
  return html`<section class="task-variables" aria-labelledby="variables-heading">
    <h3 id="variables-heading">Variables</h3>
    <${ErrorMessage} error=${loaded.error} />
    ${rows === undefined
      ? html`<p class="loading" role="status">Loading variables…</p>`
      : rows.length === 0
        ? html`<p class="empty">No variables.</p>`
        : html`<div class="table-scroll">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Value</th></tr></thead>
              <tbody>
                ${rows.map(
                  (variable) => html`<tr key=${variable.name}>
                    <th scope="row">${variable.name}</th>
                    <td>${variable.type}</td>
                    <td><${VariableValue} variable=${variable} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    <${FileUpload} path=${path} onUploaded=${loaded.reload} />
  </section>`;
}
