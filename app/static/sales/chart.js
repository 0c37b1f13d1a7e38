/* The sales-control chart (销控图): draws the rooms of the chosen buildings in one pass, dims the
   rooms the filters exclude, opens the room card, and polls the server for the rooms others
   changed (only those cells are redrawn). */
(function () {
  "use strict";
  var root = document.getElementById("loupan-chart");
  if (!root) { return; }

  // The project and building pickers open the chart of what is chosen.
  var pick = root.querySelector(".lc-pick");
  function go() {
    var project = pick.querySelector(".lc-project");
    var building = pick.querySelector(".lc-building");
    var ticket = pick.querySelector("input[name=ticket]");
    var q = "?project=" + encodeURIComponent(project ? project.value : "");
    if (building && building.value && this !== project) { q += "&" + building.value; }
    if (ticket) { q += "&ticket=" + encodeURIComponent(ticket.value); }
    window.location.search = q;
  }
  Array.prototype.forEach.call(pick.querySelectorAll("select"), function (s) { s.addEventListener("change", go); });

  var large = root.querySelector(".lc-large");
  function setLarge(on) {
    document.body.classList.toggle("lc-projector", on);
    try { localStorage.setItem("loupan.chart.large", on ? "1" : ""); } catch (e) { /* private mode */ }
    fitGrid();
  }
  large.addEventListener("click", function () {
    var on = !document.body.classList.contains("lc-projector");
    setLarge(on);
    if (on && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () { /* not allowed: the large layout stays */ });
    } else if (!on && document.fullscreenElement && document.exitFullscreen) {
      document.exitFullscreen().catch(function () {});
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.body.classList.contains("lc-projector") && !document.querySelector(".modal.in")) {
      setLarge(false);
    }
  });
  document.addEventListener("fullscreenchange", function () {
    if (!document.fullscreenElement && document.body.classList.contains("lc-projector")) { setLarge(false); }
  });

  var configNode = document.getElementById("lc-config");
  var gridBox = root.querySelector(".lc-grid");
  function fitGrid() {
    if (!gridBox) { return; }
    var top = gridBox.getBoundingClientRect().top + window.pageYOffset;
    gridBox.style.maxHeight = Math.max(240, window.innerHeight - top - 12) + "px";
  }
  window.addEventListener("resize", fitGrid);
  try { if (localStorage.getItem("loupan.chart.large")) { document.body.classList.add("lc-projector"); } } catch (e) {}
  if (!configNode) { return; }

  if (window.performance && performance.mark) { performance.mark("loupan-chart-script"); }
  var config = JSON.parse(configNode.textContent);
  var data = config.data, L = config.labels;
  var rooms = data.rooms;               // [id, b, col, floor, number, status, layout, orient, view, area, unit, total, code]
  var statuses = data.statuses;
  var statusIndex = {};
  statuses.forEach(function (s, i) { statusIndex[s.code] = i; });
  var byId = {};
  var cells = [];                       // the <td> of each room, by index in rooms
  var show = "layout";
  var version = data.version;
  var onlyStatus = {};                  // statuses picked in the legend (none: every status)

  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }
  function grouped(intPart) { return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function fixed2(v) {
    if (v === null || v === undefined || v === "") { return ""; }
    var n = Number(v);
    return isNaN(n) ? String(v) : n.toFixed(2);
  }
  function money(v) {
    var s = fixed2(v); if (!s) { return ""; }
    var p = s.split("."); return "¥" + grouped(p[0]) + "." + p[1];
  }
  function area(v) {
    var s = fixed2(v); if (!s) { return ""; }
    var p = s.split("."); return grouped(p[0]) + "." + p[1] + "㎡";
  }
  function wan(v) {                     // a total in 万 for the cell: 258.3万
    if (v === null || v === undefined || v === "") { return ""; }
    return (Number(v) / 10000).toFixed(1) + "万";
  }
  function hundredths(v) {              // exact sums of areas: integers of 0.01㎡
    if (v === null || v === undefined || v === "") { return 0; }
    var neg = v.charAt(0) === "-", s = neg ? v.slice(1) : v, p = s.split(".");
    var n = parseInt(p[0] || "0", 10) * 100 + parseInt(((p[1] || "") + "00").slice(0, 2), 10);
    return neg ? -n : n;
  }
  function fromHundredths(n) {
    var s = String(Math.abs(n)); while (s.length < 3) { s = "0" + s; }
    return (n < 0 ? "-" : "") + grouped(s.slice(0, -2)) + "." + s.slice(-2) + "㎡";
  }
  function textColour(hex) {            // black or white, whichever reads better on the status colour
    var m = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(hex || "");
    if (!m) { return "#000"; }
    var h = m[1].length === 3 ? m[1].replace(/(.)/g, "$1$1") : m[1];
    var r = parseInt(h.slice(0, 2), 16), g = parseInt(h.slice(2, 4), 16), b = parseInt(h.slice(4, 6), 16);
    return (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#1a1a1a" : "#fff";
  }

  // One style rule per status: the colours are the admin's, checked to be colours.
  (function styles() {
    var css = statuses.map(function (s, i) {
      var colour = /^#[0-9a-f]{3,6}$/i.test(s.colour) ? s.colour : "#999999";
      return ".lc-s" + i + "{background:" + colour + ";color:" + textColour(colour) + "}";
    }).join("\n");
    var style = document.createElement("style");
    style.textContent = css;
    document.head.appendChild(style);
  })();

  // "A户型 三室两厅两卫" shows as "A户型" in a cell (the card has the whole name).
  var shortLayouts = data.layouts.map(function (n) { return String(n).split(/\s+/)[0]; });
  function detail(r) {
    switch (show) {
      case "layout": return r[6] >= 0 ? shortLayouts[r[6]] : "";
      case "area": return area(r[9]);
      case "unit_price": return r[10] ? grouped(String(Math.round(Number(r[10])))) : "";
      case "total": return wan(r[11]);
      default: return "";
    }
  }
  function cellInner(r) {
    var d = show === "none" ? "" : detail(r);
    return "<b>" + esc(r[4]) + "</b>" + (show === "none" ? "" : "<small>" + esc(d) + "</small>");
  }
  function cellClass(i) {
    var r = rooms[i];
    return "lc-c lc-s" + (statusIndex[r[5]] === undefined ? "x" : statusIndex[r[5]]) + (matches(r) ? "" : " lc-dim");
  }

  function draw() {
    var html = [];
    var grids = data.buildings.map(function () { return {}; });
    rooms.forEach(function (r, i) { grids[r[1]][r[3] + ":" + r[2]] = i; });
    data.buildings.forEach(function (b, bi) {
      var grid = grids[bi];
      html.push("<table class=\"lc-b\"><caption>" + esc(b.name) + "</caption><thead>");
      if (b.units.some(function (u) { return u[0]; })) {
        html.push("<tr><th class=\"lc-fl\"></th>");
        b.units.forEach(function (u) { html.push("<th colspan=\"" + u[1] + "\" class=\"lc-u\">" + esc(u[0]) + "</th>"); });
        html.push("</tr>");
      }
      html.push("<tr><th class=\"lc-fl\">" + esc(L.floor) + "</th>");
      b.columns.forEach(function (c) { html.push("<th class=\"lc-p\">" + esc(c) + "</th>"); });
      html.push("</tr></thead><tbody>");
      b.floors.forEach(function (f) {
        html.push("<tr><th class=\"lc-fl\">" + esc(f < 0 ? "B" + (-f) : f) + "</th>");
        for (var c = 0; c < b.columns.length; c++) {
          var i = grid[f + ":" + c];
          if (i === undefined) { html.push("<td class=\"lc-e\"></td>"); continue; }
          html.push("<td class=\"" + cellClass(i) + "\" data-i=\"" + i + "\" title=\"" + esc(rooms[i][12]) + "\">" +
                    cellInner(rooms[i]) + "</td>");
        }
        html.push("</tr>");
      });
      html.push("</tbody></table>");
    });
    gridBox.innerHTML = html.join("");
    cells = new Array(rooms.length);
    Array.prototype.forEach.call(gridBox.querySelectorAll("td[data-i]"), function (td) {
      cells[+td.getAttribute("data-i")] = td;
    });
    rooms.forEach(function (r, i) { byId[r[0]] = i; });
    fitGrid();
  }

  // ---- legend and filters
  var filters = {};
  function num(v) { return v === "" || v === undefined ? null : Number(v); }
  function matches(r) {
    if (Object.keys(onlyStatus).length && !onlyStatus[r[5]]) { return false; }
    if (filters.layout !== undefined && filters.layout !== "" && r[6] !== +filters.layout) { return false; }
    if (filters.orientation !== undefined && filters.orientation !== "" && r[7] !== +filters.orientation) { return false; }
    if (filters.view !== undefined && filters.view !== "" && r[8] !== +filters.view) { return false; }
    var a = Number(r[9]), t = r[11] === null ? null : Number(r[11]) / 10000;
    var aMin = num(filters.area_min), aMax = num(filters.area_max);
    var tMin = num(filters.total_min), tMax = num(filters.total_max);
    if (aMin !== null && !(a >= aMin)) { return false; }
    if (aMax !== null && !(a <= aMax)) { return false; }
    if (tMin !== null && !(t !== null && t >= tMin)) { return false; }
    if (tMax !== null && !(t !== null && t <= tMax)) { return false; }
    return true;
  }
  var legendBox = root.querySelector(".lc-legend");
  var matchBox = root.querySelector(".lc-match");
  function legend() {
    var count = {}, sum = {}, total = 0, totalArea = 0, matching = 0;
    rooms.forEach(function (r) {
      count[r[5]] = (count[r[5]] || 0) + 1;
      sum[r[5]] = (sum[r[5]] || 0) + hundredths(r[9]);
      total += 1; totalArea += hundredths(r[9]);
      if (matches(r)) { matching += 1; }
    });
    var html = statuses.map(function (s, i) {
      return "<button type=\"button\" class=\"lc-l" + (onlyStatus[s.code] ? " lc-on" : "") + "\" data-status=\"" +
        esc(s.code) + "\"><span class=\"lc-sw lc-s" + i + "\"></span><span class=\"lc-ln\">" + esc(s.name) +
        "</span><span class=\"lc-lc\">" + (count[s.code] || 0) + "</span><span class=\"lc-la\">" +
        fromHundredths(sum[s.code] || 0) + "</span></button>";
    });
    html.push("<div class=\"lc-l lc-lt\"><span class=\"lc-sw\"></span><span class=\"lc-ln\">" + esc(L.rooms) +
              "</span><span class=\"lc-lc\">" + total + "</span><span class=\"lc-la\">" + fromHundredths(totalArea) +
              "</span></div>");
    legendBox.innerHTML = html.join("");
    matchBox.textContent = matching === total ? "" : matching + " / " + total + " " + L.matching;
  }
  legendBox.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-status]");
    if (!b) { return; }
    var code = b.getAttribute("data-status");
    if (onlyStatus[code]) { delete onlyStatus[code]; } else { onlyStatus[code] = true; }
    refilter();
  });
  function refilter() {
    for (var i = 0; i < rooms.length; i++) {
      if (cells[i]) { cells[i].className = cellClass(i); }
    }
    legend();
  }
  Array.prototype.forEach.call(root.querySelectorAll(".lc-f"), function (input) {
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", function () {
      filters[input.getAttribute("data-f")] = input.value;
      refilter();
    });
  });
  root.querySelector(".lc-reset").addEventListener("click", function () {
    filters = {}; onlyStatus = {};
    Array.prototype.forEach.call(root.querySelectorAll(".lc-f"), function (input) { input.value = ""; });
    refilter();
  });
  root.querySelector(".lc-show").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-show]");
    if (!b) { return; }
    show = b.getAttribute("data-show");
    Array.prototype.forEach.call(this.querySelectorAll("button"), function (x) { x.classList.toggle("active", x === b); });
    gridBox.classList.toggle("lc-numbers-only", show === "none");
    for (var i = 0; i < rooms.length; i++) { if (cells[i]) { cells[i].innerHTML = cellInner(rooms[i]); } }
  });

  // ---- the room card
  var modal = document.getElementById("lc-card");
  var cardTitle = modal.querySelector(".modal-title"), cardBody = modal.querySelector(".modal-body");
  function row(label, value) {
    return value === null || value === undefined || value === "" ? "" :
      "<tr><th>" + esc(label) + "</th><td>" + esc(value) + "</td></tr>";
  }
  function renderCard(c) {
    var s = statusIndex[c.status];
    cardTitle.innerHTML = esc(c.code) + " <span class=\"label lc-s" + (s === undefined ? "x" : s) + "\">" +
      esc(c.status_name) + "</span>";
    var h = ["<div class=\"row\"><div class=\"col-sm-6\"><h5>" + esc(L.details) + "</h5><table class=\"table table-condensed lc-kv\">",
      row(L.building, c.project + " · " + c.building + (c.unit ? " · " + c.unit : "")),
      row(L.floor, c.floor), row(L.layout, c.layout), row(L.property_type, c.property_type),
      row(L.area_gross, area(c.area_gross)), row(L.area_inner, area(c.area_inner)),
      row(L.area_shared, area(c.area_shared)), row(L.orientation, c.orientation), row(L.view, c.view),
      row(L.decoration, c.decoration), "</table></div>",
      "<div class=\"col-sm-6\"><h5>" + esc(L.prices) + "</h5><table class=\"table table-condensed lc-kv\">",
      row(L.list_unit_price, money(c.unit_price)), row(L.list_total_price, money(c.total_price)),
      c.floor_price !== null ? row(L.floor_price, money(c.floor_price)) : "", "</table>",
      "<h5>" + esc(L.deal) + "</h5>"];
    var d = c.deal;
    if (d) {
      h.push("<table class=\"table table-condensed lc-kv lc-deal\">",
        row(L.stage, d.stage_name), row(L.since, d.since), row(L.hold_until, d.hold_until),
        row(L.booking_until, d.booking_until), row(L.sign_by, d.sign_by),
        row(L.subscription_no, d.subscription_no), row(L.contract_no, d.contract_no),
        row(L.deal_total, d.total ? money(d.total) : ""), row(L.salesperson, d.salesperson),
        row(L.customer, d.customer), row(L.phone, d.phone), "</table>");
      if (d.pending) { h.push("<p class=\"label label-warning lc-pending\">" + esc(d.pending) + "</p>"); }
      if (d.url) { h.push("<p><a class=\"lc-open-deal\" href=\"" + esc(d.url) + "\">" + esc(L.open_deal) + " →</a></p>"); }
    } else {
      h.push("<p class=\"text-muted\">" + esc(L.no_deal) + "</p>");
    }
    h.push("</div></div>");
    h.push("<div class=\"lc-actions\">");
    if (c.actions.length) {
      c.actions.forEach(function (a) {
        var cls = a.code === "pick" ? "btn-warning" : (a.code === "hold" || a.code === "subscribe" || a.code === "sign") ? "btn-primary" :
          (a.code === "release" || a.code === "cancel") ? "btn-danger" : "btn-default";
        h.push("<a class=\"btn btn-sm " + cls + " lc-act\" data-action=\"" + esc(a.code) + "\" href=\"" + esc(a.url) + "\">" + esc(a.label) + "</a> ");
      });
    } else {
      h.push("<span class=\"text-muted\">" + esc(config.readOnly ? L.read_only : L.no_actions) + "</span>");
    }
    h.push("</div>");
    h.push("<div class=\"row\"><div class=\"col-sm-6\"><h5>" + esc(L.history) + "</h5>");
    if (c.history.length) {
      h.push("<table class=\"table table-condensed lc-hist\"><tr><th>" + esc(L.when) + "</th><th>" + esc(L.what) +
             "</th><th>" + esc(L.who) + "</th></tr>");
      c.history.forEach(function (e) { h.push("<tr><td>" + esc(e.at) + "</td><td>" + esc(e.action) + "</td><td>" + esc(e.by) + "</td></tr>"); });
      h.push("</table>");
    } else { h.push("<p class=\"text-muted\">" + esc(L.no_history) + "</p>"); }
    h.push("</div><div class=\"col-sm-6\"><h5>" + esc(L.price_history) + "</h5>");
    if (c.prices.length) {
      h.push("<table class=\"table table-condensed lc-hist\"><tr><th>" + esc(L.changed_at) + "</th><th>" +
             esc(L.list_total_price) + "</th><th>" + esc(L.changed_by) + "</th></tr>");
      c.prices.forEach(function (p) {
        h.push("<tr><td>" + esc(p.at) + "</td><td>" + esc(money(p.old_total)) + " → " + esc(money(p.new_total)) +
               "</td><td>" + esc(p.by) + "</td></tr>");
      });
      h.push("</table>");
    } else { h.push("<p class=\"text-muted\">" + esc(L.no_price_history) + "</p>"); }
    h.push("</div></div>");
    cardBody.innerHTML = h.join("");
  }
  function openCard(roomId) {
    cardTitle.textContent = L.loading;
    cardBody.innerHTML = "";
    window.jQuery(modal).modal("show");
    var url = config.roomUrl + roomId + (config.ticket ? "?ticket=" + encodeURIComponent(config.ticket) : "");
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : r.json().then(function (j) { throw new Error(j.message || L.error); }); })
      .then(renderCard)
      .catch(function (e) { cardTitle.textContent = L.error; cardBody.innerHTML = "<p class=\"text-danger\">" + esc(e.message) + "</p>"; });
  }
  gridBox.addEventListener("click", function (e) {
    var td = e.target.closest("td[data-i]");
    if (td) { openCard(rooms[+td.getAttribute("data-i")][0]); }
  });
  gridBox.addEventListener("keydown", function (e) {
    var td = e.target.closest && e.target.closest("td[data-i]");
    if (td && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); openCard(rooms[+td.getAttribute("data-i")][0]); }
  });

  // ---- refresh: poll the version; redraw only the rooms that changed
  var updated = root.querySelector(".lc-updated");
  function stamp(text) {
    var d = new Date();
    updated.textContent = text + " " + ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" +
      ("0" + d.getSeconds()).slice(-2);
  }
  function apply(changes) {
    var changed = 0;
    changes.forEach(function (c) {
      var i = byId[c[0]];
      if (i === undefined) { return; }
      var r = rooms[i];
      if (r[5] !== c[1] || r[10] !== c[2] || r[11] !== c[3]) {
        r[5] = c[1]; r[10] = c[2]; r[11] = c[3];
        if (cells[i]) {
          cells[i].className = cellClass(i) + " lc-flash";
          cells[i].innerHTML = cellInner(r);
        }
        changed += 1;
      }
    });
    if (changed) {
      legend();
      window.setTimeout(function () {
        Array.prototype.forEach.call(gridBox.querySelectorAll(".lc-flash"), function (td) { td.classList.remove("lc-flash"); });
      }, 2500);
    }
    return changed;
  }
  var polling = false;
  function poll() {
    if (polling || document.hidden) { return; }
    polling = true;
    var q = config.query;
    var url = config.stateUrl + "?project=" + q.project + (q.phase ? "&phase=" + encodeURIComponent(q.phase) :
      "&building=" + q.building) + "&v=" + encodeURIComponent(version);
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.status === 204) { stamp(L.updated); return null; }
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      })
      .then(function (j) {
        if (j) { version = j.version; apply(j.rooms); stamp(L.updated); }
      })
      .catch(function () { updated.textContent = L.offline; })
      .then(function () { polling = false; });
  }

  draw();
  legend();
  if (window.performance && performance.mark) { performance.mark("loupan-chart-drawn"); }
  root.setAttribute("data-drawn", "1");
  stamp(L.updated);
  window.setInterval(poll, (config.poll || 3) * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
})();
