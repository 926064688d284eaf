/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

// swc strips types only; `npm test` runs `tsc` first, so type errors still fail the suite.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/engine', '<rootDir>/tools', '<rootDir>/traces'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  testTimeout: 60000,
};

export default config;
