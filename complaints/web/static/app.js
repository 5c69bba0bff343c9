// A little JavaScript where it helps: category suggestion and repeat check while an operator types,
// loading a standard reply. Every page works without it.
(function () {
  "use strict";

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function intake() {
    const form = document.getElementById("intake");
    if (!form) return;
    const summary = form.querySelector("#summary");
    const phone = form.querySelector("#complainant_phone");
    const unit = form.querySelector("#unit_code");
    const category = form.querySelector("#category");
    const box = document.getElementById("repeats");
    const list = document.getElementById("repeat-list");
    let chosenByHand = category.value !== "";
    category.addEventListener("change", function () { chosenByHand = category.value !== ""; });

    const check = debounce(function () {
      const params = new URLSearchParams({ summary: summary.value, phone: phone.value, unit_code: unit.value });
      fetch("/intake/check?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (data.category && !chosenByHand) category.value = data.category;
          list.textContent = "";
          (data.repeats || []).forEach(function (item) {
            const li = document.createElement("li");
            const a = document.createElement("a");
            a.href = "/items/" + encodeURIComponent(item.tracking_no);
            a.target = "_blank";
            a.textContent = item.tracking_no;
            li.appendChild(a);
            li.appendChild(document.createTextNode(" " + item.status + " · " + item.summary + " " + item.phone));
            list.appendChild(li);
          });
          box.hidden = !(data.repeats && data.repeats.length);
        })
        .catch(function () { /* the check is a help, never a blocker */ });
    }, 350);
    [summary, phone, unit].forEach(function (el) { el.addEventListener("input", check); });

    const load = document.getElementById("load-standard");
    if (load) {
      load.addEventListener("click", function () {
        const params = new URLSearchParams({ category: category.value || "consultation", unit_code: unit.value });
        fetch("/replies/standard?" + params.toString(), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (text) { if (text) document.getElementById("answer_text").value = text; });
      });
    }
  }

  // The reply composer: fill-in prompts 【…】 highlighted behind the text and listed, "next" selects one;
  // choosing the outcome loads the standard reply with that outcome's conclusion.
  const PROMPT = /【[^【】\n]{1,200}】/g;

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function composer(box) {
    const area = box.querySelector("textarea");
    const marks = box.querySelector(".composer-marks");
    const form = box.closest("form");
    const info = form.querySelector("[data-fill-ins]");
    const list = form.querySelector("[data-fill-in-list]");
    const outcome = form.querySelector("[data-outcome]");
    const draftsNode = form.querySelector("[data-drafts]");
    const drafts = draftsNode ? JSON.parse(draftsNode.textContent) : {};
    let loaded = area.value;

    function refresh() {
      marks.innerHTML = escapeHtml(area.value).replace(PROMPT, function (m) { return "<mark>" + m + "</mark>"; }) + "\n";
      marks.scrollTop = area.scrollTop;
      const found = area.value.match(PROMPT) || [];
      info.hidden = found.length === 0;
      const separator = info.dataset.separator || "、";  // the interface language's list comma
      list.textContent = found.join(separator);
      area.setCustomValidity(found.length ? info.dataset.message + found.join(separator) : "");
    }
    area.addEventListener("input", refresh);
    area.addEventListener("scroll", function () { marks.scrollTop = area.scrollTop; });
    form.querySelector("[data-next-fill-in]").addEventListener("click", function () {
      PROMPT.lastIndex = 0;
      const from = area.selectionEnd || 0;
      let match = null, first = null, m;
      while ((m = PROMPT.exec(area.value)) !== null) {
        if (first === null) first = m;
        if (m.index >= from && match === null) match = m;
      }
      match = match || first;
      if (match) { area.focus(); area.setSelectionRange(match.index, match.index + match[0].length); }
    });
    if (outcome) {
      outcome.addEventListener("change", function () {
        const text = drafts[outcome.value];
        if (!text) return;
        if (area.value && area.value !== loaded && !window.confirm(outcome.dataset.confirm || "")) return;
        area.value = loaded = text;
        refresh();
      });
    }
    refresh();
  }

  document.addEventListener("DOMContentLoaded", intake);
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-composer]").forEach(composer);
  });
})();
