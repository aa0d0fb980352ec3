import { loadDotEnvOrExit } from '../config/dotenv.js';
import { withDatabase } from './database-url.js';
import { reconcile } from '../db/reconciliation.js';

loadDotEnvOrExit();

/** `npm run reconcile`: exit 0 when positions and cash equal the fold of all trades, 1 otherwise. */
try {
  const report = await withDatabase((prisma) => reconcile(prisma));
  console.log(`${report.portfolios} portfolios, ${report.trades} trades: ${report.ok ? 'reconciled, no difference' : 'DIFFERENCES FOUND'}`);
  for (const p of report.problems) console.log(`  ${p}`);
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  // One line a user can act on (the database is not reachable, the data directory is odd...).
  console.error(`reconcile could not run: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
