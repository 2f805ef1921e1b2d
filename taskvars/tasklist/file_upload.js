// Upload of a File variable: a name, a file chosen or dropped, the progress of large
// files, the server's limit, and the server's refusal (413 and others) where it happened.
import { useId, useState } from "./vendor/preact-hooks.mjs";
import { ApiError, get, upload } from "./api.js";
import { useLoaded } from "./loading.js";
import { ErrorMessage, formatSize, html } from "./ui.js";

/** The server's largest upload in bytes, or null where it tells none (an older server: 404). */
async function loadUploadLimit(signal) {
  try {
    const limits = await get("/limits", undefined, signal);
    return limits?.maxUploadBytes ?? null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function DropZone({ inputId, file, onFile }) {
  const [over, setOver] = useState(false);
  const dragOver = (event) => {
    event.preventDefault(); // without it the browser opens the file instead
    setOver(true);
  };
  const drop = (event) => {
    event.preventDefault();
    setOver(false);
    const [dropped] = event.dataTransfer.files;
    if (dropped) onFile(dropped);
  };
  return html`<div
    class=${over ? "drop-zone over" : "drop-zone"}
    onDragOver=${dragOver}
    onDragLeave=${() => setOver(false)}
    onDrop=${drop}
  >
    <label for=${inputId}>File</label>
    <input id=${inputId} type="file" onChange=${(event) => onFile(event.target.files[0] || null)} />
    <p>${file ? `${file.name}, ${formatSize(file.size)}` : "…or drop a file here."}</p>
  </div>`;
}

/** ``path``: the variables' path (/task/<id>/variables); ``onUploaded`` after each upload. */
export function FileUpload({ path, onUploaded }) {
  const ids = useId();
  const limit = useLoaded(loadUploadLimit, []);
  const [name, setName] = useState("");
  const [file, setFile] = useState(null);
  const [state, setState] = useState({ progress: null, error: null, done: null });
  const tooLarge = file && limit.data != null && file.size > limit.data;

  const submit = async (event) => {
    event.preventDefault();
    // Not sent when the server would refuse it anyway: a browser may see the connection
    // closed before the 413 arrives, and only "interrupted" to show.
    if (!file || !name.trim() || tooLarge) return;
    const form = new FormData();
    form.append("data", file, file.name);
    form.append("valueType", "File");
    const target = `${path}/${encodeURIComponent(name.trim())}/data`;
    setState({ progress: { sent: 0, total: file.size }, error: null, done: null });
    try {
      await upload(target, form, (sent, total) => setState((before) => ({ ...before, progress: { sent, total } })));
      setState({ progress: null, error: null, done: `${file.name} stored as ${name.trim()}.` });
      onUploaded();
    } catch (error) {
      setState({ progress: null, error, done: null });
    }
  };

  const { progress } = state;
  return html`<form class="file-upload" onSubmit=${submit} aria-labelledby=${`${ids}-heading`}>
    <h4 id=${`${ids}-heading`}>Upload a file</h4>
    <label>
      Variable name
      <input required value=${name} onInput=${(event) => setName(event.target.value)} />
    </label>
    <${DropZone} inputId=${`${ids}-file`} file=${file} onFile=${setFile} />
    <p class="hint">
      ${limit.data != null ? `The server takes files up to ${formatSize(limit.data)}.` : null}
      ${tooLarge ? " This file is larger: choose a smaller one." : null}
    </p>
    <${ErrorMessage} error=${limit.error} />
    <button type="submit" disabled=${!file || tooLarge || progress !== null}>Upload</button>
    <div aria-live="polite" class="upload-status">
      ${progress
        ? html`<progress max=${progress.total} value=${progress.sent} aria-label="Upload progress"></progress>
            <span>${formatSize(progress.sent)} of ${formatSize(progress.total)} sent</span>`
        : null}
      ${state.done ? html`<span>${state.done}</span>` : null}
    </div>
    <${ErrorMessage} error=${state.error} />
  </form>`;
}
