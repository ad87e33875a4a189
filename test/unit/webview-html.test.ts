// The schema panel's HTML shell: a strict Content-Security-Policy and the element ids the e2e suite targets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, renderPanelHtml } from '../../webview/page-html';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';
const html = renderPanelHtml({
  cspSource: CSP_SOURCE,
  nonce: 'n0nce42',
  scriptUri: `${CSP_SOURCE}/ext/dist/webview.js`,
  styleUri: `${CSP_SOURCE}/ext/media/webview.css`,
  title: 'Schema conversion — <b>"x"</b>',
  taskFile: 'file:///work/.ferry/a%22b.json',
});

function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
}

describe('panel HTML', () => {
  it('sets a CSP that allows only the nonce script and the extension\'s own styles, fonts and images', () => {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    assert.ok(meta, 'the page has a CSP meta tag');
    const csp = directives(meta[1].replace(/&#39;/g, "'"));
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual(csp.get('script-src'), ["'nonce-n0nce42'"]);
    assert.deepEqual(csp.get('style-src'), [CSP_SOURCE, "'nonce-n0nce42'"]);
    assert.deepEqual(csp.get('font-src'), [CSP_SOURCE]);
    assert.deepEqual(csp.get('img-src'), [CSP_SOURCE, 'data:']);
    assert.equal(/unsafe-(inline|eval)/.test(meta[1]), false);
  });

  it('loads exactly one script, the bundle, with the nonce, and no inline script or remote content', () => {
    const scripts = html.match(/<script[^>]*>[\s\S]*?<\/script>/g) ?? [];
    assert.deepEqual(scripts, [`<script nonce="n0nce42" src="${CSP_SOURCE}/ext/dist/webview.js"></script>`]);
    assert.equal(/\son[a-z]+=/i.test(html), false, 'no inline event handlers');
    assert.equal(/\sstyle=/i.test(html), false, 'no inline style attributes');
    const urls = html.match(/(?:src|href)="([^"]*)"/g) ?? [];
    assert.ok(urls.every((u) => u.includes(CSP_SOURCE)), urls.join(' '));
  });

  it('names the task file on the body, escaped, for the page state that restores the panel', () => {
    assert.match(html, /<body data-task-file="file:\/\/\/work\/\.ferry\/a%22b\.json">/);
    const hostile = renderPanelHtml({ cspSource: CSP_SOURCE, nonce: 'n', scriptUri: 's', styleUri: 'c', title: 't', taskFile: 'file:///x/"><script>1</script>.json' });
    assert.ok(!hostile.includes('"><script>1'), 'the attribute cannot be closed from the file name');
  });

  it('escapes the title', () => {
    assert.ok(html.includes('<title>Schema conversion — &lt;b&gt;&quot;x&quot;&lt;/b&gt;</title>'));
    assert.equal(html.includes('<b>'), false);
  });

  it('has the ids the e2e suite targets, each once, with accessible labels on the controls', () => {
    for (const id of ['target-ddl', 'validate', 'save', 'apply', 'revert', 'validation-result', 'warnings', 'search', 'object-list', 'filter', 'source-ddl']) {
      assert.equal(html.split(`id="${id}"`).length - 1, 1, `#${id}`);
    }
    for (const id of ['validate', 'save', 'apply', 'revert', 'search', 'filter', 'reload']) {
      assert.match(html, new RegExp(`id="${id}"[^>]*aria-label="[^"]+"`), `#${id} has an aria-label`);
    }
    assert.match(html, /<textarea id="target-ddl"[^>]*aria-labelledby="target-title"/);
  });

  it('renders the same policy as contentSecurityPolicy', () => {
    assert.ok(html.includes(contentSecurityPolicy(CSP_SOURCE, 'n0nce42').replace(/'/g, '&#39;')));
  });
});
