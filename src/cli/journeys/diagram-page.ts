import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A self-contained HTML page drawing a Mermaid diagram: mermaid's browser build is inlined, so the
 * page works offline and from a file. Sequences that would end the inline script are broken up.
 */
export async function diagramHtml(title: string, diagram: string): Promise<string> {
  const script = await readFile(
    createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'),
    'utf8',
  );
  const inline = script.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body { font-family: system-ui, sans-serif; margin: 2rem; } h1 { font-size: 1.25rem; }</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<pre class="mermaid">
${escapeHtml(diagram)}
</pre>
<script>${inline}</script>
<script>mermaid.initialize({ startOnLoad: true, securityLevel: 'strict' });</script>
</body>
</html>
`;
}

/** The browser the SVG is rendered in: Debian's Chromium (`apt-get install chromium`) by default. */
export const chromiumPath = () => process.env.PARCOURS_CHROMIUM ?? '/usr/bin/chromium';

/** How headless Chromium is started here (diagrams, and the browser tests): no sandbox, no GPU, no network of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Renders the page in headless Chromium and returns the SVG mermaid drew there. */
export async function renderSvg(html: string): Promise<string> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.setContent(html);
    const svg = page.locator('pre.mermaid svg');
    await svg.waitFor({ timeout: 20_000 });
    return await svg.evaluate((node) => node.outerHTML);
  } finally {
    await browser.close();
  }
}
