// A plain editor of the variables a form submits, for tasks whose form this page cannot
// draw (an embedded or external formKey) or that have none: name, type and value rows.
import { useId, useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, html } from "./ui.js";

const TYPES = ["String", "Long", "Double", "Boolean", "Json"];

/** A row's value as its type has it; text the type cannot take is sent as typed, for the server to refuse. */
function typedValue(type, text) {
  if (type === "Long" && /^[+-]?\d+$/.test(text.trim())) return Number(text);
  if (type === "Double" && text.trim() !== "" && !Number.isNaN(Number(text))) return Number(text);
  if (type === "Boolean") return text === "true";
  return text;
}

function Row({ row, index, onChange, onRemove }) {
  const id = useId();
  const set = (part) => (event) => onChange({ ...row, [part]: event.target.value });
  // A Boolean's value is one of its two options: the one its select shows first.
  const setType = (event) => {
    const type = event.target.value;
    const value = type === "Boolean" && !["true", "false"].includes(row.value) ? "true" : row.value;
    onChange({ ...row, type, value });
  };
  return html`<fieldset class="variable-row">
    <legend class="visually-hidden">Variable ${index + 1}</legend>
    <label for=${`${id}-name`}>Name</label>
    <input id=${`${id}-name`} value=${row.name} onInput=${set("name")} />
    <label for=${`${id}-type`}>Type</label>
    <select id=${`${id}-type`} value=${row.type} onChange=${setType}>
      ${TYPES.map((type) => html`<option value=${type}>${type}</option>`)}
    </select>
    <label for=${`${id}-value`}>Value</label>
    ${row.type === "Boolean"
      ? html`<select id=${`${id}-value`} value=${row.value} onChange=${set("value")}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>`
      : html`<input id=${`${id}-value`} value=${row.value} onInput=${set("value")} />`}
    <button type="button" class="secondary" onClick=${onRemove} aria-label=${`Remove variable ${index + 1}`}>
      Remove
    </button>
  </fieldset>`;
}

const EMPTY_ROW = { name: "", type: "String", value: "" };

/** ``submit(variables)`` with the rows that have a name; its error shown below. */
export function VariablesEditor({ submitLabel, submit }) {
  const [rows, setRows] = useState([]);
  const [state, setState] = useState({ busy: false, error: null });
  const onSubmit = async (event) => {
    event.preventDefault();
    const variables = Object.fromEntries(
      rows
        .filter((row) => row.name.trim())
        .map((row) => [row.name.trim(), { value: typedValue(row.type, row.value), type: row.type }]),
    );
    setState({ busy: true, error: null });
    try {
      await submit(variables);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return html`<form class="variables-editor" novalidate onSubmit=${onSubmit}>
    ${rows.map(
      (row, index) => html`<${Row}
        key=${index}
        row=${row}
        index=${index}
        onChange=${(changed) => setRows(rows.map((each, at) => (at === index ? changed : each)))}
        onRemove=${() => setRows(rows.filter((_, at) => at !== index))}
      />`,
    )}
    <div class="form-actions">
      <button type="button" class="secondary" onClick=${() => setRows([...rows, EMPTY_ROW])}>Add a variable</button>
      <button type="submit" disabled=${state.busy}>${submitLabel}</button>
      <${ErrorMessage} error=${state.error} />
    </div>
  </form>`;
}
