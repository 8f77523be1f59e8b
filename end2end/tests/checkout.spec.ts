import { test, expect, hydrated } from "./fixtures";

const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

// Only this test buys "VIP table" (10 seats) of the demo's Berlin Jazz Nights.
test("a customer buys two tickets in test mode, sees them with QR codes, and a cancelled payment returns its seat", async ({ page }) => {
  await page.goto("/register?next=/");
  await hydrated(page);
  await page.getByLabel("Name").fill("Bea Buyer");
  await page.getByLabel("Email").fill(unique("buyer"));
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("link", { name: "Bea Buyer" })).toBeVisible();

  await page.getByRole("link", { name: /Berlin Jazz Nights/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Berlin Jazz Nights" })).toBeVisible();
  const vip = page.getByRole("listitem").filter({ hasText: "VIP table" });
  await expect(vip.getByText("Only 10 left")).toBeVisible();
  await expect(page.getByText("Test mode: payments go to a demo page")).toBeVisible();

  await page.getByRole("button", { name: "Add one VIP table" }).click();
  await page.getByRole("button", { name: "Add one VIP table" }).click();
  await expect(page.getByTestId("ticket-total")).toHaveText("€150.00");
  await page.getByRole("button", { name: "Buy tickets" }).click();

  // The demo gateway's page, clearly marked, drives the same fulfilment as Stripe's webhook.
  await expect(page).toHaveURL(/\/pay\/demo\/[0-9a-f]{32}\?key=[0-9a-f]{64}$/);
  await expect(page.getByRole("note")).toContainText("Test mode");
  await expect(page.getByRole("heading", { name: "Pay €150.00 for Berlin Jazz Nights" })).toBeVisible();
  await page.getByRole("button", { name: "Pay €150.00" }).click();

  await expect(page).toHaveURL(/\/orders\/[0-9a-f]{32}(\?key=[0-9a-f]{64})?$/);
  await expect(page.getByText("Your tickets are below")).toBeVisible();
  await expect(page.getByRole("img", { name: /QR code of ticket T-/ })).toHaveCount(2);

  await page.getByRole("link", { name: "My tickets" }).click();
  await expect(page.getByRole("heading", { name: "My tickets" })).toBeVisible();
  const group = page.getByRole("region", { name: "Berlin Jazz Nights" });
  await expect(group.getByRole("img", { name: /QR code of ticket/ })).toHaveCount(2);
  await expect(group.locator("svg").first()).toBeVisible();

  // Two fewer seats on the event page.
  await group.getByRole("link", { name: "Berlin Jazz Nights" }).click();
  await hydrated(page);
  await expect(vip.getByText("Only 8 left")).toBeVisible();

  // A third seat is held, then the payment is cancelled: the seat comes back at once.
  await page.getByRole("button", { name: "Add one VIP table" }).click();
  await page.getByRole("button", { name: "Buy tickets" }).click();
  await expect(page).toHaveURL(/\/pay\/demo\//);
  await page.getByRole("button", { name: "Cancel payment" }).click();
  await expect(page.getByText("went back on sale")).toBeVisible();
  await page.getByRole("link", { name: "Choose tickets again" }).click();
  await expect(vip.getByText("Only 8 left")).toBeVisible();
});

test("an anonymous visitor may sign in instead of buying as a guest, and comes back to the same selection", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("link", { name: /Rust Nation Meetup/ }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Add one Student" }).click();
  await page.getByRole("complementary", { name: "Tickets" }).getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\?next=/);
  await hydrated(page);
  await page.getByRole("link", { name: "Create an account" }).click();
  await hydrated(page);
  await page.getByLabel("Name").fill("Ana Anonymous");
  await page.getByLabel("Email").fill(unique("anon"));
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: /Rust Nation Meetup/ })).toBeVisible();
  await expect(page.getByTestId("ticket-total")).toHaveText("£5.00");
});
