/** Text as Handlebars escaped it (`&amp;`, `&lt;`, `&#x3D;`…), back as it was. */
export function unescapeHtml(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return named[name] ?? entity;
  });
}

/** A dashboard table cell, as its `data-` attributes name it. */
export interface DashboardCell {
  version: number;
  step: string;
  metric: string;
  /** The exact number (`data-value`; '' for none), and the text shown. */
  value: string;
  text: string;
}

/** Every step cell of a dashboard page's tables. */
export function dashboardCells(html: string): DashboardCell[] {
  const cells = html.matchAll(
    /<td data-version="(\d+)" data-step="([^"]*)" data-metric="([^"]*)" data-value="([^"]*)">([^<]*)<\/td>/g,
  );
  return [...cells].map(([, version, step, metric, value, text]) => ({
    version: Number(version),
    step: unescapeHtml(step as string),
    metric: metric as string,
    value: value as string,
    text: unescapeHtml(text as string),
  }));
}

/** One version's numbers for one metric, by step: `{ credentials: 4, … }`. */
export function metricByStep(cells: DashboardCell[], version: number, metric: string) {
  return Object.fromEntries(
    cells
      .filter((cell) => cell.version === version && cell.metric === metric)
      .map((cell) => [cell.step, cell.value === '' ? null : Number(cell.value)]),
  );
}
