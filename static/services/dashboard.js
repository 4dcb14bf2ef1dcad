// Draws the services dashboard from the JSON the page embeds (#dashboard-data); no network.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d"];
  const ticks = { precision: 0 };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  draw("chart-stages", {
    type: "bar",
    data: {
      labels: data.stages.statuses,
      datasets: data.stages.bands.map((band, i) => ({
        label: band,
        data: data.stages.by_band[i],
        backgroundColor: palette[i % palette.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, ticks } } },
  });

  draw("chart-deliveries", {
    type: "bar",
    data: {
      labels: data.deliveries.months,
      datasets: data.deliveries.groups.map((group, i) => ({
        label: group.label,
        data: group.counts,
        backgroundColor: palette[i % palette.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, ticks } } },
  });

  draw("chart-overdue", {
    type: "bar",
    data: {
      labels: data.overdue.labels,
      datasets: [{ data: data.overdue.counts, backgroundColor: "#dc3545" }],
    },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { ticks } } },
  });

  draw("chart-responses", {
    type: "bar",
    data: {
      labels: data.responses.map((row) => row.partner),
      datasets: [{ data: data.responses.map((row) => row.median_hours), backgroundColor: "#0d6efd" }],
    },
    options: { indexAxis: "y", plugins: { legend: { display: false } } },
  });
})();
