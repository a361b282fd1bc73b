/* Draws the line and bar charts of a share page with uPlot (loaded before this file). Each chart element
   carries its data in data-chart: {"kind": "line"|"bar", "labels": [...], "series": [{"label", "data"}]};
   data-legend="true" shows the series names. Colours come from the page's theme (share.css). */
(function () {
  "use strict";

  var PALETTE = ["#1d4aff", "#f04f58", "#16a34a", "#f59e0b", "#9333ea", "#0891b2", "#db2777", "#65a30d"];
  var HEIGHT = 240;
  var charts = [];

  function themeColor(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function barPaths(index, count) {
    var width = 0.8 / count;
    return uPlot.paths.bars({
      disp: {
        x0: {
          unit: 1,
          values: function (u) {
            return u.data[0].map(function (x) { return x - 0.4 + index * width; });
          }
        },
        size: { unit: 1, values: function () { return [width]; } }
      }
    });
  }

  function options(spec, element) {
    var labels = spec.labels || [];
    var bars = spec.kind === "bar";
    var text = themeColor("--text", "#1d1f27");
    var grid = themeColor("--border", "#dcdfe6");
    var axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    var series = [{
      label: "",
      value: function (u, value) { return value == null ? "" : (labels[value] || ""); }
    }];
    spec.series.forEach(function (item, index) {
      var color = PALETTE[index % PALETTE.length];
      var entry = { label: item.label, stroke: color, width: 2, points: { show: labels.length <= 40 } };
      if (bars) {
        entry.fill = color;
        entry.width = 0;
        entry.points = { show: false };
        entry.paths = barPaths(index, spec.series.length);
      }
      series.push(entry);
    });
    return {
      width: Math.max(element.clientWidth, 200),
      height: HEIGHT,
      legend: { show: element.getAttribute("data-legend") === "true", live: false },
      cursor: { points: { show: !bars } },
      scales: {
        x: {
          time: false,
          range: function (u, min, max) { return bars ? [min - 0.5, max + 0.5] : [min, max === min ? min + 1 : max]; }
        },
        y: {
          range: function (u, min, max) { return uPlot.rangeNum(Math.min(0, min), Math.max(max, 1), 0.1, true); }
        }
      },
      axes: [
        Object.assign({}, axis, {
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
          values: function (u, splits) {
            return splits.map(function (value) { return labels[value] === undefined ? "" : labels[value]; });
          }
        }),
        Object.assign({}, axis, { size: 50 })
      ],
      series: series
    };
  }

  function draw(element) {
    var spec;
    try {
      spec = JSON.parse(element.getAttribute("data-chart"));
    } catch (error) {
      return;
    }
    if (!spec || !spec.series || !spec.series.length) {
      return;
    }
    var xs = (spec.labels || []).map(function (label, index) { return index; });
    var data = [xs].concat(spec.series.map(function (item) { return item.data; }));
    var plot = new uPlot(options(spec, element), data, element);
    charts.push({ plot: plot, element: element });
    element.setAttribute("data-rendered", "true");
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (chart) {
        chart.plot.setSize({ width: Math.max(chart.element.clientWidth, 200), height: HEIGHT });
      });
    }, 100);
  });

  Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), draw);
})();
