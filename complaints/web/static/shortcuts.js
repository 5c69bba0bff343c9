// Ticking many items for a bulk action, and keyboard shortcuts on the inbox, board, lists and item page
// (the help overlay opens with "?"). Every page works without it.
(function () {
  "use strict";

  function typing(event) {
    const el = event.target;
    return event.ctrlKey || event.metaKey || event.altKey || el.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].indexOf(el.tagName) >= 0;
  }

  function selection() {
    const boxes = Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name=item]'));
    const count = document.querySelector("[data-selected-count]");
    function update() {
      const n = boxes.filter(function (b) { return b.checked; }).length;
      if (count) count.textContent = n ? "(" + n + ")" : "";
    }
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
        update();
      });
    });
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    update();
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("main table tbody tr")).filter(function (tr) {
      return tr.querySelector('a[href^="/items/"]');
    });
  }

  let current = -1;
  function move(step) {
    const all = rows();
    if (!all.length) return;
    if (current >= 0 && all[current]) all[current].classList.remove("current");
    current = Math.max(0, Math.min(all.length - 1, current + step));
    all[current].classList.add("current");
    all[current].querySelector('a[href^="/items/"]').focus();
  }

  function currentRow() { return rows()[current]; }

  function openAction(id) {
    const box = document.getElementById(id);
    if (!box) return false;
    box.open = true;
    const field = box.querySelector("textarea, input:not([type=hidden]), select");
    if (field) field.focus();
    return true;
  }

  function help() {
    const dialog = document.getElementById("shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  let pendingG = false;
  const go = { i: "/inbox", b: "/board", l: "/items", n: "/intake" };

  function onKey(event) {
    if (typing(event)) return;
    const key = event.key;
    if (pendingG) {
      pendingG = false;
      if (go[key]) { window.location.href = go[key]; event.preventDefault(); }
      return;
    }
    const handlers = {
      "?": help,
      "/": function () {
        const box = document.getElementById("q") || document.getElementById("top-q");
        if (box) box.focus();
      },
      "g": function () { pendingG = true; setTimeout(function () { pendingG = false; }, 1500); },
      "j": function () { move(1); },
      "k": function () { move(-1); },
      "x": function () {
        const row = currentRow();
        const box = row && row.querySelector("input[type=checkbox][name=item]");
        if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change")); }
      },
      "o": function () {
        const row = currentRow();
        if (row) window.location.href = row.querySelector('a[href^="/items/"]').href;
      },
      "r": function () { openAction("reply") || openAction("accept"); },
      "n": function () { openAction("note"); },
      "d": function () { openAction("dispatch") || openAction("reassign"); },
      "s": function () { openAction("supervise"); },
      "u": function () {
        const upload = document.getElementById("attach-file");
        if (upload) upload.focus();
      },
    };
    if (handlers[key]) { handlers[key](); event.preventDefault(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    selection();
    document.addEventListener("keydown", onKey);
    const close = document.getElementById("shortcuts-close");
    if (close) close.addEventListener("click", help);
  });
})();
