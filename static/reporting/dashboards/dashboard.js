// Draws the burden dashboard from the JSON the page embeds (#dashboard-data); no network.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const palette = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"];
  const ticks = { precision: 0 };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  const names = data.labels;
  draw("chart-months", {
    type: "bar",
    data: {
      labels: data.months,
      datasets: ["forms", "rejected", "answered", "issued"].map((key, i) => ({
        label: names[key],
        data: data[key],
        backgroundColor: palette[i],
      })),
    },
    options: { scales: { y: { beginAtZero: true, ticks } } },
  });

  draw("chart-fields", {
    data: {
      labels: data.months,
      datasets: [
        { type: "bar", label: names.prefilled, data: data.prefilled, backgroundColor: palette[2], stack: "f" },
        { type: "bar", label: names.asked, data: data.asked, backgroundColor: palette[3], stack: "f" },
        {
          type: "line", label: names.hours, data: data.hours, borderColor: palette[4],
          backgroundColor: palette[4], yAxisID: "hours",
        },
      ],
    },
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks },
        hours: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
      },
    },
  });
})();
