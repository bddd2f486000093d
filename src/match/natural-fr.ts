// The three French pieces of `natural` we use, loaded by file path.
// Why not `import natural from 'natural'`: its index module pulls in dotenv (which prints to
// stdout), mongoose, pg and redis clients. The per-file modules below load none of that.
// Why createRequire: they are CommonJS files without an `exports` map, so ESM deep imports would
// need the `.js` extension and carry no types; require() resolves them and we type them here.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface FrenchStemmer {
  stem(token: string): string;
}

interface Tokenizer {
  tokenize(text: string): string[];
}

const stemmer = require('natural/lib/natural/stemmers/porter_stemmer_fr') as FrenchStemmer;
const TokenizerClass = require('natural/lib/natural/tokenizers/aggressive_tokenizer_fr') as new () => Tokenizer;
const stopwordsModule = require('natural/lib/natural/util/stopwords_fr') as { words: string[] };

const tokenizer = new TokenizerClass();

/** natural's French Porter (Snowball) stemmer; expects a lower-case word with its accents. */
export function stemFrench(word: string): string {
  return stemmer.stem(word);
}

/** natural's aggressive French tokenizer: splits on anything that is not a (French) word character. */
export function tokenizeFrench(text: string): string[] {
  return tokenizer.tokenize(text);
}

/** natural's French stopword list (lower case, with accents). */
export const NATURAL_FRENCH_STOPWORDS: readonly string[] = stopwordsModule.words;
