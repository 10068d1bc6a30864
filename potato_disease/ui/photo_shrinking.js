// Large JPEG photos chosen in the Diagnose page's upload box are made smaller on the
// device before Streamlit sends them: a phone's 12-megapixel photo (3-6 MB) becomes a
// photo of `data.long_side` pixels on its longest side, a small part of the data, with
// its EXIF (time taken, GPS) kept. The server keeps no more than 1,280 px of a photo and
// the model sees 192 (model/metadata.json, input_size), so nothing the diagnosis uses
// is lost.
//
// How: listeners on the document, in the capture phase, see the upload box's events
// before Streamlit (React) does and hold them: photos chosen with the file picker (a
// `change` event) or dropped on the box (a `drop` event). The photos, smaller, are put
// into the box's file input and a `change` event is sent from it, which Streamlit's
// uploader (react-dropzone) takes as it takes a drop. Anything that goes wrong sends the
// photos as they were taken: a photo is never lost to this. HEIC, PNG and WebP files,
// small JPEGs, drops that hold a folder, and browsers that cannot set an input's files
// or lack createImageBitmap go as they are.

const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"
const ORIENTATION_TAG = 0x0112;
const HEADER_BYTES = 256 * 1024; // SOI, APP0 and APP1 (at most 64 KiB) lie within
const SHRINK_TIMEOUT_MS = 20000; // a photo not made smaller by then goes as taken
// Streamlit mounts the component again when the theme changes, without unmounting the
// last one: the live one is kept here, and events it sends again are marked with RESENT
// so that no listener, of this mount or another, holds them a second time.
const LIVE = Symbol.for("potato_disease.photo_shrinker");
const RESENT = Symbol.for("potato_disease.photo_shrinker.resent");

function isJpeg(file) {
  return file.type === "image/jpeg" || /\.jpe?g$/i.test(file.name);
}

function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1);
}

// The APP1 (EXIF) segment of a JPEG, marker included, or null.
function exifSegment(header) {
  const view = new DataView(header.buffer);
  let offset = 2; // after SOI
  while (offset + 4 <= view.byteLength && view.getUint8(offset) === 0xff) {
    const marker = view.getUint8(offset + 1);
    const length = view.getUint16(offset + 2); // counts its own two bytes
    if (marker === 0xda || marker === 0xd9) return null; // image data: no EXIF before it
    const end = offset + 2 + length;
    const isExif =
      marker === 0xe1 && EXIF_HEADER.every((byte, i) => view.getUint8(offset + 4 + i) === byte);
    if (isExif) return end <= header.length ? header.slice(offset, end) : null;
    offset = end;
  }
  return null;
}

// Set the EXIF orientation to 1 (upright): the pixels are drawn upright already.
function markUpright(segment) {
  const tiff = 10; // marker (2), length (2), "Exif\0\0" (6)
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const little = view.getUint16(tiff) === 0x4949; // "II"
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > view.byteLength) return;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i += 1) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > view.byteLength) return;
    if (view.getUint16(entry, little) === ORIENTATION_TAG) {
      view.setUint16(entry + 8, 1, little);
      return;
    }
  }
}

function canvasJpeg(canvas, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("no JPEG from the canvas"))),
      "image/jpeg",
      quality,
    );
  });
}

// The photo at `longSide` px on its longest side, upright, with its EXIF; or the photo
// itself where that would not be smaller.
async function shrunk(file, longSide, quality) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const scale = longSide / Math.max(bitmap.width, bitmap.height);
    if (scale >= 1) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const drawn = new Uint8Array(await (await canvasJpeg(canvas, quality)).arrayBuffer());
    const header = new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer());
    const exif = exifSegment(header);
    const parts = [drawn.subarray(0, 2)]; // SOI, then the EXIF where readers look for it
    if (exif) {
      markUpright(exif);
      parts.push(exif);
    }
    parts.push(drawn.subarray(2));
    const smaller = new File(parts, file.name, {
      type: "image/jpeg",
      lastModified: file.lastModified,
    });
    return smaller.size < file.size ? smaller : file;
  } finally {
    bitmap.close();
  }
}

