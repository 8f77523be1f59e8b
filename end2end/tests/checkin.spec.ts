import { test, expect, hydrated } from "./fixtures";
import { buyOneEntry, publishEventAsNewOrganizer, unique } from "./journeys";

// Issue 17: the door, online. The organizer finds a buyer by name and admits them; a second
// try says "already checked in"; a device link opens the scanner on a phone with no account.

test("an organizer admits a buyer at the door, once, and a device link opens the scanner", async ({ page, browser }) => {
  test.setTimeout(90_000);
  const title = `Door Night ${unique("e")}`;
  const buyerName = `Gina ${unique("g")}`;
  await publishEventAsNewOrganizer(page, "Olga Organizer", title);
  const eventUrl = page.url();
  await (await buyOneEntry(browser, eventUrl, buyerName)).context().close();

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
