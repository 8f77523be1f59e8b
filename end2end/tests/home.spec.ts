import { test, expect, hydrated } from "./fixtures";

test("home page lists events and leads to an event page", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Upcoming events" })).toBeVisible();

  await page.getByRole("link", { name: /Berlin Jazz Nights/ }).click();
  await expect(page).toHaveURL(/\/events\/berlin-jazz-nights-\d{4}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Berlin Jazz Nights" })).toBeVisible();
  await expect(page).toHaveTitle("Berlin Jazz Nights · TickEx");

  // Only a hydrated page reacts to these buttons.
  const total = page.getByTestId("ticket-total");
  await expect(total).toHaveText("€0.00");
  await page.getByRole("button", { name: "Add one Regular" }).click();
  await page.getByRole("button", { name: "Add one Regular" }).click();
  await page.getByRole("button", { name: "Add one Early bird" }).click();
  await expect(total).toHaveText("€69.00");
  await page.getByRole("button", { name: "Remove one Regular" }).click();
  await expect(total).toHaveText("€44.00");
});

test("unknown pages show the 404 page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "We could not find that page" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("link", { name: "Browse upcoming events" }).click();
  await expect(page.getByRole("heading", { name: "Upcoming events" })).toBeVisible();
});
