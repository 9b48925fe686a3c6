// What Natter's snippet costs a host page, as Lighthouse (npm, mobile preset, its
// simulated throttling) measures it with Debian's Chromium: a bare page against the
// same page with the snippet of a new site (the default rules on), median of `runs`
// each. Returns the medians and their differences.
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

import { startSiteHost } from '../support/hosts.mjs';

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(url, port) {
  const { lhr } = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] });
  const audit = (id) => lhr.audits[id].numericValue;
  return { tbt: audit('total-blocking-time'), tti: audit('interactive'), bytes: audit('total-byte-weight'), requests: lhr.audits['network-requests'].details.items.length };
}

/** Lighthouse on a page without and with `snippet`; `runs` of each, interleaved. */
export async function lighthouseDelta(snippet, runs = 3) {
  const host = await startSiteHost();
  const chrome = await chromeLauncher.launch({
    chromePath: '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const bare = [];
  const embedded = [];
  try {
    for (let i = 0; i < runs; i++) {
      host.page = '';
      bare.push(await measure(`${host.url}/?bare=${i}`, chrome.port));
      host.page = snippet;
      embedded.push(await measure(`${host.url}/?embedded=${i}`, chrome.port));
    }
  } finally {
    chrome.kill();
    await host.close();
  }
  const result = {};
  for (const key of ['tbt', 'tti', 'bytes', 'requests']) {
    result[key] = { bare: median(bare.map((r) => r[key])), embedded: median(embedded.map((r) => r[key])) };
    result[key].delta = result[key].embedded - result[key].bare;
  }
  return result;
}
