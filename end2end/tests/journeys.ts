import { Browser, Page } from "@playwright/test";
import { expect, hydrated } from "./fixtures";

// Steps several door tests take on the way to what they test.

export const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

/** A `datetime-local` value `days` from now at `hour` o'clock. */
export function localInput(days: number, hour: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:00`;
}

/** A new organizer publishes `title` with one "Entry" type at €10 (20 seats); returns the
 *  event page's address. */
export async function publishEventAsNewOrganizer(page: Page, organizer: string, title: string): Promise<string> {
  await page.goto("/register?next=/dashboard/events/new");
  await hydrated(page);
  await page.getByLabel("Name").fill(organizer);
  await page.getByLabel("Email").fill(`${unique("org")}@example.com`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByLabel("I want to sell tickets for my events").check();
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Create an event" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "2. Date and place" }).click();
  await page.getByLabel("Starts").fill(localInput(5, 19));
  await page.getByLabel("Ends").fill(localInput(5, 23));
  await page.getByLabel("Venue").fill("Club Door");
  await page.getByRole("button", { name: "3. Tickets" }).click();
  const row = page.getByRole("group", { name: "Ticket type 1" });
  await row.getByLabel("Name").fill("Entry");
  await row.getByLabel("Price").fill("10");
  await row.getByLabel("Capacity").fill("20");
  await page.getByRole("button", { name: "5. Review" }).click();
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  return page.url();
}

/** `name` registers in a browser of their own and buys one Entry; returns their order page. */
export async function buyOneEntry(browser: Browser, eventUrl: string, name: string): Promise<Page> {
  const context = await browser.newContext();
  const buyer = await context.newPage();
  await buyer.goto("/register?next=/");
  await hydrated(buyer);
  await buyer.getByLabel("Name").fill(name);
  await buyer.getByLabel("Email").fill(`${unique("buyer")}@example.com`);
  await buyer.getByLabel("Password").fill("a long enough password");
  await buyer.getByRole("button", { name: "Create account" }).click();
  await expect(buyer.getByRole("link", { name })).toBeVisible();
  await buyer.goto(eventUrl);
  await hydrated(buyer);
  await buyer.getByRole("button", { name: "Add one Entry" }).click();
  await buyer.getByRole("button", { name: "Buy tickets" }).click();
  await buyer.getByRole("button", { name: "Pay €10.00" }).click();
  await expect(buyer.getByText("Your tickets are below")).toBeVisible();
  return buyer;
}
