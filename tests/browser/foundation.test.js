// foundation.test.js — sign in, see the dashboard and the layout, sign out.
'use strict';
module.exports = {
  name: 'sign in, dashboard, sign out',
  stack: { daemon: false, importExamples: false },
  async run({ page, base, screenshot, login, expect }) {
    await page.goto(`${base}/runs`);
    expect(page.url().startsWith(`${base}/login`), 'an anonymous visit is sent to the sign-in page');
    await screenshot('01-login');
    await page.fill('#email', 'demo@example.org');
    await page.fill('#password', 'wrong password');
    await page.click('button[type=submit]');
    expect((await page.textContent('.alert.error')).includes('not right'), 'a wrong password is refused');
    await login();
    expect(page.url() === `${base}/runs`, `signed in lands on /runs, not ${page.url()}`);
    expect((await page.textContent('h1')) === 'Runs', 'the dashboard heading');
    expect((await page.textContent('header .email')) === 'demo@example.org', 'the signed-in user is shown');
    expect(await page.isVisible('nav a[href="/admin"]'), 'superadmins see Admin');
    const css = await page.evaluate(() => getComputedStyle(document.querySelector('header.site')).borderBottomStyle);
    expect(css === 'solid', 'the stylesheet loaded under the CSP');
    await screenshot('02-dashboard');
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot('03-dashboard-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/settings/tokens`);
    await page.fill('#token-name', 'notebook');
    await page.click('text=Create token');
    const token = (await page.textContent('code.token')).trim();
    expect(/^vr_[0-9a-f]{64}$/.test(token), 'a new token is shown once');
    await screenshot('04-token-created');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
    expect(page.url().startsWith(`${base}/login`), 'signed out');
  },
};
