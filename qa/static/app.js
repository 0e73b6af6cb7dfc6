"use strict";
// Shared by every page: the JSON API call with the CSRF token, the message area, the
// queue's keys and the folder metadata form. Plain JavaScript, no build step.

// The page's language (station/i18n.py): base.html embeds the Vietnamese of the messages
// marked _("…") in these scripts; English is the message itself. %(name)s placeholders are
// filled from `params` after translation, as in Python and the templates.
const MESSAGES = JSON.parse(document.getElementById("messages")?.textContent || "{}");
function _(message, params) {
  const text = MESSAGES[message] || message;
  return params ? text.replace(/%\((\w+)\)[sd]/g, (whole, name) => String(params[name])) : text;
}

const station = (() => {
  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    const found = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return found ? decodeURIComponent(found[1]) : "";
  }

  class ApiError extends Error {
    constructor(status, code, detail) {
      super(detail);
      this.status = status;
      this.code = code;
      this.detail = detail;
    }
  }

  // Every change goes through the API, which answers {"error", "detail"} when it refuses.
  async function api(method, url, body) {
    const options = {
      method,
      credentials: "same-origin",
      headers: {
        "X-CSRF-Token": csrf(),
        "Content-Type": "application/json",
        Accept: "application/json",
      },
    };
    if (body !== undefined) options.body = JSON.stringify(body);
    let response;
    try {
      response = await fetch(url, options);
    } catch (err) {
      throw new ApiError(0, "network", _("The station did not answer: check the network and try again"));
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && data.detail ? data.detail : `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, data && data.error, detail);
    }
    return data;
  }

  const TITLES = {
    0: _("No answer"),
    401: _("Not logged in"),
    403: _("Not allowed"),
    404: _("Not found"),
    409: _("Not possible now"),
    422: _("Invalid"),
  };
  const area = () => document.getElementById("message");
  let timer = null;

  // One visible message at a time: successes fade, refusals stay until the next action.
  function say(text, kind = "ok") {
    const box = area();
    if (!box) return;
    clearTimeout(timer);
    box.textContent = text;
    box.className = `message ${kind}`;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.hidden = false;
    if (kind !== "error") timer = setTimeout(() => { box.hidden = true; }, 3500);
  }

  function fail(err, prefix = "") {
    if (!(err instanceof ApiError)) {
      say(`${prefix}${err}`, "error");
      throw err;
    }
    const title = TITLES[err.status] || _("Error");
    say(`${prefix}${title} (${err.status || "—"}): ${err.detail}`, "error");
    if (err.status === 401) {
      const box = area();
      const link = document.createElement("a");
      link.href = `/login?next=${encodeURIComponent(location.pathname + location.hash)}`;
      link.textContent = ` ${_("Log in again")}`;
      box.append(link);
    }
  }

  function clear() {
    const box = area();
    if (box) box.hidden = true;
  }

  // Keys never act while someone types in a field or a dialog is open.
  function typing(event) {
    if (document.querySelector("dialog[open]")) return true;
    const target = event.target;
    return Boolean(target && target.closest && target.closest("input, textarea, select, [contenteditable]"));
  }

  document.addEventListener("click", (event) => {
    if (event.target === area()) clear();
  });

  return { api, say, fail, clear, typing, ApiError };
})();

// --- the queue: arrows (or j/k) choose a folder, Enter opens it --------------------------------
(() => {
  const table = document.getElementById("queue");
  if (!table) return;
  const rows = [...table.tBodies[0].rows];
  let index = -1;
  function choose(i) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((row, n) => row.classList.toggle("selected", n === index));
    const link = rows[index].querySelector("a.folder-link");
    link.focus();
    rows[index].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (event) => {
    if (station.typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "ArrowDown" || event.key === "j") {
      event.preventDefault();
      choose(index + 1);
    } else if (event.key === "ArrowUp" || event.key === "k") {
      event.preventDefault();
      choose(index - 1);
    }
  });
  table.addEventListener("focusin", (event) => {
    const row = event.target.closest("tr");
    const at = rows.indexOf(row);
    if (at >= 0) {
      index = at;
      rows.forEach((r, n) => r.classList.toggle("selected", n === index));
    }
  });
})();

// --- folder metadata: send only what changed, show the manifest's own refusal ------------------
(() => {
  const form = document.getElementById("meta-form");
  if (!form || !form.querySelector("[data-initial]")) return;
  const fields = [...form.querySelectorAll("[data-initial]")];
  const note = form.querySelector(".form-message");
  const mark = () => fields.forEach((f) => f.classList.toggle("changed", f.value !== f.dataset.initial));
  form.addEventListener("input", mark);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {};
    for (const field of fields) {
      if (field.value === field.dataset.initial) continue;
      if (field.dataset.type === "int") {
        const text = field.value.trim();
        changes[field.name] = text === "" ? null : Number(text);
        if (text !== "" && !Number.isInteger(changes[field.name])) {
          note.hidden = false;
          note.className = "form-message error";
          note.textContent = _("Số tờ (sheets) must be a whole number");
          field.focus();
          return;
        }
      } else {
        changes[field.name] = field.value;
      }
    }
    note.hidden = false;
    if (!Object.keys(changes).length) {
      note.className = "form-message";
      note.textContent = _("Nothing changed.");
      return;
    }
    try {
      const folder = await station.api("PATCH", `/api/folders/${form.dataset.folder}`, changes);
      for (const field of fields) {
        const value = field.name === "sheet_count" ? (folder.sheet_count ?? "") : field.value;
        field.value = String(value);
        field.dataset.initial = field.value;
      }
      mark();
      note.className = "form-message ok";
      note.textContent = "Saved.";
      station.say(_("Metadata of %(folder)s saved", { folder: folder.folder_id }));
    } catch (err) {
      note.className = "form-message error";
      note.textContent = err.detail || String(err);
      station.fail(err, `${_("Metadata not saved.")} `);
    }
  });
})();
