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

  document.addEventListener("DOMContentLoaded", intake);
})();
