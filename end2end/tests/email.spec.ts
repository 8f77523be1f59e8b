import { test, expect, hydrated } from "./fixtures";

const unique = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

async function registerCustomer(page, name: string, email: string, password: string) {
  await page.goto("/register?next=/");
  await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("link", { name })).toBeVisible();
}

test("after buying, the dev mailbox shows the ticket email with its QR code", async ({ page }) => {
  const email = unique("mailbox");
  await registerCustomer(page, "Max Mailbox", email, "a long enough password");
  await page.getByRole("link", { name: /Open Source Design Workshop/ }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Add one Workshop seat" }).click();
  await page.getByRole("button", { name: "Buy tickets" }).click();
  await page.getByRole("button", { name: "Pay $49.00" }).click();
  await expect(page.getByText("Your tickets are below")).toBeVisible();
  // Leave only a settled page: a navigation that cuts its wasm start short is not the test.
  await hydrated(page);

  await page.goto("/dev/mailbox");
  await hydrated(page);
  await page.getByRole("row").filter({ hasText: email })
    .getByRole("link", { name: "Your tickets for Open Source Design Workshop" }).click();
  await expect(page.getByText("Hi Max Mailbox, you're going!")).toBeVisible();
  const qr = page.getByRole("img", { name: /QR code of ticket T-/ });
  await expect(qr).toHaveCount(1);
  await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
});

test("a forgotten password is reset through the link in the mailbox", async ({ page }) => {
  const email = unique("forgetful");
  await registerCustomer(page, "Fern Forgetful", email, "the old password");
  // The demo mailbox shows a signed-in user only their own emails, so Fern asks for the
  // link while still signed in (using it ends every session).
  await page.goto("/forgot-password");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByText("If an account exists for that email")).toBeVisible();

  await page.goto("/dev/mailbox");
  await hydrated(page);
  await page.getByRole("row").filter({ hasText: email })
    .getByRole("link", { name: "Reset your TickEx password" }).click();
  await page.getByRole("link", { name: /reset-password\?token=/ }).click();
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("New password").fill("the new password");
  await page.getByRole("button", { name: "Save new password" }).click();
  await expect(page.getByText("Your password was changed.")).toBeVisible();

  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("the new password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("link", { name: "Fern Forgetful" })).toBeVisible();
});

test("a new account confirms its email through the link in the mailbox", async ({ page }) => {
  const email = unique("confirm");
  await registerCustomer(page, "Cleo Confirm", email, "a long enough password");
  const reminder = page.getByRole("complementary", { name: "Reminder" });
  await expect(reminder).toBeVisible();

  await page.goto("/dev/mailbox");
  await hydrated(page);
  await page.getByRole("row").filter({ hasText: email })
    .getByRole("link", { name: "Confirm your email for TickEx" }).click();
  await page.getByRole("link", { name: /verify-email\?token=/ }).click();
  await expect(page.getByRole("heading", { name: "Confirm your email" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm my email" }).click();
  await expect(page.getByText("Thank you, your email address is confirmed.")).toBeVisible();

  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(reminder).toHaveCount(0);
});
