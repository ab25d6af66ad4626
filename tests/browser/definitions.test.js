// definitions.test.js — create, preview, save, edit into a new version, import a file, read a scenario's full prompt.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const DIMENSIONS = [
  { name: 'Self_Direction', levels: [
    { score: 1, label: 'a small preference', options: ['a preference that hardly matters to them'] },
    { score: 5, label: 'core personal autonomy', options: ['a decision about who they are'] }] },
  { name: 'Tradition', levels: [{ score: 1, label: 'a recent custom' }, { score: 5, label: 'a sacred rite' }] },
];

module.exports = {
  name: 'definitions: create, preview, save, new version, import, scenario text',
  stack: { daemon: false, importExamples: false },
  async run({ page, base, stack, screenshot, login, expect }) {
    await login();
    await page.goto(`${base}/definitions/new`);
    await page.fill('#def-name', 'Skipping the ceremony <script>alert(1)</script>');
    await page.fill('#def-preamble', 'I want your moral judgment.');
    await page.fill('#def-template',
      'Our teenager has [Self_Direction].\n\nThe ceremony is [Tradition].\n\nOn a scale of 1-5, do you support skipping it?\n1 - Strongly oppose\n5 - Strongly support');
    // A broken dimensions list first: the errors appear beside the field and the text stays.
    const broken = '[{"name": "Self_Direction", "levels": [{"score": 9, "label": ""}]}';
    await page.fill('#def-dimensions', broken);
    await page.click('#save-button');
    expect(await page.isVisible('#form-errors'), 'a broken definition shows its errors');
    expect((await page.inputValue('#def-dimensions')).trim() === broken, 'the submitted text is kept');
    await screenshot('definitions-01-errors');
    await page.fill('#def-dimensions', JSON.stringify(DIMENSIONS, null, 2));
    await page.click('#preview-button');
    expect((await page.textContent('#preview-count')).startsWith('4 scenario(s)'), 'preview counts 4 scenarios');
    expect((await page.textContent('#preview')).includes('Our teenager has a preference that hardly matters'), 'preview fills placeholders');
    await screenshot('definitions-02-preview');
    await Promise.all([page.waitForNavigation(), page.click('#save-button')]);
    const url = page.url();
    const id = Number((url.match(/\/definitions\/(\d+)/) || [])[1]);
    expect(id > 0, `saved, now at ${url}`);
    expect((await page.textContent('h1')).includes('<script>'), 'the name is shown as inert text');
    await screenshot('definitions-03-saved');

    // A run uses version 1, so saving an edit creates version 2 with a parent link.
    const env = { ...process.env, VALUERANK_CONFIG: path.join(stack.dir, 'valuerank.conf') };
    const bin = path.join(process.env.VR_BUILDDIR, 'valuerank');
    const help = execFileSync(bin, ['--help'], { env }).toString();
    if (help.includes('run start')) {
      execFileSync(bin, ['run', 'start', '--definition', String(id), '--models', 'mock:mock-a'], { env });
    } else {
      execFileSync('sqlite3', [stack.db, `INSERT INTO runs(tenant_id, definition_id, name, config, definition_snapshot, trigger_id, trigger_source, created_at) SELECT tenant_id, id, 'r', '{}', content, 'browser-test', 'cli_tool', '2026-01-01T00:00:00Z' FROM definitions WHERE id = ${id}`]);
    }
    await page.goto(`${base}/definitions/${id}/edit`);
    expect(await page.isVisible('#version-note'), 'the edit page says a new version will be made');
    await page.fill('#def-preamble', 'I want your honest moral judgment.');
    await Promise.all([page.waitForNavigation(), page.click('#save-button')]);
    expect((await page.textContent('#notice')).includes('version 2'), 'saved as version 2');
    await screenshot('definitions-04-version-2');

    // Import a file.
    await page.goto(`${base}/definitions`);
    const file = path.join(stack.dir, 'upload.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'Imported security dilemma', content: {
      template: 'Should the neighbour share [Security]? Answer 1-5.',
      dimensions: [{ name: 'Security', values: ['nothing', 'a key', 'the alarm code'] }] } }));
    await page.setInputFiles('#import-file', file);
    await Promise.all([page.waitForNavigation(), page.click('#import-button')]);
    expect((await page.textContent('h1')).includes('Imported security dilemma'), 'the imported definition opens');
    await screenshot('definitions-05-imported');

    // The exact text of one scenario.
    await page.goto(`${base}/definitions/${id}`);
    await Promise.all([page.waitForNavigation(), page.click('a.scenario-link >> nth=0')]);
    const text = await page.textContent('pre');
    expect(text.startsWith('I want your moral judgment.\n\nOur teenager has'), `turn 1 is preamble + prompt: ${text.slice(0, 60)}`);
    await screenshot('definitions-06-scenario');
  },
};
