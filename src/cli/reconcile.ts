import { withDatabase } from './database-url.js';
import { reconcile } from '../db/reconciliation.js';

/** `npm run reconcile`: exit 0 when positions and cash equal the fold of all trades, 1 otherwise. */
const report = await withDatabase((prisma) => reconcile(prisma));
console.log(`${report.portfolios} portfolios, ${report.trades} trades: ${report.ok ? 'reconciled, no difference' : 'DIFFERENCES FOUND'}`);
for (const p of report.problems) console.log(`  ${p}`);
process.exit(report.ok ? 0 : 1);
