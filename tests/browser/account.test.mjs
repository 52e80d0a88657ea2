// First run, logging in and out, a wrong password, an expired session.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, server, until } from './support.mjs';

const b = await browser();
after(() => b.close());

/// A fresh page that sets up the server's admin through the setup page.
async function setUp(s) {
  const page = await (await b.newContext()).newPage();
  await page.goto(`${s.url}/setup/`);
  await page.fill('#setup input[name=username]', 'ada');
  await page.fill('#setup input[name=password]', 'a good long password');
  await page.click('#setup button');
  await page.waitForURL(`${s.url}/upload/`);
  return page;
}

test('the first run creates the admin and lands on the upload page', async () => {
  const s = await server();
  try {
    const page = await (await b.newContext()).newPage();
    await page.goto(`${s.url}/`);
    // Not logged in: the login page, which sees that nobody is set up yet.
    await page.waitForURL(`${s.url}/setup/`);
    await page.fill('#setup input[name=username]', 'ada');
    await page.fill('#setup input[name=password]', 'short');
    await page.click('#setup button');
    assert.equal(page.url(), `${s.url}/setup/`, 'the browser refuses a short password');
    await page.fill('#setup input[name=password]', 'a good long password');
    await page.click('#setup button');
    await page.waitForURL(`${s.url}/upload/`);
    await page.waitForSelector('#drop[data-ready="1"]');
    // The empty library says so on the home page and points to uploading.
    await page.goto(`${s.url}/`);
    await page.waitForSelector('.empty a[href="/upload/"]');
    // Logging out.
    await page.goto(`${s.url}/account/`);
    await page.click('#logout');
    await page.waitForURL(`${s.url}/login/`);
    await page.goto(`${s.url}/az/`);
    await page.waitForURL(`${s.url}/login/?next=/az/`);
    // A wrong password is told, and nothing else.
    await page.fill('input[name=username]', 'ada');
    await page.fill('input[name=password]', 'not the password');
    await page.click('#login button');
    await page.waitForSelector('#login .error:not([hidden])');
    assert.match(await page.textContent('#login .error'), /wrong user name or password/);
    await page.fill('input[name=password]', 'a good long password');
    // Back to the page asked for.
    await Promise.all([page.waitForURL(`${s.url}/az/`), page.click('#login button')]);
    // The admin's links are shown once the page has asked who is logged in.
    await until('an admin sees the users page link', () => page.locator('.admin-only').first().isVisible(), 10);
  } finally {
    await s.stop();
  }
});

test('an expired session goes back to the login page', async () => {
  const s = await server({ OOTT_SESSION_TTL: '2' });
  try {
    const page = await setUp(s);
    await page.waitForTimeout(3000);
    await page.goto(`${s.url}/monitor/`);
    await page.waitForURL(`${s.url}/login/?next=/monitor/`);
  } finally {
    await s.stop();
  }
});

test('settings are kept per person and applied by the pages', async () => {
  const s = await server();
  try {
    const page = await setUp(s);
    await page.goto(`${s.url}/account/`);
    // The form is ready once it holds the person's settings (its Save button waits for them).
    await page.waitForSelector('#settings[data-loaded] button:enabled');
    await page.waitForFunction(() => document.querySelector('#settings select[name=theme]').value === 'system');
    await page.selectOption('#settings select[name=theme]', 'light');
    await page.click('#settings button');
    await page.waitForSelector('#settings .status:text("Saved.")');
    await page.goto(`${s.url}/search/`);
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(246, 246, 248)', 'the light theme is applied');
  } finally {
    await s.stop();
  }
});
