// `maillage geocode "<text>" [--json]`: the offline gazetteer, from the command line.
import { geocode } from '../geo/index.js';

export async function run(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const text = args.filter((a) => a !== '--json').join(' ').trim();
  if (!text) {
    process.stderr.write('Usage: maillage geocode "<text with a commune or postcode>" [--json]\n');
    return 2;
  }
  const result = geocode(text);
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result) {
    process.stdout.write(`${result.commune} (${result.departement}) ${result.postcode ?? ''} — INSEE ${result.communeCode}, ${result.lat.toFixed(4)}, ${result.lon.toFixed(4)}\n`);
  } else {
    process.stdout.write('No commune found.\n');
  }
  return result ? 0 : 1;
}
