/* Draws the /stats charts with the vendored ECharts from the page's JSON data block. */
(function () {
  var data = JSON.parse(document.getElementById("stats-data").textContent);
  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element || typeof echarts === "undefined") { return; }
    var instance = echarts.init(element, null, { renderer: "svg" });
    instance.setOption(option);
    window.addEventListener("resize", function () { instance.resize(); });
  }
  var townships = data.townships.map(function (t) { return t.name; });
  chart("chart-townships", {
    tooltip: { trigger: "axis" }, legend: { data: ["高", "中", "低"] },
    grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: townships, axisLabel: { rotate: 40 } }, yAxis: { type: "value" },
    series: [
      { name: "高", type: "bar", stack: "s", data: data.townships.map(function (t) { return t.high; }) },
      { name: "中", type: "bar", stack: "s", data: data.townships.map(function (t) { return t.medium; }) },
      { name: "低", type: "bar", stack: "s", data: data.townships.map(function (t) { return t.low; }) }
    ]
  });
  chart("chart-rules", {
    tooltip: { trigger: "axis" }, grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.rules.map(function (r) { return r.name; }) },
    series: [{ type: "bar", data: data.rules.map(function (r) { return r.count; }) }]
  });
  chart("chart-trend", {
    tooltip: { trigger: "axis" }, grid: { left: 8, right: 8, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.trend.map(function (p) { return p.as_of; }) },
    yAxis: { type: "value" },
    series: [{ type: "line", data: data.trend.map(function (p) { return p.count; }) }]
  });
})();
