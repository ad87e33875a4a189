// Scenario: New Connection for MariaDB and for PostgreSQL through the palette, the password typed in the
// input box; the test reports the server version; the tree expands to databases and tables.
import { answerConnectionForm } from '../lib/ferry-ui';
import { expect, type Scenario } from '../lib/scenario';

export const newConnections: Scenario = {
  name: 'New Connection for MariaDB and PostgreSQL: the test reports the server version and the tree expands to databases and tables',
  dir: '02-new-connections',
  timeoutMs: 150_000,
  async run({ wb, mysql, pg, sourceDb, targetDb, names }) {
    await wb.clickActivity('Ferry');
    await wb.clearNotifications();

    // MariaDB, through the palette.
    await wb.runCommand('Ferry: New Connection');
    await wb.screenshot('mariadb-engine-question');
    await answerConnectionForm(wb, { engine: 'MySQL / MariaDB', name: names.mysqlConnection, server: mysql, database: sourceDb, password: mysql.password });
    const mariaOk = await wb.waitForNotification(new RegExp(`${names.mysqlConnection} connected`), { timeout: 60_000, failure: /Ferry \(.*\): /i });
    expect(/\d+\.\d+\.\d+-MariaDB/.test(mariaOk.text), `the MariaDB test names no server version: "${mariaOk.text}"`);
    await wb.screenshot('mariadb-connected-with-version');

    // PostgreSQL, through the palette.
    await wb.clearNotifications();
    await wb.runCommand('Ferry: New Connection');
    await answerConnectionForm(wb, { engine: 'PostgreSQL', name: names.pgConnection, server: pg, database: 'postgres', password: pg.password });
    const pgOk = await wb.waitForNotification(new RegExp(`${names.pgConnection} connected`), { timeout: 60_000, failure: /Ferry \(.*\): /i });
    expect(/PostgreSQL 15\.\d+/.test(pgOk.text), `the PostgreSQL test names no server version: "${pgOk.text}"`);
    await wb.screenshot('postgres-connected-with-version');

    // Both connections are in the tree; "Test Connection" from the context menu reports the version again.
    const rows = await wb.treeRows('Connections');
    expect(rows.some((r) => r.startsWith(names.mysqlConnection) && r.includes(`${mysql.user}@${mysql.host}:${mysql.port}`)),
      `the Connections view does not show ${names.mysqlConnection} with its server: ${rows.join(' | ')}`);
    expect(rows.some((r) => r.startsWith(names.pgConnection) && r.includes(`${pg.user}@${pg.host}:${pg.port}`)),
      `the Connections view does not show ${names.pgConnection} with its server: ${rows.join(' | ')}`);
    await wb.clearNotifications();
    await wb.contextMenu('Connections', names.mysqlConnection, 'Test Connection');
    const again = await wb.waitForNotification(new RegExp(`${names.mysqlConnection} connected`), { timeout: 60_000, failure: /Ferry \(.*\): /i });
    expect(/MariaDB/.test(again.text), `Test Connection from the tree names no version: "${again.text}"`);
    await wb.screenshot('test-connection-from-context-menu');

    // MariaDB expands to its databases, the Sakila database to its tables.
    await wb.expand('Connections', names.mysqlConnection);
    await wb.expand('Connections', sourceDb);
    for (const t of ['actor', 'film', 'payment', 'rental']) {
      const text = await wb.treeRowText('Connections', new RegExp(`^\\s*${t}$`));
      expect(/~[\d,]+ rows/.test(text), `the ${sourceDb} database shows table ${t} as "${text}", without its rows`);
    }
    await wb.waitForTreeRow('Connections', /^\s*actor$/);
    await wb.screenshot('mariadb-tree-databases-and-tables');

    // PostgreSQL expands to its databases, including the empty target.
    await wb.collapse('Connections', names.mysqlConnection);
    await wb.expand('Connections', names.pgConnection);
    await wb.waitForTreeRow('Connections', targetDb);
    await wb.screenshot('postgres-tree-databases');
  },
};
