"use strict";
// Reviewing with the keyboard: the folder grid and the page view. Every change goes through
// the JSON API; the answer (PageOut) updates the tile or page in place, never a reload.

(() => {
  const { api, say, fail, typing } = station;

  const DECISIONS = {
    "": ["•", _("Undecided")],
    approve: ["✓", _("Approved")],
    reject: ["✗", _("Rejected")],
    blank: ["○", _("Blank")],
  };
  const STATES = {
    empty: _("Not scanned"),
    to_review: _("To review"),
    rescan: _("Waiting for rescan"),
    ready: _("Ready to approve"),
    approved: "Approved",
  };
  const DONE = { approve: _("approved"), reject: _("rejected"), blank: _("confirmed blank"), undecided: _("back to undecided") };

  // Requests run one after another, so that fast typing never reorders them.
  let chain = Promise.resolve();
  const queue = (work) => {
    chain = chain.then(work, work);
    return chain;
  };

  // --- the reject reason dialog and the key help ---------------------------------------------

  const rejectDialog = document.getElementById("reject-dialog");
  const helpDialog = document.getElementById("help-dialog");
  const reasonButtons = rejectDialog ? [...rejectDialog.querySelectorAll("[data-reason]")] : [];
  const reasons = reasonButtons.map((b) => b.dataset.reason);
  const labels = Object.fromEntries(reasonButtons.map((b) => [b.dataset.reason, b.dataset.label]));

  // A stored reason ("blurred", "other: torn corner") as people read it.
  function reasonLabel(reason) {
    if (!reason) return "";
    const at = reason.indexOf(":");
    const code = (at < 0 ? reason : reason.slice(0, at)).trim();
    const note = at < 0 ? "" : reason.slice(at + 1).trim();
    const label = labels[code] || code;
    return note ? `${label}: ${note}` : label;
  }

  function askReason() {
    const other = rejectDialog.querySelector(".other");
    const input = rejectDialog.querySelector("#reject-other");
    const form = rejectDialog.querySelector("#reject-form");
    other.hidden = true;
    input.value = "";
    return new Promise((resolve) => {
      let done = false;
      const finish = (value) => {
        if (done) return;
        done = true;
        rejectDialog.removeEventListener("keydown", onKey);
        rejectDialog.removeEventListener("click", onClick);
        rejectDialog.removeEventListener("cancel", onCancel);
        rejectDialog.removeEventListener("close", onClose);
        form.removeEventListener("submit", onSubmit);
        if (rejectDialog.open) rejectDialog.close();
        resolve(value);
      };
      const pick = (code) => {
        if (code === "other") {
          other.hidden = false;
          input.focus();
        } else {
          finish(code);
        }
      };
      const onKey = (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          finish(null);
          return;
        }
        if (event.target === input) return;
        const n = Number(event.key);
        if (Number.isInteger(n) && n >= 1 && n <= reasons.length) {
          event.preventDefault();
          event.stopPropagation();
          pick(reasons[n - 1]);
        }
      };
      const onClick = (event) => {
        const button = event.target.closest("[data-reason]");
        if (button) pick(button.dataset.reason);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text) {
          input.focus();
          return;
        }
        finish(`other: ${text}`);
      };
      const onCancel = (event) => {
        event.preventDefault();
        finish(null);
      };
      const onClose = () => finish(null);
      rejectDialog.addEventListener("keydown", onKey);
      rejectDialog.addEventListener("click", onClick);
      rejectDialog.addEventListener("cancel", onCancel);
      rejectDialog.addEventListener("close", onClose);
      form.addEventListener("submit", onSubmit);
      rejectDialog.showModal();
      rejectDialog.querySelector("[data-reason]").focus();
    });
  }

  function toggleHelp() {
    if (!helpDialog) return;
    if (helpDialog.open) helpDialog.close();
    else helpDialog.showModal();
  }
  if (helpDialog) {
    helpDialog.addEventListener("keydown", (event) => {
      if (event.key === "?") {
        event.preventDefault();
        helpDialog.close();
      }
    });
  }
  const helpButton = document.getElementById("show-help");
  if (helpButton) helpButton.addEventListener("click", toggleHelp);

  function decisionBadge(decision, reason) {
    const [icon, text] = DECISIONS[decision || ""];
    const badge = document.createElement("span");
    badge.className = `decision d-${decision || "none"}`;
    const mark = document.createElement("span");
    mark.className = "icon";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = icon;
    badge.append(mark, ` ${text}${reason ? `: ${reason}` : ""}`);
    return badge;
  }

  function bodyFor(decision, reason) {
    return reason ? { decision, reason } : { decision };
  }

  // --- the folder grid -----------------------------------------------------------------------

  const grid = document.getElementById("grid");
  if (grid) folderGrid(grid);
  const pageRoot = document.getElementById("page");
  if (pageRoot) pageView(pageRoot);

  function folderGrid(grid) {
    const folder = grid.dataset.folder;
    const tiles = () => [...grid.children];
    let current = null;
    let panel = null; // the document panel, once it is built below

    function select(tile, scroll = true) {
      if (!tile) return;
      if (current && current !== tile) {
        current.setAttribute("aria-selected", "false");
        current.tabIndex = -1;
      }
      current = tile;
      tile.setAttribute("aria-selected", "true");
      tile.tabIndex = 0;
      tile.focus({ preventScroll: true });
      if (scroll) tile.scrollIntoView({ block: "nearest" });
      history.replaceState(null, "", `#p${tile.dataset.id}`);
      if (panel) panel.show(tile);
    }

    function columns() {
      const all = grid.children;
      if (!all.length) return 1;
      const top = all[0].offsetTop;
      let n = 0;
      while (n < all.length && all[n].offsetTop === top) n += 1;
      return Math.max(1, n);
    }

    const decidable = (tile) => !tile.dataset.sep;
    const undecided = (tile) => decidable(tile) && !tile.dataset.decision && !tile.dataset.pending;

    function nextUndecided(from) {
      const all = tiles();
      const start = all.indexOf(from);
      for (let step = 1; step <= all.length; step += 1) {
        const tile = all[(start + step) % all.length];
        if (tile !== from && undecided(tile)) return tile;
      }
      return null;
    }

    function update(tile, page) {
      tile.dataset.decision = page.decision || "";
      tile.classList.remove("d-none", "d-approve", "d-reject", "d-blank");
      tile.classList.add(`d-${page.decision || "none"}`);
      const old = tile.querySelector(".decision");
      if (old && !page.separator) old.replaceWith(decisionBadge(page.decision, ""));
      let reason = tile.querySelector(".reason");
      if (page.reason) {
        if (!reason) {
          reason = document.createElement("span");
          reason.className = "reason";
          tile.querySelector(".decision").after(reason);
        }
        reason.textContent = reasonLabel(page.reason);
        reason.title = reason.textContent;
      } else if (reason) {
        reason.remove();
      }
      const img = tile.querySelector("img");
      if (img && !img.getAttribute("src").endsWith(page.thumbnail_url)) img.src = page.thumbnail_url;
    }

    function recount() {
      const counts = { undecided: 0, approve: 0, reject: 0, blank: 0 };
      for (const tile of tiles()) {
        if (decidable(tile)) counts[tile.dataset.decision || "undecided"] += 1;
      }
      for (const [key, value] of Object.entries(counts)) {
        const cell = document.querySelector(`[data-count="${key}"]`);
        if (cell) cell.textContent = value;
      }
      if (grid.dataset.approved !== "1") {
        const any = counts.undecided + counts.approve + counts.reject + counts.blank;
        const state = !any ? "empty" : counts.undecided ? "to_review" : counts.reject ? "rescan" : "ready";
        showState(state);
      }
      return counts;
    }

    function showState(state) {
      const holder = document.getElementById("folder-state");
      if (!holder) return;
      holder.innerHTML = "";
      const badge = document.createElement("span");
      badge.className = `state s-${state}`;
      badge.dataset.state = state;
      badge.textContent = STATES[state] || state;
      holder.append(badge);
    }

    function decide(tile, decision, reason) {
      if (!tile) return;
      if (!decidable(tile)) {
        say(_("A separator sheet needs no decision"), "error");
        return;
      }
      const position = tile.dataset.pos;
      tile.dataset.pending = "1";
      tile.classList.add("busy");
      if (decision !== "undecided") select(nextUndecided(tile) || tile);
      queue(async () => {
        try {
          const page = await api("POST", `/api/pages/${tile.dataset.id}/decision`, bodyFor(decision, reason));
          update(tile, page);
          const counts = recount();
          const left = counts.undecided ? _("%(n)s undecided", { n: counts.undecided }) : _("no page left undecided");
          say(_("Page %(n)s %(done)s · %(left)s", { n: position, done: DONE[decision], left }));
        } catch (err) {
          select(tile);
          tile.classList.add("failed-action");
          setTimeout(() => tile.classList.remove("failed-action"), 400);
          fail(err, `${_("Page %(n)s", { n: position })}: `);
        } finally {
          delete tile.dataset.pending;
          tile.classList.remove("busy");
        }
      });
    }

    async function reject(tile) {
      if (!tile) return;
      if (!decidable(tile)) {
        say(_("A separator sheet needs no decision"), "error");
        return;
      }
      const reason = await askReason();
      select(tile, false);
      if (reason) decide(tile, "reject", reason);
    }

    // The machine took this page for a separator sheet; the reviewer says it is a page.
    function notSeparator(tile) {
      if (!window.confirm(_("Page %(n)s is not a separator sheet: read it again as a page of this folder (OCR takes a few seconds)?", { n: tile.dataset.pos }))) return;
      say(_("Reading page %(n)s again…", { n: tile.dataset.pos }));
      queue(async () => {
        try {
          await api("POST", `/api/pages/${tile.dataset.id}/undo-separator`);
          window.location.reload();
        } catch (err) {
          fail(err, `${_("Page %(n)s", { n: tile.dataset.pos })}: `);
        }
      });
    }

    function turn(tile) {
      if (!tile) return;
      queue(async () => {
        try {
          const page = await api("POST", `/api/pages/${tile.dataset.id}/turn`, { degrees: 90 });
          update(tile, page);
          say(_("Page %(n)s turned to %(turn)s°", { n: tile.dataset.pos, turn: page.turn }));
        } catch (err) {
          fail(err, `${_("Page %(n)s", { n: tile.dataset.pos })}: `);
        }
      });
    }

    function move(tile, step) {
      if (!tile) return;
      queue(async () => {
        const all = tiles();
        const other = all[all.indexOf(tile) + step];
        if (!other) return;
        const position = Number(other.dataset.pos);
        try {
          await api("POST", `/api/pages/${tile.dataset.id}/move`, { position });
        } catch (err) {
          fail(err, `${_("Page %(n)s", { n: tile.dataset.pos })}: `);
          return;
        }
        if (step < 0) grid.insertBefore(tile, other);
        else grid.insertBefore(other, tile);
        [tile.dataset.pos, other.dataset.pos] = [other.dataset.pos, tile.dataset.pos];
        tile.querySelector(".pos").textContent = tile.dataset.pos;
        other.querySelector(".pos").textContent = other.dataset.pos;
        if (current === tile) select(tile);
        say(_("Page moved to position %(n)s", { n: tile.dataset.pos }));
        if (panel) await panel.reload(); // a document's pages follow the new order
      });
    }

    function approveUnflagged() {
      queue(async () => {
        try {
          const pages = await api("POST", `/api/folders/${folder}/approve-unflagged`);
          for (const page of pages) {
            const tile = document.getElementById(`p${page.id}`);
            if (tile) update(tile, page);
          }
          const counts = recount();
          say(pages.length
            ? (pages.length === 1 ? _("%(n)s unflagged page approved · %(left)s undecided left", { n: pages.length, left: counts.undecided }) : _("%(n)s unflagged pages approved · %(left)s undecided left", { n: pages.length, left: counts.undecided }))
            : _("No undecided page without flags: decide the flagged ones one by one"), pages.length ? "ok" : "info");
          if (current && !undecided(current)) select(nextUndecided(current) || current);
        } catch (err) {
          fail(err);
        }
      });
    }

    function approveFolder(button) {
      queue(async () => {
        try {
          const result = await api("POST", `/api/folders/${folder}/approve`);
          grid.dataset.approved = "1";
          showState(result.review_state);
          say(_("Folder %(folder)s approved", { folder: result.folder_id }));
          if (button) {
            button.textContent = `${_("Approved")} ✓`;
            button.disabled = true;
          }
        } catch (err) {
          fail(err, `${_("Folder not approved.")} `);
        }
      });
    }

    function reopenFolder(button) {
      queue(async () => {
        try {
          const result = await api("POST", `/api/folders/${folder}/reopen`);
          grid.dataset.approved = "0";
          showState(result.review_state);
          say(_("Folder %(folder)s reopened: its pages can be changed again", { folder: result.folder_id }));
          if (button) button.disabled = true;
        } catch (err) {
          fail(err);
        }
      });
    }

    function exportFolder(button) {
      const format = document.getElementById("export-format").value;
      button.disabled = true;
      say(_("Exporting as %(format)s…", { format }));
      queue(async () => {
        try {
          const result = await api("POST", `/api/folders/${folder}/export`, { format });
          const state = result.unchanged ? _("already exported, unchanged") : _("written");
          say(_("Version %(version)s %(state)s: %(path)s", { version: result.version, state, path: result.path }));
        } catch (err) {
          fail(err, `${_("Not exported.")} `);
        } finally {
          button.disabled = false;
        }
      });
    }

    const open = (tile) => {
      if (tile) location.href = `/pages/${tile.dataset.id}`;
    };

    grid.addEventListener("click", (event) => {
      const tile = event.target.closest(".tile");
      if (tile) select(tile, false);
    });
    grid.addEventListener("dblclick", (event) => open(event.target.closest(".tile")));
    const bulk = document.getElementById("approve-unflagged");
    if (bulk) bulk.addEventListener("click", approveUnflagged);
    const approve = document.getElementById("approve-folder");
    if (approve) approve.addEventListener("click", () => approveFolder(approve));
    const exporter = document.getElementById("export-folder");
    if (exporter) exporter.addEventListener("click", () => exportFolder(exporter));
    const reopen = document.getElementById("reopen-folder");
    if (reopen) reopen.addEventListener("click", () => reopenFolder(reopen));

    panel = documentPanel(grid, folder, {
      current: () => current,
      back: () => {
        if (current) select(current, false);
      },
    });

    document.addEventListener("keydown", (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const all = tiles();
      if (!all.length) return;
      const at = Math.max(0, all.indexOf(current));
      const key = event.key;
      const letter = key.length === 1 ? key.toLowerCase() : key;
      let handled = true;
      if (event.shiftKey && key === "ArrowLeft") move(current, -1);
      else if (event.shiftKey && key === "ArrowRight") move(current, 1);
      else if (key === "ArrowRight") select(all[Math.min(at + 1, all.length - 1)]);
      else if (key === "ArrowLeft") select(all[Math.max(at - 1, 0)]);
      else if (key === "ArrowDown" || key === "ArrowUp") {
        const cols = columns();
        const row = Math.floor(at / cols);
        const lastRow = Math.floor((all.length - 1) / cols);
        if (key === "ArrowUp") select(all[at - cols] || all[at]);
        else select(all[at + cols] || (row < lastRow ? all[all.length - 1] : all[at]));
      } else if (key === "Home") select(all[0]);
      else if (key === "End") select(all[all.length - 1]);
      else if (key === "Enter") {
        if (event.target.closest("a, button, summary") && !event.target.closest(".tile")) return;
        open(current);
      } else if (key === "Tab" && !event.shiftKey && event.target.closest(".tile")) {
        if (!panel || !panel.enter()) handled = false;
      } else if (event.shiftKey && letter === "a") approveUnflagged();
      else if (event.shiftKey && letter === "c") panel && panel.confirmConfident();
      else if (letter === "c") panel && panel.confirm(current);
      else if (letter === "s") panel && panel.split(current);
      else if (letter === "m") panel && panel.merge(current);
      else if (letter === "a") decide(current, "approve");
      else if (letter === "b") decide(current, "blank");
      else if (letter === "u" && current && !decidable(current)) notSeparator(current);
      else if (letter === "u") decide(current, "undecided");
      else if (letter === "r") reject(current);
      else if (letter === "o") turn(current);
      else if (key === "?") toggleHelp();
      else handled = false;
      if (handled) event.preventDefault();
    });

    const wanted = location.hash.startsWith("#p") ? document.getElementById(location.hash.slice(1)) : null;
    const first = wanted || tiles().find(undecided) || grid.firstElementChild;
    if (first) select(first, Boolean(wanted));
  }

  // --- the document panel: the fields of the selected page's document (văn bản) -------------
  //
  // The folder's documents come with the page (JSON); every change goes through the API and
  // its answer replaces the document here. Tab goes from the grid into the fields, Enter in a
  // field saves what changed and confirms the document, Esc goes back to the grid.

  function documentPanel(grid, folder, hooks) {
    const source = document.getElementById("documents-data");
    const root = document.getElementById("doc-panel");
    const body = document.getElementById("doc-body");
    if (!source || !root || !body) return null;
    const data = JSON.parse(source.textContent);
    const glosses = data.glosses || {};
    const order = data.order || Object.keys(glosses); // as NĐ 30 lists them (JSON sorts keys)
    const open = root.dataset.open === "1";
    let docs = data.documents || [];
    let shown = null; // the id of the document on show, null for none
    let shownFor = null; // the tile it is shown for

    const byId = (id) => docs.find((d) => d.id === Number(id)) || null;
    const docOf = (tile) => (tile && tile.dataset.doc ? byId(tile.dataset.doc) : null);
    const pct = (x) => `${Math.round(x * 100)}%`;
    const name = (d) => [d.document_type, d.number_symbol].filter(Boolean).join(" ");
    const el = (tag, className, text) => {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined) node.textContent = text;
      return node;
    };
    const shownValue = (value) => (Array.isArray(value) ? value.join("; ") : value === null || value === undefined ? "" : String(value));

    // Where each document begins, and which document each page is in.
    function markers() {
      const of = new Map();
      const first = new Map();
      for (const d of docs) {
        d.pages.forEach((p, i) => {
          of.set(p.page_id, d);
          if (i === 0) first.set(p.page_id, d);
        });
      }
      for (const tile of grid.children) {
        const id = Number(tile.dataset.id);
        const d = of.get(id);
        if (d) tile.dataset.doc = String(d.id);
        else delete tile.dataset.doc;
        const old = tile.querySelector(".doc-start");
        if (old) old.remove();
        const starts = first.get(id);
        tile.classList.toggle("doc-first", Boolean(starts));
        if (starts) {
          const label = name(starts);
          const ribbon = el("span", "doc-start", `VB ${starts.sequence}${label ? ` · ${label}` : ""}`);
          ribbon.title = `${_("Văn bản %(n)s begins here", { n: starts.sequence })}${label ? `: ${label}` : ""}${starts.summary ? `: ${starts.summary}` : ""}`;
          tile.prepend(ribbon);
        }
      }
      const count = document.getElementById("doc-count");
      if (count) count.textContent = docs.length;
      const todo = document.getElementById("doc-todo");
      if (todo) todo.textContent = docs.filter((d) => d.needs_confirmation.length).length;
    }

    function replace(doc) {
      docs = docs.map((d) => (d.id === doc.id ? doc : d));
    }

    function positions(d) {
      const found = d.pages.map((p) => {
        const tile = document.getElementById(`p${p.page_id}`);
        return tile ? tile.dataset.pos : null;
      }).filter(Boolean);
      if (!found.length) return _("no page you may see");
      return found.length === 1 ? _("page %(n)s", { n: found[0] }) : _("pages %(first)s–%(last)s", { first: found[0], last: found[found.length - 1] });
    }

    function render(d, tile) {
      shown = d ? d.id : null;
      shownFor = tile;
      body.innerHTML = "";
      if (!d) {
        body.append(el("p", "muted", tile ? _("Page %(n)s belongs to no document (a blank page or a separator sheet).", { n: tile.dataset.pos || "" }) : _("Choose a page to see its document.")));
        return;
      }
      const form = el("form", "doc-form");
      form.id = "doc-form";
      form.noValidate = true;
      form.dataset.doc = d.id;
      const head = el("p", "doc-head");
      head.append(el("b", "", `Văn bản ${d.sequence}`), ` ${_("of %(total)s", { total: docs.length })} · ${positions(d)} · `);
      const state = el("span", `state ${d.state === "confirmed" ? "s-approved" : "s-to_review"}`, d.state === "confirmed" ? _("Confirmed by %(who)s", { who: d.confirmed_by }) : _("Not confirmed"));
      state.id = "doc-state";
      head.append(state);
      if (d.level) head.append(" ", el("span", "secrecy", d.level));
      for (const flag of d.flags) {
        const badge = el("span", "flag", flag.replaceAll("_", " "));
        badge.dataset.flag = flag;
        head.append(" ", badge);
      }
      form.append(head);
      const code = el("p", "doc-code muted", `${d.archival_code}${d.boundary_confidence < 1 ? ` · ${_("starts here with %(pct)s certainty", { pct: pct(d.boundary_confidence) })}` : ""}`);
      form.append(code);
      const todo = d.needs_confirmation;
      const note = el("p", todo.length ? "doc-todo-note warn" : "doc-todo-note", todo.length
        ? (todo.length === 1 ? _("%(n)s field to check (read below %(pct)s, or not found), then Enter confirms", { n: todo.length, pct: pct(d.threshold) }) : _("%(n)s fields to check (read below %(pct)s, or not found), then Enter confirms", { n: todo.length, pct: pct(d.threshold) }))
        : d.state === "confirmed" ? _("Confirmed: every field counts as checked") : _("Every field read at %(pct)s or better", { pct: pct(d.threshold) }));
      note.id = "doc-note";
      form.append(note);
      for (const field of order.filter((name) => d.fields[name])) {
        const f = d.fields[field];
        const row = el("div", "dfield");
        row.dataset.name = field;
        if (f.needs_confirmation) row.classList.add("low");
        if (f.source === "reviewer") row.classList.add("mine");
        const id = `d-${field}`;
        const label = el("label", "", f.label);
        label.htmlFor = id;
        if (document.documentElement.lang === "en") label.append(" ", el("span", "gloss", glosses[field] || field));
        const conf = el("span", "conf");
        if (f.source === "reviewer") {
          conf.textContent = `✓ ${_("yours")}`;
          conf.title = _("Set or checked by a reviewer");
        } else if (f.value === null && !f.confidence) {
          conf.textContent = _("not found");
          if (f.needs_confirmation) conf.classList.add("low");
        } else {
          conf.textContent = `${f.needs_confirmation ? "⚠ " : ""}${pct(f.confidence)}`;
          conf.title = _("Read (%(source)s) with %(pct)s confidence", { source: f.source, pct: pct(f.confidence) });
          if (f.needs_confirmation) conf.classList.add("low");
        }
        row.append(label, conf);
        if (field === "page_count" || field === "secrecy") {
          const value = el("output", "value", shownValue(f.value) || "—");
          value.id = id;
          row.append(value);
          if (field === "secrecy" && open) {
            const change = el("button", "small", _("Change…"));
            change.type = "button";
            change.addEventListener("click", () => askSecrecy(d));
            row.append(change);
          }
        } else {
          const input = el("input");
          input.id = id;
          input.name = field;
          input.value = shownValue(f.value);
          input.dataset.initial = input.value;
          input.autocomplete = "off";
          input.spellcheck = false;
          if (field === "issued_date") input.placeholder = "dd/mm/yyyy";
          if (field === "number") input.inputMode = "numeric";
          if (field === "recipients") input.placeholder = _("one; another");
          if (!open) input.readOnly = true;
          input.addEventListener("input", () => input.classList.toggle("changed", input.value !== input.dataset.initial));
          row.append(input);
        }
        if (f.crop_url) {
          const crop = el("img", "crop");
          crop.src = f.crop_url;
          crop.loading = "lazy";
          crop.alt = _("Where %(field)s was read", { field: f.label || glosses[field] || field });
          row.append(crop);
        }
        form.append(row);
      }
      const problem = el("p", "doc-message");
      problem.setAttribute("role", "alert");
      problem.hidden = true;
      form.append(problem);
      if (open) {
        const actions = el("div", "doc-actions");
        const confirmButton = el("button", "primary");
        confirmButton.type = "submit";
        confirmButton.append(`${_("Save and confirm")} `, el("kbd", "", "Enter"));
        const splitButton = el("button");
        splitButton.type = "button";
        splitButton.append(`${_("Split at this page")} `, el("kbd", "", "s"));
        splitButton.addEventListener("click", () => split(shownFor));
        const mergeButton = el("button");
        mergeButton.type = "button";
        mergeButton.append(`${_("Merge with previous")} `, el("kbd", "", "m"));
        mergeButton.disabled = d.sequence === 1;
        mergeButton.addEventListener("click", () => merge(shownFor));
        actions.append(confirmButton, splitButton, mergeButton);
        form.append(actions);
      } else {
        form.append(el("p", "muted", _("The folder is approved: an archivist reopens it to change its documents.")));
      }
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        saveAndConfirm(form, d);
      });
      form.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          hooks.back();
        } else if (event.key === "Tab" && event.shiftKey && event.target === firstField()) {
          event.preventDefault();
          hooks.back();
        }
      });
      body.append(form);
    }

    const firstField = () => body.querySelector("input, button, output + button");

    function show(tile) {
      const d = docOf(tile);
      if (d && d.id === shown && tile === shownFor) return;
      if (d && d.id === shown) {
        shownFor = tile; // the same document: keep what is typed in it
        return;
      }
      render(d, tile);
    }

    function enter() {
      const field = firstField();
      if (!field) return false;
      field.focus();
      if (field.select) field.select();
      return true;
    }

    function refused(form, err, prefix) {
      fail(err, prefix);
      const problem = form.querySelector(".doc-message");
      if (problem) {
        problem.hidden = false;
        problem.textContent = err.detail || String(err);
      }
      const named = /^(\w+):/.exec(err.detail || "");
      const input = named ? form.querySelector(`[name="${named[1]}"]`) : null;
      if (input) {
        input.classList.add("invalid");
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }

    function saveAndConfirm(form, d) {
      if (!open) return;
      const changes = {};
      for (const input of form.querySelectorAll("input[data-initial]")) {
        input.classList.remove("invalid");
        input.removeAttribute("aria-invalid");
        if (input.value !== input.dataset.initial) changes[input.name] = input.value;
      }
      const edited = Object.keys(changes).length;
      queue(async () => {
        let doc = d;
        try {
          if (edited) doc = await api("PATCH", `/api/documents/${d.id}`, changes);
          replace(doc);
          doc = await api("POST", `/api/documents/${d.id}/confirm`);
        } catch (err) {
          if (doc !== d) {
            replace(doc);
            markers();
            render(doc, shownFor);
          }
          refused(document.getElementById("doc-form") || form, err, `Văn bản ${d.sequence}: `);
          return;
        }
        replace(doc);
        markers();
        render(doc, shownFor);
        say(`${_("Văn bản %(n)s confirmed", { n: doc.sequence })}${edited ? ` · ${(edited === 1 ? _("%(n)s field corrected", { n: edited }) : _("%(n)s fields corrected", { n: edited }))}` : ""}`);
        hooks.back();
      });
    }

    function confirm(tile) {
      const d = docOf(tile);
      if (!d) {
        say(_("This page belongs to no document"), "error");
        return;
      }
      const form = document.getElementById("doc-form");
      if (form && shown === d.id) saveAndConfirm(form, d);
    }

    function confirmConfident() {
      queue(async () => {
        try {
          const done = await api("POST", `/api/folders/${folder}/documents/confirm-confident`);
          done.forEach(replace);
          markers();
          const tile = hooks.current();
          render(docOf(tile), tile);
          say(done.length
            ? (done.length === 1 ? _("%(n)s document read with confidence confirmed", { n: done.length }) : _("%(n)s documents read with confidence confirmed", { n: done.length }))
            : _("No unconfirmed document was read with confidence: check them one by one"), done.length ? "ok" : "info");
        } catch (err) {
          fail(err);
        }
      });
    }

    function afterRestructure(result, tile, message) {
      docs = result;
      markers();
      shown = null;
      render(docOf(tile), tile);
      say(message);
    }

    function split(tile) {
      if (!tile) return;
      const d = docOf(tile);
      if (!d) {
        say(_("This page belongs to no document: there is nothing to split"), "error");
        return;
      }
      queue(async () => {
        try {
          const result = await api("POST", `/api/folders/${folder}/documents/split`, { page_id: Number(tile.dataset.id) });
          const now = result.find((x) => x.pages.some((p) => p.page_id === Number(tile.dataset.id)));
          afterRestructure(result, tile, _("Văn bản %(n)s now begins at page %(page)s (m merges it back)", { n: now ? now.sequence : "", page: tile.dataset.pos }));
        } catch (err) {
          fail(err, `${_("Page %(n)s", { n: tile.dataset.pos })}: `);
        }
      });
    }

    function merge(tile) {
      if (!tile) return;
      const d = docOf(tile);
      if (!d) {
        say(_("This page belongs to no document: there is nothing to merge"), "error");
        return;
      }
      queue(async () => {
        try {
          const result = await api("POST", `/api/folders/${folder}/documents/merge`, { document_id: d.id });
          afterRestructure(result, tile, _("Văn bản %(n)s merged into văn bản %(before)s (s splits it again)", { n: d.sequence, before: d.sequence - 1 }));
        } catch (err) {
          fail(err, `Văn bản ${d.sequence}: `);
        }
      });
    }

    // Secrecy: a level and a reason, in a dialog; the answer may hide the document.
    const dialog = document.getElementById("secrecy-dialog");
    function askSecrecy(d) {
      if (!dialog) return;
      const form = dialog.querySelector("form");
      const level = dialog.querySelector("#secrecy-level");
      const reason = dialog.querySelector("#secrecy-reason");
      const problem = dialog.querySelector(".doc-message");
      dialog.querySelector("#secrecy-which").textContent = d.sequence;
      level.value = d.level;
      reason.value = "";
      problem.hidden = true;
      const close = () => {
        form.removeEventListener("submit", submit);
        if (dialog.open) dialog.close();
      };
      const submit = (event) => {
        event.preventDefault();
        queue(async () => {
          try {
            const doc = await api("POST", `/api/documents/${d.id}/secrecy`, { level: level.value, reason: reason.value });
            close();
            replace(doc);
            markers();
            render(doc, shownFor);
            say(_("Văn bản %(n)s is now %(level)s", { n: doc.sequence, level: doc.level || _("not secret") }));
          } catch (err) {
            problem.hidden = false;
            problem.textContent = err.detail || String(err);
          }
        });
      };
      form.addEventListener("submit", submit);
      dialog.querySelector("#secrecy-cancel").onclick = close;
      dialog.addEventListener("close", () => form.removeEventListener("submit", submit), { once: true });
      dialog.showModal();
      reason.focus();
    }

    // After pages moved: the documents as the station now has them.
    async function reload() {
      try {
        docs = await api("GET", `/api/folders/${folder}/documents`);
      } catch (err) {
        fail(err);
        return;
      }
      markers();
      const tile = hooks.current();
      shown = null;
      render(docOf(tile), tile);
    }

    const bulk = document.getElementById("confirm-confident");
    if (bulk) bulk.addEventListener("click", confirmConfident);
    markers();
    return { show, enter, confirm, confirmConfident, split, merge, reload };
  }

  // --- the page view -------------------------------------------------------------------------

  function pageView(root) {
    const id = root.dataset.id;
    const viewer = document.getElementById("viewer");
    const img = document.getElementById("page-image");
    const showing = document.getElementById("showing");
    const toggle = document.getElementById("toggle-original");
    const back = document.getElementById("back");
    let original = false;
    let scale = 1;
    let fit = 1;
    let x = 0;
    let y = 0;

    // Boxes of the words that cannot be Vietnamese, over the processed page (not the
    // original, whose geometry differs, nor a page turned since it was read).
    const marks = document.getElementById("marks");
    const showMarks = () => {
      if (!marks) return;
      marks.hidden = original || Number(marks.dataset.turn) % 360 !== 0 || !img.naturalWidth;
      marks.style.width = `${img.naturalWidth}px`;
      marks.style.height = `${img.naturalHeight}px`;
    };
    const apply = () => {
      img.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
      if (marks) marks.style.transform = img.style.transform;
    };
    function fitImage() {
      if (!img.naturalWidth) return;
      const w = viewer.clientWidth;
      const h = viewer.clientHeight;
      fit = Math.min(w / img.naturalWidth, h / img.naturalHeight);
      scale = fit;
      x = (w - img.naturalWidth * scale) / 2;
      y = (h - img.naturalHeight * scale) / 2;
      apply();
    }
    function zoomAt(factor, cx, cy) {
      const next = Math.min(Math.max(scale * factor, fit * 0.5), Math.max(fit * 12, 4));
      x = cx - ((cx - x) * next) / scale;
      y = cy - ((cy - y) * next) / scale;
      scale = next;
      apply();
    }
    const zoomCentre = (factor) => zoomAt(factor, viewer.clientWidth / 2, viewer.clientHeight / 2);

    img.addEventListener("load", () => {
      img.hidden = false;
      showMarks();
      fitImage();
      showing.textContent = original ? _("Original scan") : _("Processed page");
    });
    img.addEventListener("error", () => {
      showing.textContent = original ? _("The original could not be shown") : _("No processed image");
    });
    if (img.complete && img.naturalWidth) {
      showMarks();
      fitImage();
    }
    window.addEventListener("resize", fitImage);
    viewer.addEventListener("wheel", (event) => {
      event.preventDefault();
      const box = viewer.getBoundingClientRect();
      zoomAt(event.deltaY < 0 ? 1.2 : 1 / 1.2, event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    let drag = null;
    viewer.addEventListener("pointerdown", (event) => {
      drag = { px: event.clientX, py: event.clientY, x, y };
      viewer.setPointerCapture(event.pointerId);
      viewer.classList.add("dragging");
    });
    viewer.addEventListener("pointermove", (event) => {
      if (!drag) return;
      x = drag.x + event.clientX - drag.px;
      y = drag.y + event.clientY - drag.py;
      apply();
    });
    const stop = () => {
      drag = null;
      viewer.classList.remove("dragging");
    };
    viewer.addEventListener("pointerup", stop);
    viewer.addEventListener("pointercancel", stop);
    viewer.addEventListener("dblclick", fitImage);

    function toggleOriginal() {
      original = !original;
      showing.textContent = original ? _("Loading the original scan…") : _("Processed page");
      showing.classList.toggle("original", original);
      toggle.setAttribute("aria-pressed", String(original));
      if (marks) marks.hidden = true; // until the processed page is back
      img.src = original ? root.dataset.original : root.dataset.preview;
    }

    function show(page) {
      root.dataset.decision = page.decision || "";
      const holder = document.getElementById("page-decision");
      if (!page.separator) {
        holder.innerHTML = "";
        holder.append(decisionBadge(page.decision, reasonLabel(page.reason)));
      }
      const decided = document.getElementById("decided");
      if (decided) decided.textContent = page.decided_by ? `${page.decided_by}, ${_("just now")}` : "—";
      root.dataset.preview = page.preview_url;
      if (marks) {
        marks.dataset.turn = page.turn;
        showMarks();
      }
      if (!original && !img.getAttribute("src")?.endsWith(page.preview_url)) img.src = page.preview_url;
    }

    function decide(decision, reason) {
      if (root.dataset.sep) {
        say(_("A separator sheet needs no decision"), "error");
        return;
      }
      queue(async () => {
        try {
          const page = await api("POST", `/api/pages/${id}/decision`, bodyFor(decision, reason));
          show(page);
          say(_("Page %(n)s %(done)s · → next page, Esc back to the folder", { n: page.position ?? "", done: DONE[decision] }));
        } catch (err) {
          fail(err);
        }
      });
    }

    function turn() {
      queue(async () => {
        try {
          const page = await api("POST", `/api/pages/${id}/turn`, { degrees: 90 });
          show(page);
          say(_("Turned to %(turn)s°", { turn: page.turn }));
        } catch (err) {
          fail(err);
        }
      });
    }

    async function reject() {
      if (root.dataset.sep) {
        say(_("A separator sheet needs no decision"), "error");
        return;
      }
      const reason = await askReason();
      if (reason) decide("reject", reason);
    }

    const go = (link) => {
      if (link && link.getAttribute("href")) location.href = link.getAttribute("href");
    };
    const actions = {
      a: () => decide("approve"),
      b: () => decide("blank"),
      u: () => decide("undecided"),
      r: reject,
      o: turn,
    };
    document.querySelectorAll("[data-key]").forEach((button) => {
      button.addEventListener("click", () => actions[button.dataset.key]());
    });
    document.querySelectorAll("[data-zoom]").forEach((button) => {
      button.addEventListener("click", () => {
        const step = Number(button.dataset.zoom);
        if (step === 0) fitImage();
        else zoomCentre(step > 0 ? 1.25 : 0.8);
      });
    });
    toggle.addEventListener("click", toggleOriginal);

    document.addEventListener("keydown", (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      const key = event.key;
      let handled = true;
      if (key === "O") toggleOriginal();
      else if (key === "ArrowLeft") go(document.getElementById("prev"));
      else if (key === "ArrowRight") go(document.getElementById("next"));
      else if (key === "Escape") go(back);
      else if (key === "+" || key === "=") zoomCentre(1.25);
      else if (key === "-" || key === "_") zoomCentre(0.8);
      else if (key === "0") fitImage();
      else if (key === "?") toggleHelp();
      else if (actions[key]) actions[key]();
      else handled = false;
      if (handled) event.preventDefault();
    });
  }
})();
