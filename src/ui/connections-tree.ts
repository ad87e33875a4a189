// The Connections view: saved connections, expanding lazily to databases and (schemas and) tables.
import * as vscode from 'vscode';
import type { ConnectionTestResult, TableInfo } from '../engine/api';
import { asFerryError } from '../engine/errors';
import { type ConnectionProfile, type ConnectionStore, profileServer } from './connections';
import type { EngineApi } from './engine-api';

export type ConnectionNode =
  | { kind: 'connection'; profile: ConnectionProfile }
  | { kind: 'database'; profile: ConnectionProfile; database: string }
  | { kind: 'schema'; profile: ConnectionProfile; database: string; schema: string; tables: TableInfo[] }
  | { kind: 'table'; profile: ConnectionProfile; database: string; table: TableInfo }
  | { kind: 'message'; profile: ConnectionProfile; text: string; error?: { code: string; fix?: string } };

const ENGINE_LABEL = { mysql: 'MySQL/MariaDB', postgres: 'PostgreSQL' } as const;

export class ConnectionsTreeProvider implements vscode.TreeDataProvider<ConnectionNode> {
  private readonly emitter = new vscode.EventEmitter<ConnectionNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** Server versions from the last successful test, shown beside the connection. */
  private readonly versions = new Map<string, string>();

  constructor(private readonly store: ConnectionStore, private readonly engine: EngineApi) {
    store.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  noteTest(profileId: string, result: ConnectionTestResult): void {
    this.versions.set(profileId, result.version);
    this.refresh();
  }

  getTreeItem(node: ConnectionNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'connection': {
        const p = node.profile;
        const item = new vscode.TreeItem(p.name, C.Collapsed);
        item.id = `connection:${p.id}`;
        const version = this.versions.get(p.id);
        item.description = `${profileServer(p)}/${p.database}${version ? ` · ${version}` : ''}`;
        item.tooltip = new vscode.MarkdownString(
          `**${escapeMd(p.name)}**\n\n${ENGINE_LABEL[p.engine]} \`${escapeMd(profileServer(p))}\`, database \`${escapeMd(p.database)}\`\n\n`
          + `TLS: ${p.tls}${p.caFile ? ` (CA ${escapeMd(p.caFile)})` : ''}${version ? `\n\nServer: ${escapeMd(version)}` : ''}`);
        item.iconPath = new vscode.ThemeIcon(p.engine === 'postgres' ? 'database' : 'server');
        item.contextValue = 'connection';
        return item;
      }
      case 'database': {
        const item = new vscode.TreeItem(node.database, C.Collapsed);
        item.id = `connection:${node.profile.id}/db:${node.database}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = 'database';
        if (node.database === node.profile.database) item.description = 'default';
        return item;
      }
      case 'schema': {
        const item = new vscode.TreeItem(node.schema, C.Collapsed);
        item.id = `connection:${node.profile.id}/db:${node.database}/schema:${node.schema}`;
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.description = `${node.tables.length} table${node.tables.length === 1 ? '' : 's'}`;
        item.contextValue = 'schema';
        return item;
      }
      case 'table': {
        const item = new vscode.TreeItem(node.table.name, C.None);
        item.id = `connection:${node.profile.id}/db:${node.database}/table:${node.table.schema}.${node.table.name}`;
        item.iconPath = new vscode.ThemeIcon('table');
        item.description = `~${node.table.estimatedRows.toLocaleString('en-US')} rows`;
        item.tooltip = `${node.table.schema}.${node.table.name} — about ${node.table.estimatedRows.toLocaleString('en-US')} rows (server estimate)`;
        item.contextValue = 'table';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, C.None);
        item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'info');
        if (node.error) {
          item.tooltip = node.error.fix ? `${node.text}\n\nFix: ${node.error.fix}` : node.text;
          item.contextValue = node.error.code === 'AUTH_FAILED' || node.error.code === 'NO_PASSWORD' ? 'connectionAuthError' : 'connectionError';
          if (item.contextValue === 'connectionAuthError') {
            item.command = { command: 'ferry.updatePassword', title: 'Update Password', arguments: [{ kind: 'connection', profile: node.profile }] };
          }
        }
        return item;
      }
    }
  }

  async getChildren(node?: ConnectionNode): Promise<ConnectionNode[]> {
    if (!node) return this.store.list().map((profile) => ({ kind: 'connection', profile }));
    try {
      switch (node.kind) {
        case 'connection': {
          const cfg = await this.store.config(node.profile);
          if (cfg.password === undefined) {
            return [{ kind: 'message', profile: node.profile, text: 'No password stored — click to set it', error: { code: 'NO_PASSWORD' } }];
          }
          const dbs = await this.engine.listDatabases(cfg);
          if (dbs.length === 0) return [{ kind: 'message', profile: node.profile, text: 'No databases visible to this user' }];
          return dbs.map((database) => ({ kind: 'database', profile: node.profile, database }));
        }
        case 'database': {
          const cfg = await this.store.config(node.profile, node.database);
          const tables = await this.engine.listTables(cfg, node.database);
          return tableNodes(node.profile, node.database, tables);
        }
        case 'schema':
          return node.tables.map((table) => ({ kind: 'table', profile: node.profile, database: node.database, table }));
        default:
          return [];
      }
    } catch (err) {
      const e = asFerryError(err);
      return [{ kind: 'message', profile: node.profile, text: e.message, error: { code: e.code, fix: e.fix } }];
    }
  }
}

/**
 * Tables of one database: directly under it when they all live in one schema (always so for MySQL),
 * grouped by schema otherwise (PostgreSQL databases with several schemas).
 */
export function tableNodes(profile: ConnectionProfile, database: string, tables: TableInfo[]): ConnectionNode[] {
  if (tables.length === 0) return [{ kind: 'message', profile, text: 'No tables' }];
  const schemas = [...new Set(tables.map((t) => t.schema))].sort();
  const byName = (a: TableInfo, b: TableInfo) => a.name.localeCompare(b.name);
  if (schemas.length === 1) return [...tables].sort(byName).map((table) => ({ kind: 'table', profile, database, table }));
  return schemas.map((schema) => ({ kind: 'schema', profile, database, schema, tables: tables.filter((t) => t.schema === schema).sort(byName) }));
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
