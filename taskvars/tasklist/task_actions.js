// Who works on a task: claim it, give it back, delegate it, resolve a delegation.
import { useId, useState } from "./vendor/preact-hooks.mjs";
import { post } from "./api.js";
import { ActionButton, useAction } from "./actions.js";
import { ErrorMessage, html } from "./ui.js";

function DelegateForm({ task, onChanged }) {
  const [delegate, setDelegate] = useState("");
  const inputId = useId();
  const action = useAction(async () => {
    await post(`/task/${encodeURIComponent(task.id)}/delegate`, { userId: delegate.trim() });
    setDelegate("");
    onChanged();
  });
  const submit = (event) => {
    event.preventDefault();
    action.start();
  };
  return html`<form class="delegate" onSubmit=${submit}>
    <label for=${inputId}>Delegate to</label>
    <input id=${inputId} value=${delegate} required onInput=${(event) => setDelegate(event.target.value)} />
    <button type="submit" class="secondary" disabled=${action.busy}>Delegate</button>
    <${ErrorMessage} error=${action.error} />
  </form>`;
}

/** The actions this user can take on ``task``; ``onChanged`` after each one. */
export function TaskActions({ task, user, onChanged }) {
  const path = `/task/${encodeURIComponent(task.id)}`;
  const act = (operation, body) => async () => {
    await post(`${path}/${operation}`, body);
    onChanged();
  };
  return html`<div class="task-actions" aria-label="Actions" role="group">
    ${task.assignee
      ? task.assignee === user.id
        ? html`<${ActionButton} label="Unclaim" secondary run=${act("unclaim", {})} />`
        : null
      : html`<${ActionButton} label="Claim" run=${act("claim", { userId: user.id })} />`}
    ${task.delegationState === "PENDING"
      ? html`<${ActionButton} label="Resolve" run=${act("resolve", { variables: {} })} />`
      : null}
    <${DelegateForm} task=${task} onChanged=${onChanged} />
  </div>`;
}
