// The scenarios in the order a user meets them; later ones build on what earlier ones created.
import type { Scenario } from '../lib/scenario';
import { firstStart } from './first-start';
import { newConnections } from './new-connections';
import { newTask } from './new-task';
import { schemaConversion } from './schema-conversion';
import { startVerifyCutover } from './start-verify-cutover';
import { wrongPassword } from './wrong-password';

export const scenarios: Scenario[] = [
  firstStart,
  newConnections,
  newTask,
  schemaConversion,
  startVerifyCutover,
  wrongPassword,
];
