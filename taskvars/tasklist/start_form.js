// Starting a process: its generated start form where it has one (the server validates
// each field), else a plain start with an optional business key.
import { call, get } from "./api.js";
import { readStartForm } from "./form_model.js";
import { GeneratedForm } from "./generated_form.js";
import { useLoaded } from "./loading.js";
import { useState } from "./vendor/preact-hooks.mjs";
import { ErrorMessage, focusHeadingIfArrived, html, routeKey } from "./ui.js";

const NO_FORM = { fields: [], businessKeyField: null };

async function loadStart(definitionId, signal) {
  const path = `/process-definition/${encodeURIComponent(definitionId)}`;
  const [definition, model] = await Promise.all([get(path, null, signal), get(`${path}/xml`, null, signal)]);
  const form = readStartForm(model.bpmn20Xml, definition.key);
  const formVariables = form ? await get(`${path}/form-variables`, null, signal) : {};
  return { definition, form, formVariables };
}

function StartForm({ definition, form, formVariables }) {
  const [ownBusinessKey, setOwnBusinessKey] = useState("");
  const path = `/process-definition/${encodeURIComponent(definition.id)}`;
  const submit = async (variables, businessKey) => {
    const key = (form?.businessKeyField ? businessKey : ownBusinessKey) || undefined;
    const instance = form
      ? await call("POST", `${path}/submit-form`, { json: { variables, businessKey: key } })
      : await call("POST", `${path}/start`, { json: { businessKey: key } });
    window.location.hash = `#/instances/${encodeURIComponent(instance.id)}`;
  };
  // A start form with a business-key field of its own asks for no other.
  const businessKeyInput = form?.businessKeyField
    ? null
    : html`<div class="form-field">
        <label for="business-key">Business key <span class="hint">(optional)</span></label>
        <input id="business-key" value=${ownBusinessKey}
          onInput=${(event) => setOwnBusinessKey(event.target.value)} />
      </div>`;
  return html`<${GeneratedForm} form=${form || NO_FORM} formVariables=${formVariables} submitLabel="Start"
    submit=${submit} labelledBy="start-heading" before=${businessKeyInput}>
    <a href="#/processes">Cancel</a>
  <//>`;
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
    <h1 id="start-heading" tabindex="-1" data-route-heading=${routeKey("processes", "start", definitionId)} ref=${focusHeadingIfArrived}>Start ${definition.name || definition.key}</h1>
    <p class="muted">${definition.key}, version ${definition.version}
      ${start.data.form ? "" : " — no start form: the process starts with no variables."}</p>
    <${StartForm} ...${start.data} />
  </section>`;
}
