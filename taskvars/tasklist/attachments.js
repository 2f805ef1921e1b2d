// A task's attachments: content kept by the server (downloaded from it) or a link, and
// a new one of either kind.
import { useId, useState } from "./vendor/preact-hooks.mjs";
import { call, get, href } from "./api.js";
import { useAction } from "./actions.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, formatDate, html } from "./ui.js";

/** Only web links are followed: a "javascript:" URL given by someone stays text. */
function isWebLink(url) {
  try {
    return ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

function AttachmentLink({ path, attachment }) {
  const name = attachment.name || attachment.id;
  if (!attachment.url) {
    const data = href(`${path}/${encodeURIComponent(attachment.id)}/data`);
    return html`<a href=${data} download=${name}>${name}</a>`;
  }
  if (isWebLink(attachment.url)) {
    return html`<a href=${attachment.url} rel="noopener noreferrer" target="_blank">${name}</a>`;
  }
  return html`<span>${name} (${attachment.url})</span>`;
}

function AddAttachment({ path, onAdded }) {
  const id = useId();
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [file, setFile] = useState(null);
  const add = useAction(async (form, element) => {
    await call("POST", `${path}/create`, { form });
    element.reset(); // the file input is the browser's: cleared by the form's reset
    setName("");
    setUrl("");
    setFile(null);
    onAdded();
  });
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData();
    form.append("attachment-name", name.trim() || file?.name || url.trim());
    if (file) {
      form.append("attachment-type", file.type || "application/octet-stream");
      form.append("content", file, file.name);
    } else {
      form.append("url", url.trim());
    }
    add.start(form, event.target);
  };
  return html`<form class="add-attachment" onSubmit=${submit}>
    <label for=${`${id}-name`}>Attachment name</label>
    <input id=${`${id}-name`} value=${name} onInput=${(event) => setName(event.target.value)} />
    <label for=${`${id}-file`}>Attachment file</label>
    <input id=${`${id}-file`} type="file" onChange=${(event) => setFile(event.target.files[0] || null)} />
    <label for=${`${id}-url`}>Or a link</label>
    <input
      id=${`${id}-url`}
      type="url"
      value=${url}
      placeholder="https://…"
      onInput=${(event) => setUrl(event.target.value)}
    />
    <button type="submit" disabled=${add.busy || (!file && !url.trim())}>Attach</button>
    <${ErrorMessage} error=${add.error} />
  </form>`;
}

export function Attachments({ task }) {
  const path = `/task/${encodeURIComponent(task.id)}/attachment`;
  const loaded = useLoaded((signal) => get(path, undefined, signal), [path]);
  return html`<section class="attachments" aria-labelledby="attachments-heading">
    <h3 id="attachments-heading">Attachments</h3>
    <${ErrorMessage} error=${loaded.error} />
    ${loaded.data?.length
      ? html`<ul class="notes">
          ${loaded.data.map(
            (attachment) => html`<li key=${attachment.id}>
              <${AttachmentLink} path=${path} attachment=${attachment} />
              <span class="note-meta"> ${attachment.type || ""} ${formatDate(attachment.createTime)}</span>
            </li>`,
          )}
        </ul>`
      : loaded.data
        ? html`<p class="empty">No attachments.</p>`
        : null}
    <${AddAttachment} path=${path} onAdded=${loaded.reload} />
  </section>`;
}
