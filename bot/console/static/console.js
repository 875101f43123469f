// The overview's two charts, drawn from the numbers the page already shows in its tables.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = {certified: "#1f7a3a", pending: "#d08a00", rejected: "#a12a2a",
                 performances: "#2f3a8f", silent: "#8a8f9c", uploads: "#2f3a8f"};
  var common = {responsive: true, maintainAspectRatio: false, animation: false,
                plugins: {legend: {position: "bottom"}}};
  var classCanvas = document.getElementById("class-chart");
  if (classCanvas && data.classes.labels) {
    var series = ["certified", "pending", "rejected", "performances", "silent"];
    new Chart(classCanvas, {
      type: "bar",
      data: {
        labels: data.classes.labels,
        datasets: series.map(function (key) {
          return {label: data.names[key], data: data.classes[key],
                  backgroundColor: colours[key], stack: key === "performances" || key === "silent" ? key : "outcomes"};
        })
      },
      options: Object.assign({}, common, {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}})
    });
  }
  var dayCanvas = document.getElementById("day-chart");
  if (dayCanvas) {
    new Chart(dayCanvas, {
      type: "line",
      data: {labels: data.days.labels,
             datasets: [{label: data.names.uploads, data: data.days.counts, borderColor: colours.uploads,
                          backgroundColor: colours.uploads, tension: 0.2, pointRadius: 2}]},
      options: Object.assign({}, common, {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}})
    });
  }
})();
