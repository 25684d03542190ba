/* The branch picker (branches/picker.py): a text input for an organization's code or exact name,
   which works without script. With it, typing shows up to 20 matches of the user's scope from the
   input's data-search URL (the view branches:search); choosing one puts its code in the input and
   its name beside it. A select with data-parent (a branch's groups or households) is refilled from
   its data-children URL when that picker changes. No inline script: the Content-Security-Policy
   allows none. Each picker's widget loads this file, so it runs its set-up once. */
(function () {
  "use strict";
  if (window.branchPickerReady) return;
  window.branchPickerReady = true;

  var DELAY = 250;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }

  function setUp(input) {
    var box = input.closest(".branch-picker");
    var chosen = box.querySelector(".picker-chosen");
    var list = document.createElement("ul");
    list.className = "picker-results";
    list.id = input.id + "-results";
    list.hidden = true;
    box.appendChild(list);
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function choose(item) {
      input.value = item.code;
      chosen.textContent = item.name;
      close();
      input.focus();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(results) {
      list.textContent = "";
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "picker-none";
        none.textContent = input.dataset.empty || "";
        list.appendChild(none);
      }
      results.forEach(function (item) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        var name = document.createElement("span");
        name.className = "picker-name";
        name.textContent = item.label;
        var meta = document.createElement("span");
        meta.className = "picker-meta";
        meta.textContent = item.kind + " · " + item.code + (item.dissolved ? " · " + (input.dataset.dissolved || "") : "");
        button.appendChild(name);
        button.appendChild(meta);
        button.addEventListener("click", function () { choose(item); });
        li.appendChild(button);
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var mine = ++asked;
      getJSON(input.dataset.search + "&q=" + encodeURIComponent(text)).then(function (data) {
        if (mine === asked) show(data.results || []);
      }).catch(close);
    }

    input.addEventListener("input", function () {
      chosen.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var buttons = list.querySelectorAll("button");
      if (event.key === "ArrowDown" && !list.hidden && buttons.length) {
        event.preventDefault();
        buttons[0].focus();
      } else if (event.key === "Escape") {
        close();
      } else if (event.key === "Enter" && !list.hidden && buttons.length === 1) {
        event.preventDefault();  // one match: Enter takes it rather than sending half a name
        buttons[0].click();
      }
    });
    list.addEventListener("keydown", function (event) {
      var buttons = Array.prototype.slice.call(list.querySelectorAll("button"));
      var at = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at < buttons.length - 1) {
        event.preventDefault();
        buttons[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (at > 0 ? buttons[at - 1] : input).focus();
      } else if (event.key === "Escape") {
        close();
        input.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!box.contains(event.target)) close();
    });
  }

  function refill(select, code) {
    var blank = select.options.length && !select.options[0].value ? select.options[0] : null;
    var url = select.dataset.children + encodeURIComponent(code.trim());
    getJSON(url).then(function (data) {
      select.textContent = "";
      if (blank) select.appendChild(blank);
      (data.results || []).forEach(function (item) {
        select.appendChild(new Option(item.name + "（" + item.code + "）", item.code));
      });
    }).catch(function () {});
  }

  function start() {
    document.querySelectorAll(".branch-picker input[data-search]").forEach(setUp);
    document.querySelectorAll("select[data-parent][data-children]").forEach(function (select) {
      var parent = document.getElementById(select.dataset.parent);
      if (!parent) return;
      parent.addEventListener("change", function () { refill(select, parent.value); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
