// The known screen the sharer shows: text blocks at 11 to 16 px, a form and a table, a block whose text changes,
// and a long page that scrolls. Every block knows its rectangle and its text, so OCR can be scored against it.
// Runs in the browser (bundled into the benchmark page) and in Node (the block list and texts only).

/** A rectangle of the screen, in screen pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A block of text the benchmark reads back: where it is on the screen and what it says. */
export interface Block {
  name: string;
  rect: Rect;
  text: string;
}

/** A common laptop and office screen size; the scored blocks sit in its top-left 1280 × 720. */
export const SCREEN = { width: 1920, height: 1080 };

const PARAGRAPH =
  "Your refund of 42.90 EUR for order 7731-0482 was approved on 14 March. The card ending 5527 is credited within three working days. If the amount differs, reply with the reference RF-2291 and our team will check the statement line by line.";
const CHANGED =
  "Step 2 of 4: open Settings, then Privacy and Security, and switch off Block third-party cookies for portal.example-bank.eu. Then press Reload and sign in again with customer number 660-318-27.";
const BEFORE_CHANGE = "Step 1 of 4: check that the address bar shows the padlock and the name of the bank before you type anything.";

const FORM: Array<[string, string]> = [
  ["Account holder", "Maria Schneider-Olsen"],
  ["IBAN", "DE44 5001 0517 5407 3249 31"],
  ["Email", "m.olsen@posteo.example"],
  ["Phone", "+49 151 2384 0917"],
  ["Customer since", "2017-09-03"],
];

const TABLE: string[][] = [
  ["Date", "Reference", "Amount", "Status"],
  ["2026-11-02", "INV-88213", "129.00", "Paid"],
  ["2026-11-09", "INV-88367", "54.75", "Open"],
  ["2026-11-15", "CRN-10442", "-42.90", "Credit"],
  ["2026-11-21", "INV-88910", "310.20", "Overdue"],
  ["2026-11-24", "INV-89005", "18.99", "Open"],
];

/** Lines of the long page that scrolls; distinct enough that OCR cannot guess one from another. */
export const SCROLL_LINES = Array.from({ length: 120 }, (_, index) => {
  const words = ["invoice", "balance", "transfer", "address", "contract", "payment", "delivery", "tariff", "meter", "deposit"];
  return `${String(index + 1).padStart(3, "0")} ${words[index % 10]} ${words[(index * 7 + 3) % 10]} ${(index * 7919) % 100000} reference ${((index * 104729) % 9000) + 1000}`;
});
const SCROLL_FONT_PX = 14;
const SCROLL_LINE_PX = 22;
/** Where the long page stops after scrolling (whole lines), and the block read there. */
export const SCROLL_END_LINE = 60;
const SCROLL_READ_LINES = 8;

const font = (px: number, weight = "") => `${weight} ${px}px sans-serif`.trim();

/** Word-wraps `text` to `width` pixels with the context's current font. */
function wrap(context: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && context.measureText(candidate).width > width) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

/** A text block drawn at (x, y) wrapped to width; returns the block with its rectangle. */
function paragraph(context: CanvasRenderingContext2D, name: string, text: string, px: number, x: number, y: number, width: number): Block {
  context.font = font(px);
  const lineHeight = Math.round(px * 1.45);
  const lines = wrap(context, text, width);
  lines.forEach((line, index) => {
    context.fillText(line, x, y + index * lineHeight + px);
  });
  return { name, rect: { x: x - 4, y: y - 4, width: width + 8, height: lines.length * lineHeight + 10 }, text };
}

export type Scene = "static" | "changed" | "scroll";

/**
 * Draws the screen. `scrollPx` moves the long page (scene "scroll"); "changed" is the static screen with the
 * step text replaced. Returns the blocks to read.
 */
