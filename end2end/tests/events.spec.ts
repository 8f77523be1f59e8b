import { test, expect, hydrated } from "./fixtures";
import * as path from "node:path";

const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

/** `YYYY-MM-DDTHH:MM`, `days` from now, as a datetime-local input wants it. */
function localInput(days: number, hour: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:00`;
}

test("an organizer walks through the wizard with an image and publishes", async ({ page }) => {
  const title = `Rooftop Jazz ${unique("e2e")}`;
  await page.goto("/register?next=/dashboard");
  await hydrated(page);
  await page.getByLabel("Name").fill("Wanda Wizard");
  await page.getByLabel("Email").fill(`${unique("organizer")}@example.com`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByLabel("I want to sell tickets for my events").check();
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  await page.getByRole("link", { name: "Create event" }).click();
  await expect(page.getByRole("heading", { name: "Create an event" })).toBeVisible();
  await hydrated(page);

  // Step 1: details. Only this step is visible once hydrated.
  await expect(page.getByLabel("Venue")).toBeHidden();
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Description", { exact: true }).fill("Live jazz above the city.\n\nBring a jacket.");
  await page.getByLabel("Currency").selectOption("EUR");
  await page.getByRole("button", { name: "Next: Date and place" }).click();

  // Step 2: date and place.
  await page.getByLabel("Time zone").selectOption("Europe/Lisbon");
  await page.getByLabel("Starts").fill(localInput(20, 19));
  await page.getByLabel("Ends").fill(localInput(20, 23));
  await page.getByLabel("Venue").fill("Terraço Azul");
  await page.getByLabel("Address").fill("Rua Augusta 1, Lisbon");
  await page.getByRole("button", { name: "Next: Tickets" }).click();

  // Step 3: two ticket types, a third added and removed again.
  const first = page.getByRole("group", { name: "Ticket type 1" });
  await first.getByLabel("Name").fill("Standing");
  await first.getByLabel("Price").fill("15");
  await first.getByLabel("Capacity").fill("80");
  await page.getByRole("button", { name: "Add a ticket type" }).click();
  const second = page.getByRole("group", { name: "Ticket type 2" });
  await second.getByLabel("Name").fill("Table for two");
  await second.getByLabel("Price").fill("60.00");
  await second.getByLabel("Capacity").fill("10");
  await page.getByRole("button", { name: "Add a ticket type" }).click();
  await page.getByRole("button", { name: "Remove ticket type 3" }).click();
  await expect(page.getByRole("group", { name: "Ticket type 3" })).toHaveCount(0);
  await page.getByRole("button", { name: "Next: Image" }).click();

  // Step 4: the image, previewed before upload.
  await page.getByLabel("Cover image").setInputFiles(path.join(__dirname, "../fixtures/cover.png"));
  const preview = page.getByRole("img", { name: "Preview of the cover image" });
  await expect(preview).toBeVisible();
  await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1200);
  await page.getByRole("button", { name: "Next: Review" }).click();

  // Step 5: review and publish.
  await expect(page.getByText(title)).toBeVisible();
  await expect(page.getByText("Ticket: Table for two")).toBeVisible();
  await page.getByRole("button", { name: "Publish" }).click();

  await expect(page).toHaveURL(/\/events\/rooftop-jazz-e2e-/);
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  await expect(page.getByText("Table for two", { exact: true })).toBeVisible();
  const cover = page.getByRole("img", { name: `Cover image of ${title}` });
  await expect(cover).toBeVisible();
  expect(await cover.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1200);

  // The server-rendered page carries JSON-LD naming the event.
  await page.reload();
  const jsonLd = await page.locator('script[type="application/ld+json"]').textContent();
  const data = JSON.parse(jsonLd ?? "{}");
  expect(data["@type"]).toBe("Event");
  expect(data.name).toBe(title);
  expect(data.location.name).toBe("Terraço Azul");
  await expect(page.locator('meta[property="og:image"]')).toHaveAttribute("content", /\/media\/[0-9a-f]{32}\.jpg$/);

  // It is listed on the home page, with its thumbnail.
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search events" }).fill(title);
  await page.getByRole("button", { name: "Search" }).click();
  const card = page.getByRole("listitem").filter({ hasText: title });
  await expect(card).toBeVisible();
  await expect(card.getByText("From €15.00")).toBeVisible();
  expect(await card.locator("img").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480);
});

test("a validation error brings the organizer back to the step with the field", async ({ page }) => {
  await page.goto("/register?next=/dashboard/events/new");
  await hydrated(page);
  await page.getByLabel("Name").fill("Vera Validator");
  await page.getByLabel("Email").fill(`${unique("organizer")}@example.com`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByLabel("I want to sell tickets for my events").check();
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Create an event" })).toBeVisible();
  await hydrated(page);

  await page.getByLabel("Title").fill("Backwards Night");
  await page.getByRole("button", { name: "3. Tickets" }).click();
  const first = page.getByRole("group", { name: "Ticket type 1" });
  await first.getByLabel("Name").fill("Entry");
  await first.getByLabel("Price").fill("0.10");
  await first.getByLabel("Capacity").fill("10");
  await page.getByRole("button", { name: "5. Review" }).click();
  await page.getByRole("button", { name: "Save as draft" }).click();

  // The first problem is on step 2 (no dates), so that is where the editor goes.
  await expect(page.getByText("Enter a date and time.").first()).toBeVisible();
  await page.getByRole("button", { name: "3. Tickets" }).click();
  await expect(page.getByText("Paid tickets cost at least 0.50; use 0 for free.")).toBeVisible();
  await expect(first.getByLabel("Name")).toHaveValue("Entry");
});
