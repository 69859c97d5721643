// Unit tests sit beside their source (src, *.test.ts); integration tests live in test/.
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  testMatch: ["<rootDir>/src/**/*.test.ts", "<rootDir>/test/integration/**/*.test.ts", "<rootDir>/test/browser/**/*.test.ts"],
  // browser tests need Chromium: `pnpm test:pages`
  testPathIgnorePatterns: process.env.ERT_STORAGE_PAGES ? [] : ["/test/browser/"],
  globalSetup: "<rootDir>/test/globalSetup.ts",
  globalTeardown: "<rootDir>/test/globalTeardown.ts",
  testTimeout: 120000,
  maxWorkers: 2,
};
