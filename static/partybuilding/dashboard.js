// Draws the Party-building dashboard from the JSON the page embeds (#dashboard-data); no network.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const palette = ["#dc3545", "#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"];
  const ticks = { precision: 0 };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  const orgsLabel = document.getElementById("chart-communities")?.dataset.orgs || "";
  const membersLabel = document.getElementById("chart-communities")?.dataset.members || "";
  draw("chart-communities", {
    type: "bar",
    data: {
      labels: data.communities.map((row) => row.community),
      datasets: [
        { label: orgsLabel, data: data.communities.map((row) => row.orgs), backgroundColor: palette[0] },
        { label: membersLabel, data: data.communities.map((row) => row.members), backgroundColor: palette[1] },
      ],
    },
    options: { indexAxis: "y", scales: { x: { ticks } } },
  });

  draw("chart-hours", {
    type: "line",
    data: {
      labels: data.hours.months,
      datasets: [{ data: data.hours.hours, borderColor: palette[0], backgroundColor: palette[0], fill: false }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });

  draw("chart-items", {
    type: "bar",
    data: {
      labels: data.items.statuses,
      datasets: data.items.kinds.map((kind, i) => ({
        label: kind.label,
        data: kind.counts,
        backgroundColor: palette[i % palette.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, ticks } } },
  });
})();
