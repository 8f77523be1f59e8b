import { test as base, expect, Page } from "@playwright/test";

/** Fails the test on any uncaught page error (a dead wasm bundle would show up here). */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    const record = (text: string) => {
      errors.push(`${page.url()}: ${text}`);
      // Printed again at the very end of the run (console-errors-reporter.ts), where a
      // truncated CI log still shows it.
      testInfo.annotations.push({ type: "console error", description: `${page.url()}: ${text}` });
    };
    page.on("pageerror", (error) => record(error.stack ?? error.message));
    page.on("console", (message) => {
      // A 404 page load is logged as a failed resource; the hydration check covers assets.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        record(message.text());
      }
    });
    await use(page);
    expect(errors, "errors in the browser console").toEqual([]);
  },
});

export { expect };

/** Waits until the WebAssembly bundle has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
}
