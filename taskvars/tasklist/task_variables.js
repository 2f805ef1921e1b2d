// A task's variables (the variable table) and a form that uploads a file as one.
import { get } from "./api.js";
import { FileUpload } from "./file_upload.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, html } from "./ui.js";
import { VariableTable } from "./variable_table.js";

async function loadVariables(path, signal) {
  const variables = await get(path, { deserializeValues: false }, signal);
  return Object.entries(variables).map(([name, variable]) => ({
    ...variable,
    name,
    dataPath: `${path}/${encodeURIComponent(name)}/data`,
  }));
}

export function TaskVariables({ task }) {
  const path = `/task/${encodeURIComponent(task.id)}/variables`;
  const loaded = useLoaded((signal) => loadVariables(path, signal), [path]);
  return html`<section class="task-variables" aria-labelledby="variables-heading">
    <h3 id="variables-heading">Variables</h3>
    <${ErrorMessage} error=${loaded.error} />
    ${loaded.data === undefined
      ? html`<p class="loading" role="status">Loading variables…</p>`
      : html`<${VariableTable} variables=${loaded.data} />`}
    <${FileUpload} path=${path} onUploaded=${loaded.reload} />
  </section>`;
}
