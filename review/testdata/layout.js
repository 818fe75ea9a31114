// Layout checks for review.html, run in the page by browser_test.go. It
// returns what it found wrong and how much it looked at, so that a test
// passing because nothing was measured shows up as such.
(() => {
  const problems = [];
  const counts = { cells: 0, labels: 0, words: 0, numbers: 0 };
  const tol = 0.5; // sub-pixel rounding
  const fmt = (r) => `[${r.left.toFixed(1)}..${r.right.toFixed(1)} x ${r.top.toFixed(1)}..${r.bottom.toFixed(1)}]`;
  const short = (s) => (s.length > 60 ? s.slice(0, 57) + "..." : s).replace(/\s+/g, " ");
  const inside = (r, c) => r.left >= c.left - tol && r.right <= c.right + tol && r.top >= c.top - tol && r.bottom <= c.bottom + tol;

  // 0. The page is self-contained: nothing refers to another resource
  // (links within the page only, no src at all).
  for (const el of document.querySelectorAll("[src], [href], [srcset], [data]")) {
    const ref = el.getAttribute("href");
    if (el.tagName === "A" && ref !== null && ref.startsWith("#") && el.attributes.length === 1) continue;
    problems.push(`page refers to another resource: <${el.tagName.toLowerCase()} ${[...el.attributes].map((a) => a.name + '="' + a.value + '"').join(" ")}>`);
  }

  // 1. No horizontal overflow of the page.
  const de = document.documentElement;
  if (de.scrollWidth > de.clientWidth) {
    problems.push(`page scrolls sideways: scrollWidth ${de.scrollWidth} > clientWidth ${de.clientWidth}`);
  }

  // 2. Every table cell lies within the table's container and within the
  // page, and its content within the cell.
  for (const cell of document.querySelectorAll("td, th")) {
    counts.cells++;
    const r = cell.getBoundingClientRect();
    const box = cell.closest("table").parentElement.getBoundingClientRect();
    if (r.left < box.left - tol || r.right > box.right + tol || r.left < -tol || r.right > de.clientWidth + tol) {
      problems.push(`cell ${fmt(r)} outside its container ${fmt(box)}: "${short(cell.textContent)}"`);
    }
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push(`cell content wider than the cell (${cell.scrollWidth} > ${cell.clientWidth}): "${short(cell.textContent)}"`);
    }
  }

  // 3. Every chart text lies within its SVG's viewBox (what is drawn) and
  // within the SVG as laid out on the page.
  for (const svg of document.querySelectorAll("svg")) {
    const vb = svg.viewBox.baseVal;
    const view = vb && vb.width > 0 ? vb : { x: 0, y: 0, width: svg.width.baseVal.value, height: svg.height.baseVal.value };
    const onPage = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      counts.labels++;
      const b = t.getBBox();
      const ctm = t.transform.baseVal.consolidate();
      const dx = ctm ? ctm.matrix.e : 0, dy = ctm ? ctm.matrix.f : 0;
      const x0 = b.x + dx, y0 = b.y + dy;
      if (x0 < view.x - tol || y0 < view.y - tol || x0 + b.width > view.x + view.width + tol || y0 + b.height > view.y + view.height + tol) {
        problems.push(`chart text "${short(t.textContent)}" at x ${x0.toFixed(1)}..${(x0 + b.width).toFixed(1)}, y ${y0.toFixed(1)}..${(y0 + b.height).toFixed(1)} outside the viewBox 0..${view.width} x 0..${view.height}`);
      }
      const r = t.getBoundingClientRect();
      if (!inside(r, onPage)) {
        problems.push(`chart text "${short(t.textContent)}" ${fmt(r)} outside its chart ${fmt(onPage)}`);
      }
    }
  }

  // 4. No word or number broken across lines: every run of letters or
  // digits in a text node has its boxes on one line. (A <wbr> ends a text
  // node, so the break opportunities the page offers on purpose are not
  // counted as breaks.)
  const lines = (range) => {
    const tops = [];
    for (const r of range.getClientRects()) {
      if (r.width === 0) continue;
      if (!tops.some((t) => Math.abs(t - r.top) < 2)) tops.push(r.top);
    }
    return tops.length;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement.closest("svg, style, script") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (const m of n.data.matchAll(/[\p{L}\p{N}]+/gu)) {
      counts.words++;
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      if (lines(range) > 1) {
        problems.push(`"${m[0]}" broken across lines in "${short(n.parentElement.textContent)}"`);
      }
    }
  }
  // A number, a date or a time is never broken, not even at its own
  // punctuation (the check above sees "2026" and "07" of "2026-07-02" as
  // two words). A timestamp may wrap between its date and its time.
  for (const cell of document.querySelectorAll("td")) {
    const text = cell.textContent.trim();
    if (!/^[-+]?[\d][\d.,:\s-]*$/.test(text)) continue;
    const node = cell.firstChild;
    if (cell.childNodes.length !== 1 || node.nodeType !== Node.TEXT_NODE) {
      problems.push(`number "${text}" is not a single text node`);
      continue;
    }
    for (const m of node.data.matchAll(/\S+/g)) {
      counts.numbers++;
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      if (lines(range) > 1) {
        problems.push(`number "${m[0]}" of "${text}" broken across ${lines(range)} lines`);
      }
    }
  }
  const charts = [...document.querySelectorAll("svg")].map((svg) => ({
    ticks: [...svg.querySelectorAll("text.tick")].map((t) => t.textContent),
    axisTitles: [...svg.querySelectorAll("text.axis-title")].map((t) => t.textContent),
  }));
  return { problems, counts, charts, svgTexts: [...document.querySelectorAll("svg text")].map((t) => t.textContent) };
})()
