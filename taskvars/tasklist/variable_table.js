// Variables as the server stores them: name, type and value; Json pretty-printed, File
// and Bytes as a download with their name, size and media type.
import { contentLength, href } from "./api.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, formatDate, formatSize, html } from "./ui.js";

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // not JSON after all: shown as stored
  }
}

function FileValue({ variable }) {
  // The variable's answer does not carry the length: a HEAD request does, again for each
  // answer (a variable stored again under its name may be another file).
  const size = useLoaded((signal) => contentLength(variable.dataPath, signal), [variable]);
  const name = variable.valueInfo?.filename || variable.name;
  return html`<div class="file-value">
    <a href=${href(variable.dataPath)} download=${name}>Download ${name}</a>
    <span class="muted">
      ${size.data != null ? formatSize(size.data) : ""}
      ${variable.valueInfo?.mimeType ? ` · ${variable.valueInfo.mimeType}` : ""}
    </span>
    <${ErrorMessage} error=${size.error} />
  </div>`;
}

function VariableValue({ variable }) {
  const { type, value } = variable;
  if (type === "File" || type === "Bytes") return html`<${FileValue} variable=${variable} />`;
  if (value === null || value === undefined) return html`<span class="muted">null</span>`;
  if (type === "Json") return html`<pre>${prettyJson(value)}</pre>`;
  if (typeof value === "object") return html`<pre>${JSON.stringify(value, null, 2)}</pre>`;
  if (type === "Object" || type === "Xml") return html`<pre>${String(value)}</pre>`;
  if (type === "Date") return formatDate(value);
  return String(value);
}

/** ``variables``: [{name, type, value, valueInfo, dataPath}], dataPath where its bytes download. */
export function VariableTable({ variables }) {
  if (!variables.length) return html`<p class="muted">No variables.</p>`;
  return html`<div class="table-scroll">
    <table class="variables">
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Value</th></tr></thead>
      <tbody>
        ${variables.map(
          (variable) => html`<tr key=${variable.name + (variable.dataPath || "")}>
            <th scope="row">${variable.name}</th>
            <td>${variable.type}</td>
            <td><${VariableValue} variable=${variable} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