function withinTime(promise, milliseconds) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done in ${milliseconds} ms`)), milliseconds);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function shrinkEach(files, settings, progress) {
  const sent = [];
  for (const file of files) {
    progress(sent.length, files.length);
    // One at a time: a decoded 12-megapixel photo takes 48 MB of a phone's memory.
    const worth = isJpeg(file) && file.size >= settings.min_bytes;
    try {
      const smaller = () => shrunk(file, settings.long_side, settings.quality);
      sent.push(worth ? await withinTime(smaller(), SHRINK_TIMEOUT_MS) : file);
    } catch (error) {
      console.warn("Photo sent as taken:", file.name, error);
      sent.push(file);
    }
  }
  return sent;
}

function summary(before, after) {
  const changed = after.filter((file, i) => file !== before[i]);
  if (changed.length === 0) return "";
  const total = (files) => files.reduce((sum, file) => sum + file.size, 0);
  const was = before.filter((file, i) => file !== after[i]);
  const photos = changed.length === 1 ? "1 photo" : `${changed.length} photos`;
  return (
    `${photos} made smaller on this device before sending: ` +
    `${megabytes(total(was))} MB → ${megabytes(total(changed))} MB.`
  );
}

function transferOf(files) {
  const transfer = new DataTransfer();
  files.forEach((file) => transfer.items.add(file));
  return transfer;
}

function canReplaceFiles() {
  try {
    const probe = document.createElement("input");
    probe.type = "file";
    probe.files = new DataTransfer().files; // throws where a page cannot set them
    return typeof createImageBitmap === "function";
  } catch {
    return false;
  }
}

// Whether a drop holds a folder: its files list shows the folder as one empty file,
// while the uploader reads the folder's photos through the items. Readable during the
// event only.
function dropsAFolder(transfer) {
  return Array.from(transfer.items || []).some((item) => {
    const entry = typeof item.webkitGetAsEntry === "function" ? item.webkitGetAsEntry() : null;
    return entry !== null && entry.isDirectory;
  });
}

export { exifSegment, markUpright }; // for the browser tests

export default function ({ parentElement, data }) {
  const status = parentElement.querySelector(".status");
  if (!canReplaceFiles()) return undefined;
  if (typeof window[LIVE] === "function") window[LIVE](); // the last mount's listeners go
  const box = `.st-key-${data.uploader_key}`;

  const worthShrinking = (file) => isJpeg(file) && file.size >= data.min_bytes;
  // Photos chosen again before the last ones went wait their turn: one decoded photo in
  // a phone's memory at a time, and they reach the uploader in the order chosen.
  let queue = Promise.resolve();
  let pending = 0;
  const inTurn = (chosen) => {
    pending += 1;
    queue = queue
      .then(() => sendSmaller(chosen))
      .catch((error) => console.warn("Photos not sent:", error)) // the next still go
      .finally(() => {
        pending -= 1;
      });
  };

  // The photos in `event` to hold and send in turn, or null where it is not the upload
  // box's event, or holds no large JPEG while nothing waits before it.
  function photosToHold(event, files) {
    if (event[RESENT] || !(event.target instanceof Element)) return null;
    if (!event.target.closest(box)) return null;
    if (pending === 0) status.textContent = ""; // what it said of the photos chosen before
    const chosen = Array.from(files || []);
    if (chosen.length === 0) return null;
    return pending > 0 || chosen.some(worthShrinking) ? chosen : null;
  }

  // `chosen`, each photo made smaller that can be, put into the box's file input and
  // sent to the uploader; `chosen` as they are where that fails.
  async function sendSmaller(chosen) {
    let sent = chosen;
    try {
      sent = await shrinkEach(chosen, data, (done, all) => {
        const count = all === 1 ? "" : `: ${done} of ${all} done`;
        status.textContent = `Making the photos smaller before sending${count}…`;
      });
    } catch (error) {
      console.warn("Photos sent as taken:", error);
    }
    // Found now: the page may have redrawn the box while the photos were made smaller.
    const input = document.querySelector(`${box} input[type="file"]`);
    if (input === null) return; // the page has gone: nothing to send them to
    input.files = transferOf(sent).files;
    const said = summary(chosen, sent);
    if (said || chosen.some(worthShrinking)) status.textContent = said; // not of a batch let by
    const again = new Event("change", { bubbles: true });
    again[RESENT] = true;
    input.dispatchEvent(again);
  }

  function onChange(event) {
    const chosen = photosToHold(event, event.target.files);
    if (chosen === null) return;
    event.stopImmediatePropagation();
    inTurn(chosen);
  }

  function onDrop(event) {
    const transfer = event.dataTransfer;
    if (!transfer || dropsAFolder(transfer)) return;
    // The dropped files are readable only while the event is handled: taken now.
    const chosen = photosToHold(event, transfer.files);
    if (chosen === null) return;
    event.preventDefault(); // or the browser opens the photo in place of the app
    event.stopImmediatePropagation();
    inTurn(chosen);
  }

  document.addEventListener("change", onChange, true);
  document.addEventListener("drop", onDrop, true);
  status.dataset.listening = "yes"; // for tests: photos chosen from now on are seen
  function stopListening() {
    document.removeEventListener("change", onChange, true);
    document.removeEventListener("drop", onDrop, true);
    delete status.dataset.listening;
    if (window[LIVE] === stopListening) delete window[LIVE];
  }
  window[LIVE] = stopListening;
  return stopListening;
}
