// A task's form: its generated fields (camunda:formData, read from the model), or, for an
// embedded or external formKey or none at all, a plain variables editor; both submitted
// with submit-form, which completes the task (or resolves it when it was delegated).
import { get, post } from "./api.js";
import { readTaskForm } from "./form_model.js";
import { GeneratedForm } from "./generated_form.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, html } from "./ui.js";
import { VariablesEditor } from "./variables_editor.js";

// The key Camunda gives a task whose form the engine generates from its fields.
const GENERATED_KEY = /^embedded:engine:\/\//;

async function loadForm(task, signal) {
  const path = `/task/${encodeURIComponent(task.id)}`;
  const form = await get(`${path}/form`, undefined, signal);
  // A Camunda Form (camunda:formRef) is named by its key, as a formKey is.
  const key = form.key ?? form.camundaFormRef?.key ?? null;
  if ((key && !GENERATED_KEY.test(key)) || !task.processDefinitionId) return { key, form: null };
  const [{ bpmn20Xml }, formVariables] = await Promise.all([
    get(`/process-definition/${encodeURIComponent(task.processDefinitionId)}/xml`, undefined, signal),
    get(`${path}/form-variables`, { deserializeValues: false }, signal),
  ]);
  const generated = readTaskForm(bpmn20Xml, task.taskDefinitionKey);
  return { key: null, form: generated?.fields.length ? generated : null, formVariables };
}

/** ``onCompleted`` once the form completed the task, ``onResolved`` once it resolved it. */
export function TaskForm({ task, onCompleted, onResolved }) {
  const loaded = useLoaded((signal) => loadForm(task, signal), [task.id]);
  // submit-form on a delegated task hands it back to its owner instead of completing it.
  const delegated = task.delegationState === "PENDING";
  const submitLabel = delegated ? "Submit and resolve" : "Complete";
  const submit = async (variables) => {
    await post(`/task/${encodeURIComponent(task.id)}/submit-form`, { variables });
    (delegated ? onResolved : onCompleted)();
  };
  let body;
  if (!loaded.data) body = loaded.error ? null : html`<p class="loading" role="status">Loading the form…</p>`;
  else if (loaded.data.form)
    body = html`<${GeneratedForm}
      form=${loaded.data.form}
      formVariables=${loaded.data.formVariables}
      submitLabel=${submitLabel}
      submit=${submit}
    />`;
  else
    body = html`${loaded.data.key
        ? html`<p>Form <code>${loaded.data.key}</code>: not shown here; the variables to submit:</p>`
        : null}
      <${VariablesEditor} submitLabel=${submitLabel} submit=${submit} />`;
  return html`<section class="task-form" aria-labelledby="form-heading">
    <h3 id="form-heading">Form</h3>
    <${ErrorMessage} error=${loaded.error} />
    ${body}
  </section>`;
}
