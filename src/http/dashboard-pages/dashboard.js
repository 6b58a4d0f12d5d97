// The dashboard's one script, served from our own origin (the page's CSP allows no inline script):
// draws the funnel chart from the numbers the server embedded in the page as JSON, and applies the
// version filter as soon as it changes.
(() => {
  const form = document.getElementById('filters');
  form?.elements.namedItem('version')?.addEventListener('change', () => form.requestSubmit());

  const embedded = document.getElementById('funnel-data');
  const canvas = document.getElementById('funnel-chart');
  if (!embedded || !canvas) return;
  const funnel = JSON.parse(embedded.textContent);
  const colours = ['#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#cf222e'];
  // Per version, one stacked bar per step: its height is the runs that reached the step, split
  // into those who went on (solid), those still at it (half tone) and those who dropped off there
  // (pale).
  const datasets = funnel.versions.flatMap((version, index) => {
    const colour = colours[index % colours.length];
    const stack = `v${version.version}`;
    return [
      {
        label: `v${version.version} went on`,
        data: version.completed,
        backgroundColor: colour,
        stack,
      },
      {
        label: `v${version.version} in progress`,
        data: version.inProgress,
        backgroundColor: `${colour}99`,
        stack,
      },
      {
        label: `v${version.version} dropped off`,
        data: version.reached.map((reached, step) =>
          reached === null ? null : reached - version.completed[step] - version.inProgress[step],
        ),
        backgroundColor: `${colour}33`,
        stack,
      },
    ];
  });
  const reachedOf = (item) =>
    funnel.versions[Math.floor(item.datasetIndex / 3)].reached[item.dataIndex];
  new Chart(canvas, {
    type: 'bar',
    data: { labels: funnel.steps, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: { precision: 0 },
          title: { display: true, text: 'Runs reaching the step' },
        },
      },
      plugins: {
        tooltip: { callbacks: { footer: (items) => `Reached: ${reachedOf(items[0])}` } },
      },
    },
  });
})();
