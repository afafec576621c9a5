import { formatResultsTable, readResults, resetResults } from './results.js';

/** Empties the results file before the suite and prints the duration table after it. */
export default function setup(): () => void {
  resetResults();
  return () => {
    const results = readResults();
    if (results.length > 0) process.stdout.write(`\nfault suite runs:\n${formatResultsTable(results)}\n`);
  };
}
