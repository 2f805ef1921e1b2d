// A generated form (camunda:formData): each field with a matching input, its label and
// its constraints as text. The browser checks nothing (novalidate): the server does, and
// its message is shown beside the field it names.
import { useId, useState } from "./vendor/preact-hooks.mjs";
import { describeConstraint, isReadOnly } from "./form_fields.js";
import { ErrorMessage, html } from "./ui.js";

const FIELD_ERROR = /Invalid value submitted for form field '([^']+)'/;

/** The field a refusal names, if it names one (Camunda's FormFieldValidationException). */
export function fieldOfError(error) {
  return FIELD_ERROR.exec(error?.message || "")?.[1] ?? null;
}

/** What the input shows for a value of form-variables (a Long as its digits, no value as ""). */
function shown(value) {
  return value === null || value === undefined ? "" : value;
}

/** The typed value submit-form takes for ``field``'s input ``raw``. */
function submitted(field, raw) {
  if (field.type === "boolean") return { value: Boolean(raw), type: "Boolean" };
  const text = String(raw ?? "").trim();
  if (text === "") return { value: null, type: field.type === "long" ? "Long" : "String" };
  if (field.type === "long" && /^[+-]?\d+$/.test(text)) return { value: Number(text), type: "Long" };
  // Anything else as text: the server converts it to the field's type or says why not.
  return { value: text, type: "String" };
}

function FieldInput({ field, inputId, value, describedBy, invalid, onChange }) {
  const common = {
    id: inputId,
    name: field.id,
    "aria-describedby": describedBy || undefined,
    "aria-invalid": invalid ? "true" : undefined,
    "aria-required": field.constraints.some((each) => each.name === "required") ? "true" : undefined,
    readOnly: isReadOnly(field),
  };
  if (field.type === "boolean") {
    return html`<input
      ...${common}
      type="checkbox"
      checked=${Boolean(value)}
      disabled=${common.readOnly}
      onChange=${(event) => onChange(event.target.checked)}
    />`;
  }
  if (field.type === "enum") {
    return html`<select
      ...${common}
      disabled=${common.readOnly}
      value=${shown(value)}
      onChange=${(event) => onChange(event.target.value)}
    >
      <option value="">—</option>
      ${field.values.map((option) => html`<option value=${option.id}>${option.name}</option>`)}
    </select>`;
  }
  const kind = field.type === "long" ? { inputMode: "numeric" } : {};
  const placeholder = field.type === "date" ? field.datePattern || undefined : undefined;
  return html`<input
    ...${common}
    ...${kind}
    type="text"
    placeholder=${placeholder}
    value=${shown(value)}
    onInput=${(event) => onChange(event.target.value)}
  />`;
}

function Field({ field, value, error, onChange }) {
  const inputId = useId();
  const hints = [
    ...(field.type === "date" && field.datePattern ? [`Date as ${field.datePattern}`] : []),
    ...field.constraints.map(describeConstraint),
  ];
  const hintId = hints.length ? `${inputId}-hint` : null;
  const errorId = error ? `${inputId}-error` : null;
  return html`<div class=${field.type === "boolean" ? "form-field checkbox" : "form-field"}>
    <label for=${inputId}>${field.label}</label>
    <${FieldInput}
      field=${field}
      inputId=${inputId}
      value=${value}
      describedBy=${[hintId, errorId].filter(Boolean).join(" ")}
      invalid=${Boolean(error)}
      onChange=${onChange}
    />
    ${hintId ? html`<p class="hint" id=${hintId}>${hints.join(" · ")}</p>` : null}
    ${error ? html`<p class="error" id=${errorId} role="alert">${error.message}</p>` : null}
  </div>`;
}

/**
 * ``fields`` (form_fields.js) with ``values`` from form-variables; ``submit(variables)``
 * sends them; its refusal is shown beside the field it names, otherwise below the form.
 */
export function GeneratedForm({ fields, values, submitLabel, submit }) {
  const [current, setCurrent] = useState(() =>
    Object.fromEntries(fields.map((field) => [field.id, values[field.id]?.value ?? null])),
  );
  const [state, setState] = useState({ busy: false, error: null });
  const onSubmit = async (event) => {
    event.preventDefault();
    const variables = Object.fromEntries(
      fields.filter((field) => !isReadOnly(field)).map((field) => [field.id, submitted(field, current[field.id])]),
    );
    setState({ busy: true, error: null });
    try {
      await submit(variables);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  const errorField = fieldOfError(state.error);
  const fieldError = fields.some((field) => field.id === errorField) ? state.error : null;
  return html`<form class="generated-form" novalidate onSubmit=${onSubmit}>
    ${fields.map(
      (field) => html`<${Field}
        key=${field.id}
        field=${field}
        value=${current[field.id]}
        error=${field.id === errorField ? fieldError : null}
        onChange=${(value) => setCurrent((before) => ({ ...before, [field.id]: value }))}
      />`,
    )}
    <div class="form-actions">
      <button type="submit" disabled=${state.busy}>${submitLabel}</button>
      ${fieldError ? null : html`<${ErrorMessage} error=${state.error} />`}
    </div>
  </form>`;
}
