// Uploads with a progress bar per file and a Cancel button: one PUT for small files, multipart
// (InitiateMultipartUpload, UploadPart, CompleteMultipartUpload; AbortMultipartUpload on cancel)
// for large ones. Everything goes through the console's proxy, so the same authorization applies.
import { oss, ossUrl, upload, text, xmlEscape } from './api.js';
import { h } from './ui.js';

/** Files larger than this are uploaded in parts. */
export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
/** The size of each part (OSS accepts 100 KiB to 5 GiB). */
export const PART_SIZE = 4 * 1024 * 1024;

/**
 * Uploads `file` to `bucket`/`key`, showing a row in `list`. Resolves when done (true) or
 * cancelled/failed (false).
 */
export function uploadFile(list, bucket, key, file) {
  const bar = h('progress', { max: file.size || 1, value: 0, 'aria-label': `Upload progress of ${key}` });
  const state = h('span', { class: 'muted', role: 'status' }, 'waiting');
  const cancel = h('button', { type: 'button', 'aria-label': `Cancel upload of ${key}` }, 'Cancel');
  const row = h('div', { class: 'upload', dataset: { key } }, h('span', { class: 'name', title: key }, key), bar, state, cancel);
  list.append(row);
  let current = null;
  let cancelled = false;
  let uploadId = '';
  cancel.addEventListener('click', () => {
    cancelled = true;
    if (current) current.xhr.abort();
  });
  const show = (loaded) => { bar.value = loaded; state.textContent = `${Math.floor((100 * loaded) / (file.size || 1))}%`; };
  const type = file.type || 'application/octet-stream';
  const run = async () => {
    if (file.size <= MULTIPART_THRESHOLD) {
      current = upload('PUT', ossUrl(bucket, key), file, { 'Content-Type': type }, show);
      await current.done;
      return;
    }
    const init = await oss('POST', bucket, key, { query: { uploads: '' }, headers: { 'Content-Type': type } });
    uploadId = text(init.doc, 'UploadId');
    const parts = [];
    for (let n = 1, off = 0; off < file.size; n += 1, off += PART_SIZE) {
      if (cancelled) throw new Error('cancelled');
      const blob = file.slice(off, Math.min(off + PART_SIZE, file.size));
      current = upload('PUT', ossUrl(bucket, key, { partNumber: String(n), uploadId }), blob, {}, (l) => show(off + l));
      const r = await current.done;
      parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>${xmlEscape(r.header('ETag'))}</ETag></Part>`);
    }
    const body = `<CompleteMultipartUpload>${parts.join('')}</CompleteMultipartUpload>`;
    await oss('POST', bucket, key, { query: { uploadId }, body });
  };
  return run().then(() => {
    show(file.size);
    state.textContent = 'done';
    cancel.disabled = true;
    return true;
  }, async (e) => {
    cancel.disabled = true;
    if (uploadId) await oss('DELETE', bucket, key, { query: { uploadId } }).catch(() => {});
    state.textContent = cancelled ? 'cancelled' : `failed: ${e.code || ''} ${e.message}`;
    row.classList.add(cancelled ? 'cancelled' : 'failed');
    return false;
  });
}
