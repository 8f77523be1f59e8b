import { test, expect, hydrated } from "./fixtures";
import { publishEventAsNewOrganizer, unique } from "./journeys";

// Issue 18: a guest buys three tickets for three people without an account, the tickets
// carry their names, one attendee gets her own ticket by email, the link in the buyer's
// email opens the order in any browser, and a ticket transferred from there reaches its
// new holder's inbox; the attendee's own link opens her ticket and she transfers it too.

async function mailbox(browser, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/register?next=/dev/mailbox");
  await hydrated(page);
  await page.getByLabel("Name").fill("Mail Reader");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: /mailbox/i })).toBeVisible();
  return page;
}

test("a guest buys three named tickets, opens the order from the email link and transfers one", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const buyerEmail = `${unique("guest")}@example.com`;
  const annEmail = `${unique("ann")}@example.com`;
  const title = `Guest Night ${unique("e")}`;
  // The organizer asks every ticket's diet (required) and the order's company (optional).
  const eventUrl = await publishEventAsNewOrganizer(page, "Quinn Questions", title);
  await page.goto("/dashboard");
  await page.getByRole("link", { name: `Orders of ${title}` }).click();
  await hydrated(page);
  const questions = page.getByRole("region", { name: "Questions at checkout" });
  await questions.getByLabel("Question", { exact: true }).fill("Diet");
  await questions.getByLabel("Answer", { exact: true }).selectOption("One choice");
  await questions.getByLabel("Options, one per line").fill("Vegan\nAnything");
  await questions.getByLabel("Asked", { exact: true }).selectOption("For every ticket");
  await questions.getByLabel("Required").check();
  await questions.getByRole("button", { name: "Add question" }).click();
  await expect(questions.getByRole("listitem").filter({ hasText: "Diet" })).toContainText("for every ticket, required");
  await questions.getByLabel("Question", { exact: true }).fill("Company");
  await questions.getByLabel("Answer", { exact: true }).selectOption("Short text");
  await questions.getByLabel("Asked", { exact: true }).selectOption("Once per order");
  await questions.getByLabel("Required").uncheck();
  await questions.getByRole("button", { name: "Add question" }).click();
  await expect(questions.getByRole("listitem").filter({ hasText: "Company" })).toBeVisible();
  await page.context().clearCookies();

  await page.goto(eventUrl);
  await hydrated(page);
  for (let i = 0; i < 3; i++) await page.getByRole("button", { name: "Add one Entry" }).click();
  await page.getByLabel("Your name").fill("Gwen Guest");
  await page.getByLabel("Your email").fill(buyerEmail);
  await page.getByLabel("Name on ticket 1").fill("Ann Attendee");
  await page.getByLabel("Email for ticket 1").fill(annEmail);
  await page.getByLabel("Name on ticket 2").fill("Bob Friend");
  await page.getByLabel("Company (optional)").fill("Acme");
  // The diet is required for every ticket: the server names the one left out.
  await page.getByLabel("Diet (ticket 1)").selectOption("Vegan");
  await page.getByLabel("Diet (ticket 2)").selectOption("Anything");
  await page.getByRole("button", { name: "Buy tickets" }).click();
  await expect(page.getByRole("alert")).toContainText("Ticket 3: Answer “Diet”.");
  await page.getByLabel("Diet (ticket 3)").selectOption("Vegan");
  await page.getByRole("button", { name: "Buy tickets" }).click();
  await page.getByRole("button", { name: "Pay €30.00" }).click();
  await expect(page.getByText("Your tickets are below")).toBeVisible();
  const cards = page.locator(".ticket-card");
  await expect(cards).toHaveCount(3);
  await expect(cards.filter({ hasText: "Ann Attendee" })).toContainText("DietVegan");
  await expect(cards.filter({ hasText: "Ann Attendee" })).toContainText("CompanyAcme");
  await expect(cards.filter({ hasText: "Bob Friend" })).toHaveCount(1);
  await expect(cards.filter({ hasText: "Gwen Guest" })).toHaveCount(1);
  await hydrated(page);

  // The buyer's email links to the order with a key of its own.
  const inbox = await mailbox(browser, buyerEmail);
  await inbox.getByRole("row").filter({ hasText: buyerEmail })
    .getByRole("link", { name: `Your tickets for ${title}` }).click();
  await expect(inbox.getByText("Hi Gwen Guest, you're going!")).toBeVisible();
  const link = await inbox.getByRole("link", { name: "See your tickets on TickEx" }).getAttribute("href");
  expect(link).toMatch(/\/orders\/[^?]+\?key=[0-9a-f]{64}$/);
  const elsewhere = await (await browser.newContext()).newPage();
  await elsewhere.goto(new URL(link!).pathname + new URL(link!).search);
  await expect(elsewhere.getByText("Your tickets are below")).toBeVisible();
  await expect(elsewhere.locator(".ticket-card")).toHaveCount(3);

  // From there Bob's ticket goes to Cleo: her name on it, and her own email.
  const cleoEmail = `${unique("cleo")}@example.com`;
  await hydrated(elsewhere);
  const bob = elsewhere.locator(".ticket-card").filter({ hasText: "Bob Friend" });
  await bob.getByText(/^Transfer ticket T-/).click();
  await bob.getByLabel("New holder's name").fill("Cleo New");
  await bob.getByLabel("New holder's email").fill(cleoEmail);
  await bob.getByRole("button", { name: "Transfer" }).click();
  await expect(elsewhere.locator(".ticket-card").filter({ hasText: "Cleo New" })).toHaveCount(1);
  await expect(elsewhere.locator(".ticket-card").filter({ hasText: "Bob Friend" })).toHaveCount(0);
  const cleoInbox = await mailbox(browser, cleoEmail);
  await cleoInbox.getByRole("row").filter({ hasText: cleoEmail })
    .getByRole("link", { name: `Your tickets for ${title}` }).click();
  await expect(cleoInbox.getByText("Hi Cleo New, you're going!")).toBeVisible();

  // Until the event starts the buyer corrects a name and an answer.
  const ann = elsewhere.locator(".ticket-card").filter({ hasText: "Ann Attendee" });
  await ann.getByText(/^Correct ticket T-/).click();
  await ann.getByLabel("Name on the ticket").fill("Ann Attendee-Smith");
  await ann.getByLabel(/^Diet/).selectOption("Anything");
  await ann.getByRole("button", { name: "Save" }).click();
  await expect(elsewhere.locator(".ticket-card").filter({ hasText: "Ann Attendee-Smith" })).toContainText("DietAnything");

  // Ann got her own ticket, and only hers; her link opens it, and she passes it to Dan.
  const annInbox = await mailbox(browser, annEmail);
  await annInbox.getByRole("row").filter({ hasText: annEmail })
    .getByRole("link", { name: `Your tickets for ${title}` }).click();
  await expect(annInbox.getByText("Hi Ann Attendee-Smith, you're going!")).toBeVisible();
  await expect(annInbox.getByRole("img", { name: /QR code of ticket T-/ })).toHaveCount(1);
  const annLink = await annInbox.getByRole("link", { name: "See your tickets on TickEx" }).getAttribute("href");
  expect(annLink).toMatch(/\/tickets\/T-[0-9A-Z-]+\?key=[0-9a-f]{64}$/);
  const own = await (await browser.newContext()).newPage();
  await own.goto(new URL(annLink!).pathname + new URL(annLink!).search);
  await expect(own.getByRole("heading", { name: title })).toBeVisible();
  await expect(own.locator(".ticket-card")).toHaveCount(1);
  await expect(own.locator(".ticket-card")).toContainText("Ann Attendee-Smith");
  await hydrated(own);
  const danEmail = `${unique("dan")}@example.com`;
  await own.getByText(/^Transfer ticket T-/).click();
  await own.getByLabel("New holder's name").fill("Dan Later");
  await own.getByLabel("New holder's email").fill(danEmail);
  await own.getByRole("button", { name: "Transfer" }).click();
  await expect(own.getByRole("heading", { name: "Ticket transferred" })).toBeVisible();
  await own.reload();
  await expect(own.getByRole("heading", { name: "We could not find that page" })).toBeVisible();
  const danInbox = await mailbox(browser, danEmail);
  await danInbox.getByRole("row").filter({ hasText: danEmail })
    .getByRole("link", { name: `Your tickets for ${title}` }).click();
  await expect(danInbox.getByText("Hi Dan Later, you're going!")).toBeVisible();
});