export function drawScreen(context: CanvasRenderingContext2D, scene: Scene, scrollPx = 0): Block[] {
  const { width, height } = SCREEN;
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.fillStyle = "#1f2a44";
  context.fillRect(0, 0, width, 40);
  context.fillStyle = "#ffffff";
  context.font = font(16, "bold");
  context.fillText("Example Bank - Online banking", 20, 26);
  context.fillStyle = "#1b1b1b";
  context.textBaseline = "alphabetic";
  if (scene === "scroll") {
    context.font = font(SCROLL_FONT_PX);
    const first = Math.floor(scrollPx / SCROLL_LINE_PX);
    for (let line = first; line < Math.min(SCROLL_LINES.length, first + 50); line++) {
      const y = 60 + line * SCROLL_LINE_PX - scrollPx;
      if (y > height + SCROLL_LINE_PX) break;
      // Three columns of the page move together, as a wide document does.
      if (y > 40) {
        for (const [column, x] of [40, 680, 1320].entries()) context.fillText(SCROLL_LINES[(line + column * 40) % SCROLL_LINES.length] ?? "", x, y);
      }
    }
    return [scrollBlock()];
  }
  // The rest of the screen is busy too (a second window's text), as a real desktop is: it costs the encoder bits.
  context.font = font(13);
  context.fillStyle = "#3a3a3a";
  SCROLL_LINES.forEach((line, index) => {
    const column = index < 48 ? 0 : 1;
    const y = 60 + (index % 48) * 21;
    if (column === 0) context.fillText(line, 1300, y);
    else if (y > 740) context.fillText(`${line} ${line}`, 40 + ((index * 37) % 5) * 10, y);
  });
  context.fillStyle = "#1b1b1b";
  const blocks: Block[] = [];
  let y = 60;
  for (const px of [11, 12, 13, 14, 16]) {
    const block = paragraph(context, `text-${px}px`, PARAGRAPH, px, 24, y, 600);
    blocks.push(block);
    y += block.rect.height + 14;
  }
  context.fillStyle = "#f1f4f9";
  context.fillRect(20, 560, 610, 140);
  context.fillStyle = "#1b1b1b";
  // The step text changes length; its block is the whole box, so one rectangle holds either text.
  const step = paragraph(context, "changing-13px", scene === "changed" ? CHANGED : BEFORE_CHANGE, 13, 28, 568, 590);
  blocks.push({ ...step, rect: { x: 22, y: 562, width: 606, height: 136 } });

  // A form: labels beside boxed values, 13 px.
  context.font = font(13);
  FORM.forEach(([label, value], row) => {
    const top = 64 + row * 36;
    context.fillStyle = "#5a5a5a";
    context.fillText(label, 680, top + 18);
    context.strokeStyle = "#9aa3b5";
    context.strokeRect(830, top, 420, 28);
    context.fillStyle = "#1b1b1b";
    context.fillText(value, 840, top + 18);
  });
  blocks.push({
    name: "form-13px",
    rect: { x: 672, y: 58, width: 590, height: FORM.length * 36 + 6 },
    text: FORM.map(([label, value]) => `${label} ${value}`).join(" "),
  });

  // A table, 12 px, with ruled rows.
  context.font = font(12);
  const columns = [680, 800, 920, 1040];
  TABLE.forEach((cells, row) => {
    const top = 270 + row * 26;
    context.fillStyle = row === 0 ? "#1f2a44" : "#1b1b1b";
    context.font = font(12, row === 0 ? "bold" : "");
    for (const [column, cell] of cells.entries()) context.fillText(cell, columns[column] ?? 0, top + 17);
    context.strokeStyle = "#d5d9e0";
    context.beginPath();
    context.moveTo(676, top + 25.5);
    context.lineTo(1180, top + 25.5);
    context.stroke();
  });
  blocks.push({
    name: "table-12px",
    rect: { x: 672, y: 266, width: 520, height: TABLE.length * 26 + 6 },
    text: TABLE.map((cells) => cells.join(" ")).join(" "),
  });
  return blocks;
}

/** The block read on the long page once it stopped at {@link SCROLL_END_LINE}. */
export function scrollBlock(): Block {
  return {
    name: "scrolled-14px",
    rect: { x: 32, y: 60 - SCROLL_FONT_PX - 4, width: 560, height: SCROLL_READ_LINES * SCROLL_LINE_PX + 8 },
    text: SCROLL_LINES.slice(SCROLL_END_LINE, SCROLL_END_LINE + SCROLL_READ_LINES).join(" "),
  };
}

/** The scroll offset at which the long page stops. */
export const SCROLL_END_PX = SCROLL_END_LINE * SCROLL_LINE_PX;
