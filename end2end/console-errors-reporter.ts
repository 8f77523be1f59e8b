import type { Reporter, TestCase, TestResult } from "@playwright/test/reporter";

/** Repeats the browser console errors of failed tests as the last lines of the run. */
export default class ConsoleErrorsReporter implements Reporter {
  private lines: string[] = [];

  onTestEnd(test: TestCase, result: TestResult) {
    if (result.status === "passed") return;
    for (const note of test.annotations.filter((a) => a.type === "console error")) {
      this.lines.push(`${test.title}: ${note.description}`);
    }
  }

  onEnd() {
    if (this.lines.length === 0) return;
    console.log("\nBrowser console errors of failed tests:");
    for (const line of this.lines) console.log(`  ${line.slice(0, 600)}`);
  }
}
