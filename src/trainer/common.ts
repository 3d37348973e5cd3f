// Renamed to pythonEnv.ts (issue 26); kept for test/fixtures/tinyModel.ts until the lead updates its import.
export * from './pythonEnv';
