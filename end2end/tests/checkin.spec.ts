import { test, expect, hydrated } from "./fixtures";

// Issue 17: the door, online. The organizer finds a buyer by name and admits them; a second
// try says "already checked in"; a device link opens the scanner on a phone with no account.

const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

function localInput(days: number, hour: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:00`;
}

test("an organizer admits a buyer at the door, once, and a device link opens the scanner", async ({ page, browser }) => {
  test.setTimeout(90_000);
  const title = `Door Night ${unique("e")}`;
  const buyerName = `Gina ${unique("g")}`;
  await page.goto("/register?next=/dashboard/events/new");
  await hydrated(page);
  await page.getByLabel("Name").fill("Olga Organizer");
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
  const eventUrl = page.url();

  // A buyer buys one ticket in another browser.
  const buyerContext = await browser.newContext();
  const buyer = await buyerContext.newPage();
  await buyer.goto("/register?next=/");
  await hydrated(buyer);
  await buyer.getByLabel("Name").fill(buyerName);
  await buyer.getByLabel("Email").fill(`${unique("buyer")}@example.com`);
  await buyer.getByLabel("Password").fill("a long enough password");
  await buyer.getByRole("button", { name: "Create account" }).click();
  await expect(buyer.getByRole("link", { name: buyerName })).toBeVisible();
  await buyer.goto(eventUrl);
  await hydrated(buyer);
  await buyer.getByRole("button", { name: "Add one Entry" }).click();
  await buyer.getByRole("button", { name: "Buy tickets" }).click();
  await buyer.getByRole("button", { name: "Pay €10.00" }).click();
  await expect(buyer.getByText("Your tickets are below")).toBeVisible();
  await buyerContext.close();

  // The organizer opens the door from the event's orders page.
  await page.goto("/dashboard");
  await page.getByRole("link", { name: `Orders of ${title}` }).click();
  await expect(page.getByRole("heading", { name: "Door check-in" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Door name").fill("Door 2");
  await page.getByRole("button", { name: "Make a device link" }).click();
  const link = await page.getByLabel("Door link").inputValue();
  expect(link).toMatch(/\/checkin\/[^/#]+#device=[0-9a-f]{64}$/);
  await page.getByRole("link", { name: "Open the scanner" }).click();
  await expect(page.getByRole("heading", { name: `Check-in: ${title}` })).toBeVisible();
  await hydrated(page);
  await expect(page.locator('[data-metric="Entry"] .metric-value')).toHaveText("0 / 1");
  await page.getByLabel("Holder's name").fill(buyerName.slice(0, 8));
  await page.getByRole("button", { name: `Check in ${buyerName}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "Admitted" })).toContainText(`${buyerName} · Entry`);
  await expect(page.locator('[data-metric="Entry"] .metric-value')).toHaveText("1 / 1");
  // The event's page shows it too, with the time and the door in the attendee list.
  await page.goBack();
  await expect(page.locator('[data-metric="Checked in Entry"] .metric-value')).toHaveText("1 / 1");
  const attendees = page.getByRole("region", { name: "Attendees" });
  await expect(attendees.getByRole("row").filter({ hasText: buyerName })).toContainText("by Olga Organizer");

  // A phone with the device link and no account: the same ticket is already in.
  const phoneContext = await browser.newContext();
  const phone = await phoneContext.newPage();
  await phone.goto(link);
  await expect(phone.getByText("You are Door 2")).toBeVisible();
  await hydrated(phone);
  await phone.getByLabel("Holder's name").fill(buyerName.slice(0, 8));
  await phone.getByRole("button", { name: `Check in ${buyerName}` }).click();
  await expect(phone.getByRole("status")).toContainText("Already checked in at");
  await expect(phone.getByRole("status")).toContainText("by Olga Organizer");
  // A forged code is refused.
  await phone.getByLabel("Ticket code or pass").fill("TX1.forged");
  await phone.getByRole("button", { name: "Check in", exact: true }).click();
  await expect(phone.getByRole("status")).toContainText("Refused");
  await phoneContext.close();
});
