// The schema panel's HTML shell: strict CSP, nonce'd bundle, the static layout main.ts fills in (pure).
import { escapeHtml } from './ddl-diff';

export interface PanelHtmlInputs {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh random nonce per render. */
  nonce: string;
  /** `asWebviewUri` of dist/webview.js and media/webview.css. */
  scriptUri: string;
  styleUri: string;
  title: string;
  /** The task file's URI, kept in the page state so that VS Code can restore the panel after a reload. */
  taskFile: string;
}

/** The Content-Security-Policy: nothing but the nonce'd script, the extension's own css/fonts/images. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // The toolkit (FAST) styles its components with constructable stylesheets; its one probe <style> element
    // carries the nonce (read from <meta property="csp-nonce">). Style attributes stay blocked.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

export function renderPanelHtml(p: PanelHtmlInputs): string {
  const a = (s: string) => escapeHtml(s);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(contentSecurityPolicy(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${a(p.nonce)}">
<link rel="stylesheet" href="${a(p.styleUri)}" nonce="${a(p.nonce)}">
<title>${a(p.title)}</title>
</head>
<body data-task-file="${a(p.taskFile)}">
<header class="toolbar" role="toolbar" aria-label="Schema conversion">
  <h1 id="title">${a(p.title)}</h1>
  <span id="summary" class="summary" aria-live="polite"></span>
  <span class="spacer"></span>
  <vscode-progress-ring id="busy" aria-label="Working" hidden></vscode-progress-ring>
  <span id="busy-text" class="busy-text" aria-live="polite"></span>
  <vscode-button id="reload" appearance="secondary" aria-label="Convert the schema again from the source">Reconvert</vscode-button>
  <vscode-button id="open-task" appearance="secondary" aria-label="Open the task file">Task file</vscode-button>
  <vscode-button id="save" aria-label="Save overrides to the task file (Ctrl+S)" disabled>Save</vscode-button>
  <vscode-button id="apply" aria-label="Apply the schema with the overrides to the target">Apply to target</vscode-button>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<main class="layout">
  <nav class="sidebar" aria-label="Converted objects">
    <vscode-text-field id="search" placeholder="Search objects" aria-label="Search objects by name, kind or warning code"></vscode-text-field>
    <vscode-dropdown id="filter" aria-label="Show objects">
      <vscode-option value="all">All objects</vscode-option>
      <vscode-option value="warnings">With warnings</vscode-option>
      <vscode-option value="manual">Needing manual conversion</vscode-option>
      <vscode-option value="overridden">Overridden</vscode-option>
      <vscode-option value="edited">Unsaved edits</vscode-option>
      <vscode-option value="failed">Failed on apply</vscode-option>
    </vscode-dropdown>
    <div id="object-list" class="object-list" role="listbox" tabindex="0" aria-label="Objects, grouped by kind"></div>
    <div id="orphans" class="orphans" hidden></div>
  </nav>
  <section class="detail" aria-label="Selected object">
    <div id="empty" class="empty">Converting the schema…</div>
    <div id="object" hidden>
      <div class="detail-header">
        <h2 id="object-title"></h2>
        <span id="object-tags" class="tags"></span>
        <span class="spacer"></span>
        <vscode-button id="validate" aria-label="Validate the converted DDL against the target without changing it (Ctrl+Enter)">Validate</vscode-button>
        <vscode-button id="revert" appearance="secondary" aria-label="Revert to the generated DDL">Revert to generated</vscode-button>
      </div>
      <div id="validation-result" class="validation" role="status" aria-live="polite"></div>
      <div id="apply-result" class="validation" role="status" hidden></div>
      <div class="panes">
        <div class="pane">
          <div class="pane-title" id="source-title">Source</div>
          <pre id="source-ddl" class="code" tabindex="0" aria-labelledby="source-title"></pre>
        </div>
        <div class="pane">
          <div class="pane-title" id="target-title">Converted (editable)</div>
          <div class="code-stack">
            <pre id="target-highlight" class="code" aria-hidden="true"></pre>
            <textarea id="target-ddl" class="code" spellcheck="false" autocapitalize="off" autocomplete="off" wrap="off"
              aria-labelledby="target-title" aria-describedby="edit-help"></textarea>
          </div>
          <div id="edit-help" class="help">Edits become an override of the generated DDL. Esc restores the saved text, Ctrl+S saves.</div>
        </div>
      </div>
      <vscode-panels id="detail-tabs" aria-label="Object details">
        <vscode-panel-tab id="tab-warnings">Warnings <vscode-badge id="warning-count">0</vscode-badge></vscode-panel-tab>
        <vscode-panel-tab id="tab-override">Override vs generated</vscode-panel-tab>
        <vscode-panel-tab id="tab-depends">Depends on</vscode-panel-tab>
        <vscode-panel-view id="view-warnings"><ul id="warnings" class="warnings" aria-label="Warnings of this object"></ul></vscode-panel-view>
        <vscode-panel-view id="view-override"><pre id="override-diff" class="code diff" tabindex="0" aria-label="Differences between the override and the generated DDL"></pre></vscode-panel-view>
        <vscode-panel-view id="view-depends"><ul id="depends-on" class="depends" aria-label="Objects this one needs first"></ul></vscode-panel-view>
      </vscode-panels>
    </div>
  </section>
</main>
<script nonce="${a(p.nonce)}" src="${a(p.scriptUri)}"></script>
</body>
</html>
`;
}
