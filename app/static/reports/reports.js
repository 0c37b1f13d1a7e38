/* Loupan reports: every element with data-chart="<id>" gets the ECharts option held in the JSON
 * script element of that id. A data item (or series) carrying `url` is a drill-down: clicking it
 * opens the list behind the figure. Money and areas in tooltips come preformatted in `label`. */
(function () {
  "use strict";
  function init() {
    if (!window.echarts) { return; }
    var nodes = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(nodes, function (node) {
      var source = document.getElementById(node.getAttribute("data-chart"));
      if (!source) { return; }
      var option;
      try { option = JSON.parse(source.textContent); } catch (e) { return; }
      var chart = window.echarts.init(node, null, { renderer: "canvas" });
      if (option.tooltip && option.tooltip.labels) {
        option.tooltip.formatter = function (p) {
          var item = p.data || {};
          return (p.seriesName ? p.seriesName + "<br>" : "") + (item.label || (p.name + ": " + p.value));
        };
      }
      chart.setOption(option);
      node.setAttribute("data-chart-ready", "1");
      chart.on("click", function (p) {
        var url = (p.data && p.data.url) || (option.urls && option.urls[p.seriesIndex] && option.urls[p.seriesIndex][p.dataIndex]);
        if (url) { window.location.href = url; }
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  function filters() {
    var form = document.querySelector(".loupan-report-filters");
    if (!form) { return; }
    var period = form.querySelector("select[name=period]");
    function toggle() {
      Array.prototype.forEach.call(form.querySelectorAll("[data-period]"), function (input) {
        var on = period && input.getAttribute("data-period") === period.value;
        input.style.display = on ? "" : "none";
        input.disabled = !on;
      });
    }
    if (period) { period.addEventListener("change", toggle); toggle(); }
    var project = form.querySelector("select[name=project]");
    if (project) {
      project.addEventListener("change", function () {
        ["phase", "building"].forEach(function (name) { var s = form.querySelector("select[name=" + name + "]"); if (s) { s.value = ""; } });
      });
    }
  }
  function start() { filters(); init(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
