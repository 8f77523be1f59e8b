import { defineConfig } from "@playwright/test";
import { execSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { port, resendDoublePort, resendPort, resendWebhookSecret } from "./e2e-ports";

// Debian's chromium: Playwright's own browser download cannot work here.
const chromium = execSync("command -v chromium", { shell: "/bin/bash" }).toString().trim();
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/tickex-target");
const dataDir = path.join(os.tmpdir(), `tickex-e2e-${process.pid}`);
const server = `${path.join(targetDir, "server/tickex")} serve`;
const common = {
  TICKEX_DATABASE_URL: "mem://",
  TICKEX_DEMO: "true",
  // Every test signs up from 127.0.0.1; the limit itself is tested in tests/integration.
  TICKEX_ACCOUNT_REQUESTS_PER_ADDRESS: "1000",
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"], ["./console-errors-reporter.ts"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
      // The release build that `make run` uses, on a fresh in-memory database with demo data.
      command: server,
      cwd: "..",
      url: `http://127.0.0.1:${port}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ...common,
        TICKEX_LISTEN_ADDR: `127.0.0.1:${port}`,
        TICKEX_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        TICKEX_DATA_DIR: dataDir,
      },
    },
    {
      command: "node resend-double.mjs",
      url: `http://127.0.0.1:${resendDoublePort}/sent`,
      reuseExistingServer: false,
      timeout: 10_000,
      env: { RESEND_DOUBLE_PORT: String(resendDoublePort) },
    },
    {
      command: server,
      cwd: "..",
      url: `http://127.0.0.1:${resendPort}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ...common,
        TICKEX_LISTEN_ADDR: `127.0.0.1:${resendPort}`,
        TICKEX_PUBLIC_BASE_URL: `http://127.0.0.1:${resendPort}`,
        TICKEX_DATA_DIR: `${dataDir}-resend`,
        TICKEX_RESEND_API_KEY: "re_e2e_key",
        TICKEX_RESEND_API_BASE: `http://127.0.0.1:${resendDoublePort}`,
        TICKEX_RESEND_WEBHOOK_SECRET: resendWebhookSecret,
        TICKEX_OUTBOX_INTERVAL_SECS: "1",
      },
    },
  ],
});
