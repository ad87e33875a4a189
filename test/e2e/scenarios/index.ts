// The scenarios in the order a user meets them; later ones build on what earlier ones created.
import type { Scenario } from '../lib/scenario';
import { firstStart } from './first-start';

export const scenarios: Scenario[] = [
  firstStart,
];
