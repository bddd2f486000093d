#!/usr/bin/env node
// Entry for `npx maillage <command>`: the TypeScript sources run through tsx, so
// there is no build step between `npm ci` and a working command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
const code = await main(process.argv.slice(2));
// Every command has finished its work here (`start` returns after a clean shutdown): exit
// even if a library left a handle open.
process.exit(code);
