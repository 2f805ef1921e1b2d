// A task's comments, oldest first, and a new one.
import { useId, useState } from "./vendor/preact-hooks.mjs";
import { get, post } from "./api.js";
import { useAction } from "./actions.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, formatDate, html } from "./ui.js";

export function Comments({ task }) {
  const path = `/task/${encodeURIComponent(task.id)}/comment`;
  const loaded = useLoaded((signal) => get(path, undefined, signal), [path]);
  const [message, setMessage] = useState("");
  const inputId = useId();
  const add = useAction(async () => {
    await post(`${path}/create`, { message: message.trim() });
    setMessage("");
    loaded.reload();
  });
  const submit = (event) => {
    event.preventDefault();
    if (message.trim()) add.start();
  };
  return html`<section class="comments" aria-labelledby="comments-heading">
    <h3 id="comments-heading">Comments</h3>
    <${ErrorMessage} error=${loaded.error} />
    ${loaded.data?.length
      ? html`<ol class="notes">
          ${loaded.data.map(
            (comment) => html`<li key=${comment.id}>
              <p class="note-meta">${comment.userId || "Someone"}, ${formatDate(comment.time)}</p>
              <p class="note-text">${comment.message}</p>
            </li>`,
          )}
        </ol>`
      : loaded.data
        ? html`<p class="empty">No comments.</p>`
        : null}
    <form class="add-comment" onSubmit=${submit}>
      <label for=${inputId}>Comment</label>
      <textarea id=${inputId} rows="2" value=${message} onInput=${(event) => setMessage(event.target.value)}></textarea>
      <button type="submit" disabled=${add.busy}>Add comment</button>
      <${ErrorMessage} error=${add.error} />
    </form>
  </section>`;
}
