// dxplan dashboard: report-year switch, sortable tables, and a self-check of the charts.
// No network, no libraries. Sets data-rendered="ok" on the body when every visible chart drew.
(function () {
  "use strict";
  var body = document.body;

  function showReport(year) {
    var parts = document.querySelectorAll("[data-report]");
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].getAttribute("data-report") !== year;
    }
  }

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
    if (!numeric) { return raw.trim(); }
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }

  function makeSortable(table) {
    var heads = table.querySelectorAll("th[data-sort]");
    Array.prototype.forEach.call(heads, function (th) {
      th.addEventListener("click", function () {
        var index = Array.prototype.indexOf.call(th.parentNode.children, th);
        var numeric = th.getAttribute("data-sort") === "num";
        var asc = !th.classList.contains("sorted-asc");
        Array.prototype.forEach.call(heads, function (h) {
          h.classList.remove("sorted-asc", "sorted-desc");
        });
        th.classList.add(asc ? "sorted-asc" : "sorted-desc");
        var tbody = table.tBodies[0];
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
          var c = numeric ? x - y : x.localeCompare(y, "ja");
          return asc ? c : -c;
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
  }

  function checkCharts() {
    var charts = document.querySelectorAll("[data-chart]");
    var drawn = 0, broken = [];
    for (var i = 0; i < charts.length; i++) {
      var el = charts[i];
      if (el.closest("[hidden]")) { continue; }
      var svg = el.tagName.toLowerCase() === "svg" ? el : el.querySelector("svg");
      var box = svg ? svg.getBoundingClientRect() : null;
      var marks = svg ? svg.querySelectorAll("rect, path, circle, polyline, line").length : 0;
      if (box && box.width > 0 && box.height > 0 && marks > 0) { drawn++; }
      else { broken.push(el.getAttribute("data-chart")); }
    }
    body.setAttribute("data-charts", String(drawn));
    if (broken.length) { body.setAttribute("data-broken-charts", broken.join(" ")); }
    return broken.length === 0;
  }

  try {
    var data = JSON.parse(document.getElementById("dashboard-data").textContent);
    var picker = document.getElementById("report-picker");
    if (picker) {
      picker.addEventListener("change", function () { showReport(picker.value); checkCharts(); });
      showReport(picker.value);
    }
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    body.setAttribute("data-kpis", String(data.kpi_count));
    body.setAttribute("data-rendered", checkCharts() ? "ok" : "incomplete");
  } catch (err) {
    body.setAttribute("data-rendered", "error");
    body.setAttribute("data-error", String(err));
  }
})();
