"use strict";
// Reviewing with the keyboard: the folder grid and the page view. Every change goes through
// the JSON API; the answer (PageOut) updates the tile or page in place, never a reload.

(() => {
  const { api, say, fail, typing } = station;

  const DECISIONS = {
    "": ["•", "Undecided"],
    approve: ["✓", "Approved"],
    reject: ["✗", "Rejected"],
    blank: ["○", "Blank"],
  };
  const STATES = {
    empty: "Not scanned",
    to_review: "To review",
    rescan: "Waiting for rescan",
    ready: "Ready to approve",
    approved: "Approved",
  };
  const DONE = { approve: "approved", reject: "rejected", blank: "confirmed blank", undecided: "back to undecided" };

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
        say("A separator sheet needs no decision", "error");
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
          const left = counts.undecided ? `${counts.undecided} undecided` : "no page left undecided";
          say(`Page ${position} ${DONE[decision]} · ${left}`);
        } catch (err) {
          select(tile);
          tile.classList.add("failed-action");
          setTimeout(() => tile.classList.remove("failed-action"), 400);
          fail(err, `Page ${position}: `);
        } finally {
          delete tile.dataset.pending;
          tile.classList.remove("busy");
        }
      });
    }

    async function reject(tile) {
      if (!tile) return;
      if (!decidable(tile)) {
        say("A separator sheet needs no decision", "error");
        return;
      }
      const reason = await askReason();
      select(tile, false);
      if (reason) decide(tile, "reject", reason);
    }

    // The machine took this page for a separator sheet; the reviewer says it is a page.
    function notSeparator(tile) {
      if (!window.confirm(`Page ${tile.dataset.pos} is not a separator sheet: read it again as a page of this folder (OCR takes a few seconds)?`)) return;
      say(`Reading page ${tile.dataset.pos} again…`);
      queue(async () => {
        try {
          await api("POST", `/api/pages/${tile.dataset.id}/undo-separator`);
          window.location.reload();
        } catch (err) {
          fail(err, `Page ${tile.dataset.pos}: `);
        }
      });
    }

    function turn(tile) {
      if (!tile) return;
      queue(async () => {
        try {
          const page = await api("POST", `/api/pages/${tile.dataset.id}/turn`, { degrees: 90 });
          update(tile, page);
          say(`Page ${tile.dataset.pos} turned to ${page.turn}°`);
        } catch (err) {
          fail(err, `Page ${tile.dataset.pos}: `);
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
          fail(err, `Page ${tile.dataset.pos}: `);
          return;
        }
        if (step < 0) grid.insertBefore(tile, other);
        else grid.insertBefore(other, tile);
        [tile.dataset.pos, other.dataset.pos] = [other.dataset.pos, tile.dataset.pos];
        tile.querySelector(".pos").textContent = tile.dataset.pos;
        other.querySelector(".pos").textContent = other.dataset.pos;
        if (current === tile) select(tile);
        say(`Page moved to position ${tile.dataset.pos}`);
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
            ? `${pages.length} unflagged page${pages.length === 1 ? "" : "s"} approved · ${counts.undecided} undecided left`
            : "No undecided page without flags: decide the flagged ones one by one", pages.length ? "ok" : "info");
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
          say(`Folder ${result.folder_id} approved`);
          if (button) {
            button.textContent = "Approved ✓";
            button.disabled = true;
          }
        } catch (err) {
          fail(err, "Folder not approved. ");
        }
      });
    }

    function reopenFolder(button) {
      queue(async () => {
        try {
          const result = await api("POST", `/api/folders/${folder}/reopen`);
          grid.dataset.approved = "0";
          showState(result.review_state);
          say(`Folder ${result.folder_id} reopened: its pages can be changed again`);
          if (button) button.disabled = true;
        } catch (err) {
          fail(err);
        }
      });
    }

    function exportFolder(button) {
      const format = document.getElementById("export-format").value;
      button.disabled = true;
      say(`Exporting as ${format}…`);
      queue(async () => {
        try {
          const result = await api("POST", `/api/folders/${folder}/export`, { format });
          const state = result.unchanged ? "already exported, unchanged" : "written";
          say(`Version ${result.version} ${state}: ${result.path}`);
        } catch (err) {
          fail(err, "Not exported. ");
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
      } else if (event.shiftKey && letter === "a") approveUnflagged();
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

    const apply = () => {
      img.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
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
      fitImage();
      showing.textContent = original ? "Original scan" : "Processed page";
    });
    img.addEventListener("error", () => {
      showing.textContent = original ? "The original could not be shown" : "No processed image";
    });
    if (img.complete && img.naturalWidth) fitImage();
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
      showing.textContent = original ? "Loading the original scan…" : "Processed page";
      showing.classList.toggle("original", original);
      toggle.setAttribute("aria-pressed", String(original));
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
      if (decided) decided.textContent = page.decided_by ? `${page.decided_by}, just now` : "—";
      root.dataset.preview = page.preview_url;
      if (!original && !img.getAttribute("src")?.endsWith(page.preview_url)) img.src = page.preview_url;
    }

    function decide(decision, reason) {
      if (root.dataset.sep) {
        say("A separator sheet needs no decision", "error");
        return;
      }
      queue(async () => {
        try {
          const page = await api("POST", `/api/pages/${id}/decision`, bodyFor(decision, reason));
          show(page);
          say(`Page ${page.position ?? ""} ${DONE[decision]} · → next page, Esc back to the folder`);
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
          say(`Turned to ${page.turn}°`);
        } catch (err) {
          fail(err);
        }
      });
    }

    async function reject() {
      if (root.dataset.sep) {
        say("A separator sheet needs no decision", "error");
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
