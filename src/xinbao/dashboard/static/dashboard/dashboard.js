/* Draws the dashboard's charts with ECharts from the JSON data island #dashboard-data
   (rendered by json_script). Each figure is {key, title, chart, columns, rows, series}; the
   first column is the label, the others are numbers (null: not available). No inline code. */
(function () {
  "use strict";
  var island = document.getElementById("dashboard-data");
  if (!island || !window.echarts) { return; }
  var figures = JSON.parse(island.textContent);
  var WINDOW = 20; // rows shown at once in long horizontal charts
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

  function numeric(figure) {
    if (figure.series) { return figure.series; }
    var result = [];
    for (var c = 1; c < figure.columns.length; c++) {
      var isNumber = figure.rows.some(function (row) { return typeof row[c] === "number"; });
      if (isNumber) { result.push(c); }
    }
    return result;
  }

  function labels(figure) { return figure.rows.map(function (row) { return String(row[0]); }); }

  function seriesOf(figure, type) {
    return numeric(figure).map(function (c) {
      return {
        name: figure.columns[c], type: type,
        data: figure.rows.map(function (row) { return row[c]; }),
        emphasis: { focus: "series" }
      };
    });
  }

  function zoom(count, axis) {
    if (count <= WINDOW) { return []; }
    var zoomed = { type: "slider", startValue: 0, endValue: WINDOW - 1, width: 14, right: 4 };
    zoomed[axis + "AxisIndex"] = 0;
    var inside = { type: "inside", startValue: 0, endValue: WINDOW - 1 };
    inside[axis + "AxisIndex"] = 0;
    return [zoomed, inside];
  }

  var builders = {
    line: function (f) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 40, right: 20, top: 36, bottom: 30, containLabel: true },
        xAxis: { type: "category", data: labels(f) }, yAxis: { type: "value", minInterval: 1 },
        series: seriesOf(f, "line")
      };
    },
    bar: function (f) {
      var longest = Math.max.apply(null, labels(f).map(function (l) { return l.length; }));
      var crowded = f.rows.length > 4 || f.rows.length * longest > 24;
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 40, right: 20, top: 36, bottom: 30, containLabel: true },
        xAxis: { type: "category", data: labels(f), axisLabel: { interval: 0, rotate: crowded ? 30 : 0 } },
        yAxis: { type: "value" }, series: seriesOf(f, "bar")
      };
    },
    barh: function (f) {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: { top: 0 },
        grid: { left: 10, right: 30, top: 36, bottom: 10, containLabel: true },
        yAxis: { type: "category", data: labels(f), inverse: true, axisLabel: { width: 130, overflow: "truncate" } },
        xAxis: { type: "value" }, series: seriesOf(f, "bar"), dataZoom: zoom(f.rows.length, "y")
      };
    },
    funnel: function (f) {
      return {
        tooltip: { trigger: "item", formatter: "{b}:{c}" },
        series: [{
          type: "funnel", sort: "none", left: "5%", width: "62%", top: 10, bottom: 10, minSize: "6%",
          gap: 2, label: { show: true, position: "right", formatter: "{b}:{c}" },
          labelLine: { show: true, length: 12 },
          data: f.rows.map(function (row) { return { name: String(row[0]), value: row[1] }; })
        }]
      };
    },
    pie: function (f) {
      return {
        tooltip: { trigger: "item", formatter: "{b}:{c}({d}%)" }, legend: { bottom: 0 },
        series: [{
          name: f.columns[1], type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
          label: { formatter: "{b} {c}" },
          data: f.rows.filter(function (row) { return row[1]; })
            .map(function (row) { return { name: String(row[0]), value: row[1] }; })
        }]
      };
    },
    heatmap: function (f) {
      var months = f.columns.slice(1, f.columns.length - 1), data = [], max = 1;
      f.rows.forEach(function (row, y) {
        months.forEach(function (_m, x) {
          var value = row[x + 1];
          if (value > max) { max = value; }
          data.push([x, y, value]);
        });
      });
      return {
        tooltip: { position: "top", formatter: function (p) { return labels(f)[p.value[1]] + " " + months[p.value[0]] + ":" + p.value[2]; } },
        grid: { left: 10, right: 40, top: 10, bottom: 60, containLabel: true },
        xAxis: { type: "category", data: months, splitArea: { show: true } },
        yAxis: { type: "category", data: labels(f), inverse: true, axisLabel: { width: 130, overflow: "truncate" } },
        visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120,
                     inRange: { color: ["#fff1f0", "#ffd591", "#69b1ff", "#0958d9"] } },
        dataZoom: zoom(f.rows.length, "y"),
        series: [{ type: "heatmap", data: data, label: { show: f.rows.length <= 40 && months.length <= 12 } }]
      };
    }
  };

  var charts = [];
  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = figures[element.getAttribute("data-figure")];
    var build = figure && builders[figure.chart];
    if (!build || figure.empty) { return; }
    if (figure.chart === "barh" || figure.chart === "heatmap") {
      var rows = Math.min(figure.rows.length, WINDOW);
      element.style.height = (110 + rows * 26) + "px"; // CSSOM, not a style attribute in markup
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    var option = build(figure);
    option.textStyle = { fontFamily: FONT };
    // Tooltips drawn on the canvas, not as HTML with style attributes (strict CSP).
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    option.animation = false;
    chart.setOption(option);
    element.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
