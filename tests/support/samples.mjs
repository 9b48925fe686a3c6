// Sample files for tests that send them: real enough for the edge's checks (type by
// name, first bytes) and for Chromium to draw.

/** A small PDF. */
export const pdf = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

/** A small JPEG, drawn by the browser `page` belongs to. */
export async function jpeg(page) {
  const url = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 40;
    canvas.height = 30;
    const g = canvas.getContext('2d');
    g.fillStyle = '#2f6fed';
    g.fillRect(0, 0, 40, 30);
    g.fillStyle = '#ffd84d';
    g.fillRect(8, 6, 24, 18);
    return canvas.toDataURL('image/jpeg');
  });
  return Buffer.from(url.split(',')[1], 'base64');
}
