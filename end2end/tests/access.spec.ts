import AxeBuilder from "@axe-core/playwright";
import { Page } from "@playwright/test";
import { test, expect, hydrated } from "./fixtures";

// Issue 16: buying works without JavaScript and by keyboard alone; every page passes
// axe-core with nothing serious or critical and never scrolls sideways on a phone (390 px)
// or a laptop (1280 px). These tests buy only "Standard" of the demo's Rust Nation Meetup.

const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

async function registerBuyer(page: Page, name: string, js = true) {
  await page.goto("/register?next=/");
  if (js) await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(unique("access"));
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("link", { name })).toBeVisible();
}

/** Serious and critical axe-core findings on the page as it is now. */
async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  expect(results.passes.length, "axe-core ran its rules").toBeGreaterThan(0);
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** How far the page is wider than the window (0 when it does not scroll sideways), with
 *  the elements that stick out, so a failure says what to fix. */
async function sidewaysOverflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const over = document.documentElement.scrollWidth - width;
    // Elements inside a scrolling box (a table's wrapper) do not widen the page.
    const clipped = (el: Element) => {
      for (let up = el.parentElement; up; up = up.parentElement) {
        if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(up).overflowX)) return true;
      }
      return false;
    };
    const culprits = over <= 0 ? [] : Array.from(document.querySelectorAll("body *"))
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !clipped(el))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().right)} px`);
    return { over, culprits };
  });
}

/** Checks the page at `path` for accessibility and sideways scrolling at both widths. */
async function checkPage(page: Page, path: string, heading: string | RegExp) {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await hydrated(page);
    const { over, culprits } = await sidewaysOverflow(page);
    expect(over, `${path} at ${width} px scrolls sideways: ${culprits.join("; ")}`).toBeLessThanOrEqual(0);
    if (width === 1280) {
      expect(await seriousViolations(page), `${path}: axe-core`).toEqual([]);
    }
  }
}

/** Presses Tab until the focused element's name is (or starts with) `name`; fails after 80. */
async function tabTo(page: Page, name: string) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? (el.getAttribute("aria-label") ?? el.innerText ?? "").trim() : "";
    });
    if (focused === name || focused.startsWith(name)) return;
  }
  throw new Error(`Tab never reached “${name}”`);
}

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a buyer registers, chooses tickets, pays and sees them, all without JavaScript", async ({ page }) => {
    await registerBuyer(page, "Nora Noscript", false);
    await page.getByRole("link", { name: /Rust Nation Meetup/ }).click();
    await expect(page.getByRole("heading", { level: 1, name: /Rust Nation Meetup/ })).toBeVisible();
    const standard = page.getByRole("listitem").filter({ hasText: "Standard" });
    await expect(standard.getByText("Up to 10 per order")).toBeVisible();

    // Nothing chosen: the server says so, and the page keeps working.
    await page.getByRole("button", { name: "Buy tickets" }).click();
    await expect(page.getByRole("alert")).toHaveText("Choose at least one ticket.");

    await page.getByLabel("Standard quantity").fill("2");
    await page.getByRole("button", { name: "Buy tickets" }).click();
    await expect(page).toHaveURL(/\/pay\/demo\/[0-9a-f]{32}\?key=[0-9a-f]{64}$/);
    await page.getByRole("button", { name: "Pay £30.00" }).click();
    await expect(page).toHaveURL(/\/orders\/[0-9a-f]{32}(\?key=[0-9a-f]{64})?$/);
    await expect(page.getByText("Your tickets are below")).toBeVisible();
    await expect(page.getByRole("img", { name: /QR code of ticket T-/ })).toHaveCount(2);
  });
});

test("a buyer chooses, buys and pays with the keyboard alone", async ({ page }) => {
  await registerBuyer(page, "Kim Keyboard");
  await page.goto("/");
  await hydrated(page);
  await tabTo(page, "Rust Nation Meetup: Async in Production");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: /Rust Nation Meetup/ })).toBeVisible();
  await hydrated(page);
  await tabTo(page, "Add one Standard");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("ticket-total")).toHaveText("£30.00");
  await tabTo(page, "Buy tickets");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/pay\/demo\//);
  await hydrated(page);
  await tabTo(page, "Pay £30.00");
  await page.keyboard.press("Enter");
  await expect(page.getByText("Your tickets are below")).toBeVisible();
});

test("a buyer's pages pass axe-core and never scroll sideways", async ({ page }) => {
  test.setTimeout(120_000);
  await checkPage(page, "/", "Find your next night out");
  await checkPage(page, "/register", "Create your account");
  await checkPage(page, "/login", "Sign in");
  await registerBuyer(page, "Ada Access");
  await page.getByRole("link", { name: /Rust Nation Meetup/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: /Rust Nation Meetup/ })).toBeVisible();
  const event = new URL(page.url()).pathname;
  await checkPage(page, event, /Rust Nation Meetup/);
  await hydrated(page);
  await page.getByRole("button", { name: "Add one Standard" }).click();
  await page.getByRole("button", { name: "Buy tickets" }).click();
  await expect(page).toHaveURL(/\/pay\/demo\//);
  const payment = new URL(page.url()).pathname;
  await checkPage(page, payment, /Pay £15.00/);
  await page.getByRole("button", { name: "Pay £15.00" }).click();
  await expect(page.getByText("Your tickets are below")).toBeVisible();
  const order = new URL(page.url()).pathname;
  await checkPage(page, order, /Rust Nation Meetup|Order/);
  await checkPage(page, "/tickets", "My tickets");
});

test("an organizer's pages pass axe-core and never scroll sideways", async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto("/login?next=/dashboard");
  await hydrated(page);
  await page.getByLabel("Email").fill("organizer@demo.tickex.test");
  await page.getByLabel("Password").fill("tickex-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await checkPage(page, "/dashboard", "Dashboard");
  await checkPage(page, "/dashboard/events/new", "Create an event");
  await page.goto("/dashboard");
  await page.getByRole("link", { name: "Orders of Berlin Jazz Nights" }).click();
  await expect(page).toHaveURL(/\/dashboard\/events\/[^/]+\/orders$/);
  const orders = new URL(page.url()).pathname;
  await checkPage(page, orders, /Berlin Jazz Nights/);
  // The door: drawn by the scanner's own script once the event's list is in.
  await checkPage(page, orders.replace(/^\/dashboard\/events\/([^/]+)\/orders$/, "/checkin/$1"), "Check-in: Berlin Jazz Nights");
});
