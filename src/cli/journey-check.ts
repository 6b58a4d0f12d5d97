// `npm run journeys:check [-- path/to/journeys.ts]`: `parcours journeys check`, under the name the
// docs and CI know.
process.argv.splice(2, 0, 'journeys', 'check');
const { main } = await import('./parcours.js');
await main();
