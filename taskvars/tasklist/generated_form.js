// A generated form (camunda:formData): each field with a matching input, its label and
// its constraints as text. The browser checks nothing (novalidate): the server does, and
// its message is shown beside the field it names, that field focused.
import { describeField, fieldError, initialValue, isReadOnly, isRequired, submission } from "./form_model.js";
import { useEffect, useId, useMemo, useRef, useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, html } from "./ui.js";

function FieldInput({ field, inputRef, attributes, value, onInput }) {
  if (field.type === "boolean") {
    return html`<input type="checkbox" ref=${inputRef} ...${attributes} disabled=${attributes.readOnly}
      checked=${value} onChange=${(event) => onInput(event.target.checked)} />`;
  }
  if (field.type === "enum") {
    return html`<select ref=${inputRef} ...${attributes} disabled=${attributes.readOnly} value=${value}
      onChange=${(event) => onInput(event.target.value)}>
      ${field.defaultValue ? null : html`<option value="">—</option>`}
      ${field.options.map((option) => html`<option value=${option.id}>${option.name}</option>`)}
    </select>`;
  }
  // Plain text even for numbers and dates: the server, not the browser, judges the value.
  return html`<input type="text" ref=${inputRef} ...${attributes} value=${value}
    inputmode=${field.type === "long" ? "numeric" : undefined}
    placeholder=${field.type === "date" ? field.datePattern : undefined}
    onInput=${(event) => onInput(event.target.value)} />`;
}

function FormField({ form, field, value, onInput, error }) {
  const inputId = useId();
  const inputRef = useRef(null);
  useEffect(() => {
    if (error) inputRef.current?.focus(); // again on each refusal, even one the same as before
  }, [error]);
  const hint = describeField(field, form);
  const hintId = hint ? `${inputId}-hint` : null;
  const errorId = error ? `${inputId}-error` : null;
  const attributes = {
    id: inputId,
    name: field.id,
    readOnly: isReadOnly(field),
    "aria-required": isRequired(field) ? "true" : undefined,
    "aria-invalid": error ? "true" : undefined,
    "aria-describedby": [errorId, hintId].filter(Boolean).join(" ") || undefined,
  };
  return html`<div class=${field.type === "boolean" ? "form-field checkbox" : "form-field"}>
    <label for=${inputId}>${field.label}</label>
    <${FieldInput} field=${field} inputRef=${inputRef} attributes=${attributes} value=${value}
      onInput=${onInput} />
    ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    ${error && html`<p class="error" id=${errorId} role="alert">${error.message}</p>`}
  </div>`;
}

/**
 * ``form`` (form_model.js) with the values ``formVariables`` gives; ``submit(variables,
 * businessKey)`` sends them. A refusal naming a field is shown beside it, any other below
 * the fields. ``before``: inputs of the caller's own ahead of the fields; ``children``: more
 * actions beside the submit button.
 */
export function GeneratedForm({ form, formVariables, submitLabel, submit, labelledBy, before, children }) {
  const [values, setValues] = useState(() =>
    Object.fromEntries(form.fields.map((field) => [field.id, initialValue(field, formVariables)])),
  );
  const [state, setState] = useState({ busy: false, error: null });
  const onSubmit = async (event) => {
    event.preventDefault();
    if (state.busy) return; // the button stays enabled: disabled, it would drop the focus
    setState({ busy: true, error: null });
    try {
      const { variables, businessKey } = submission(form, values);
      await submit(variables, businessKey);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  const named = useMemo(() => fieldError(state.error, form), [state.error, form]);
  return html`<form class="generated-form" novalidate aria-labelledby=${labelledBy} onSubmit=${onSubmit}>
    ${before}
    ${form.fields.map(
      (field) => html`<${FormField} key=${field.id} form=${form} field=${field} value=${values[field.id]}
        error=${named?.field === field.id ? named : null}
        onInput=${(value) => setValues((previous) => ({ ...previous, [field.id]: value }))} />`,
    )}
    ${named ? null : html`<${ErrorMessage} error=${state.error} />`}
    <div class="form-actions">
      <button type="submit" aria-busy=${state.busy ? "true" : undefined}>${submitLabel}</button>
      ${children}
    </div>
  </form>`;
}
