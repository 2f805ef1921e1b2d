// Starting a process: its generated start form where it has one (the server validates
// each field), else a plain start with an optional business key.
import { call, get } from "./api.js";
import { useLoaded } from "./loading.js";
import {
  describeField,
  fieldNamedIn,
  initialValue,
  isReadOnly,
  readStartForm,
  submission,
} from "./start_form_model.js";
import { useEffect, useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, html } from "./ui.js";

async function loadStart(definitionId, signal) {
  const path = `/process-definition/${encodeURIComponent(definitionId)}`;
  const [definition, model] = await Promise.all([get(path, null, signal), get(`${path}/xml`, null, signal)]);
  const form = readStartForm(model.bpmn20Xml, definition.key);
  const variables = form ? await get(`${path}/form-variables`, null, signal) : {};
  return { definition, form, variables };
}

function FieldInput({ field, value, onInput, describedBy, invalid }) {
  const common = {
    id: `field-${field.id}`,
    name: field.id,
    readOnly: isReadOnly(field),
    "aria-describedby": describedBy,
    "aria-invalid": invalid ? "true" : undefined,
  };
  if (field.type === "boolean") {
    return html`<input type="checkbox" ...${common} disabled=${common.readOnly} checked=${value}
      onChange=${(event) => onInput(event.target.checked)} />`;
  }
  if (field.type === "enum") {
    return html`<select ...${common} disabled=${common.readOnly} value=${value} onChange=${(event) => onInput(event.target.value)}>
      ${field.defaultValue ? null : html`<option value="">—</option>`}
      ${field.options.map((option) => html`<option value=${option.id}>${option.name}</option>`)}
    </select>`;
  }
  // Plain text even for numbers and dates: the server, not the browser, judges the value.
  return html`<input type="text" ...${common} value=${value}
    inputmode=${field.type === "long" ? "numeric" : undefined}
    onInput=${(event) => onInput(event.target.value)} />`;
}

function FormField({ form, field, value, onInput, error }) {
  const hint = describeField(field, form);
  const hintId = hint ? `hint-${field.id}` : null;
  const errorId = error ? `error-${field.id}` : null;
  return html`<div class=${`form-field form-field-${field.type}`}>
    <label for=${`field-${field.id}`}>${field.label}</label>
    <${FieldInput} field=${field} value=${value} onInput=${onInput} invalid=${Boolean(error)}
      describedBy=${[errorId, hintId].filter(Boolean).join(" ") || undefined} />
    ${hint && html`<span class="hint" id=${hintId}>${hint}</span>`}
    ${error && html`<span class="error field-error" id=${errorId} role="alert">${error}</span>`}
  </div>`;
}

function StartForm({ definition, form, variables }) {
  const [values, setValues] = useState(() =>
    Object.fromEntries((form?.fields || []).map((field) => [field.id, initialValue(field, variables)])),
  );
  const [businessKey, setBusinessKey] = useState("");
  const [state, setState] = useState({});
  const path = `/process-definition/${encodeURIComponent(definition.id)}`;
  // The server prefixes its messages with the operation; beside a field the rest says it.
  const prefix = `Cannot instantiate process definition ${definition.id}: `;

  useEffect(() => {
    if (state.field) document.getElementById(`field-${state.field}`)?.focus();
  }, [state]);

  const submit = async (event) => {
    event.preventDefault();
    if (state.busy) return; // the button stays enabled: disabled, it would drop the focus
    setState({ busy: true });
    const body = submission(form, values, businessKey);
    try {
      const instance = form
        ? await call("POST", `${path}/submit-form`, { json: body })
        : await call("POST", `${path}/start`, { json: { businessKey: body.businessKey } });
      window.location.hash = `#/instances/${encodeURIComponent(instance.id)}`;
    } catch (error) {
      const field = fieldNamedIn(error.message, form);
      setState(field ? { field, fieldError: error.message.replace(prefix, "") } : { error });
    }
  };

  const fields = form?.fields || [];
  return html`<form class="start-form" onSubmit=${submit} novalidate aria-labelledby="start-heading">
    ${form?.businessKeyField
      ? null
      : html`<div class="form-field">
          <label for="business-key">Business key <span class="hint">(optional)</span></label>
          <input id="business-key" value=${businessKey} onInput=${(event) => setBusinessKey(event.target.value)} />
        </div>`}
    ${fields.map(
      (field) => html`<${FormField} key=${field.id} form=${form} field=${field} value=${values[field.id]}
        error=${state.field === field.id ? state.fieldError : null}
        onInput=${(value) => setValues({ ...values, [field.id]: value })} />`,
    )}
    <${ErrorMessage} error=${state.error} />
    <div class="actions">
      <button type="submit" aria-busy=${state.busy ? "true" : undefined}>Start</button>
      <a href="#/processes">Cancel</a>
    </div>
  </form>`;
}

/** #/processes/start/<definition id> */
export function StartView({ definitionId }) {
  const start = useLoaded((signal) => loadStart(definitionId, signal), [definitionId]);
  const back = html`<p><a href="#/processes">← Processes</a></p>`;
  if (start.error) return html`${back}<${ErrorMessage} error=${start.error} />`;
  if (!start.data) return html`${back}<p class="loading" role="status">Loading…</p>`;
  const { definition } = start.data;
  return html`<section aria-labelledby="start-heading">
    ${back}
    <h1 id="start-heading">Start ${definition.name || definition.key}</h1>
    <p class="muted">${definition.key}, version ${definition.version}
      ${start.data.form ? "" : " — no start form: the process starts with no variables."}</p>
    <${StartForm} ...${start.data} />
  </section>`;
}
